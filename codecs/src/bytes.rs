//! Byte buffers written and read as bytes.
//!
//! serde hands a `Vec<u8>` or a `[u8]` to a format as a sequence of single
//! `u8`s, so that encoding and decoding it costs a call per byte, unless
//! its author knew to write `#[serde(with = "serde_bytes")]`. The binary
//! codecs here spare the author that: on the way out, a byte buffer is
//! handed to the format as bytes ([`Buffers`]); on the way in, a
//! `Vec<u8>` or `Box<[u8]>` asked for by a compound (an element, a field,
//! a map key or value, a variant's content) or as the whole value is read
//! with the format's bytes path ([`read_buffer`]), which accepts a
//! sequence of numbers too.
//!
//! Which values count as a byte buffer is decided by type, exactly:
//! `[u8]`, `Vec<u8>`, `Box<[u8]>`, `Cow<[u8]>` and references to them,
//! whose `Serialize` is serde's "sequence of `u8`". A type is matched with
//! [`typeid::of`], which ignores lifetimes; after monomorphization the
//! comparison is a constant, so nothing is checked at run time.
//!
//! How far down it applies depends on the format. In bincode and postcard
//! a byte string and a sequence of `u8` are the same bytes, so a byte
//! buffer anywhere takes the fast path ([`everywhere`]) and the wire does
//! not change. In MessagePack they differ (`bin` against an array of
//! integers), and a type that buffers its input (`#[serde(untagged)]`,
//! `flatten`, internally tagged enums) would not accept `bin` where it
//! wants a sequence, so only the places a plugin call reads with
//! [`read_buffer`] take it ([`arguments`]): the whole value, and the
//! elements of a whole value that is a tuple (a plugin function's
//! arguments). Deeper inside Options and newtype structs, and in
//! MessagePack deeper than that, a byte buffer keeps serde's sequence;
//! `#[serde(with = "serde_bytes")]` makes it bytes there. Human-readable
//! formats (JSON) are left alone: they have no bytes type.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// `value`, serialized with its byte buffers as bytes: all of them when
/// `EVERYWHERE`, otherwise the whole value's and a whole tuple's elements.
pub(crate) struct AsBytes<'a, T: ?Sized, const EVERYWHERE: bool>(pub(crate) &'a T);

/// `value` for a format whose bytes and sequences of `u8` agree.
pub(crate) fn everywhere<T: ?Sized>(value: &T) -> AsBytes<'_, T, true> {
    AsBytes(value)
}

/// `value` for a format with a distinct bytes type (see the module docs).
#[cfg_attr(not(feature = "msgpack"), allow(dead_code))]
pub(crate) fn arguments<T: ?Sized>(value: &T) -> AsBytes<'_, T, false> {
    AsBytes(value)
}

impl<T: Serialize + ?Sized, const EVERYWHERE: bool> Serialize for AsBytes<'_, T, EVERYWHERE> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return self.0.serialize(serializer);
        }
        Element::<T, EVERYWHERE, true>(self.0).serialize(serializer)
    }
}

/// A value at a place where a byte buffer is written as bytes. `TOP` is
/// the whole value, whose tuple elements are such places in every scope.
struct Element<'a, T: ?Sized, const EVERYWHERE: bool, const TOP: bool>(&'a T);

impl<T: Serialize + ?Sized, const EVERYWHERE: bool, const TOP: bool> Serialize
    for Element<'_, T, EVERYWHERE, TOP>
{
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match byte_buffer(self.0) {
            Some(bytes) => serializer.serialize_bytes(bytes),
            None if EVERYWHERE || TOP => {
                self.0.serialize(Buffers::<S, EVERYWHERE, TOP>(serializer))
            }
            None => self.0.serialize(serializer),
        }
    }
}

/// A value below which byte buffers are bytes only when `EVERYWHERE`.
struct Inside<'a, T: ?Sized, const EVERYWHERE: bool>(&'a T);

impl<T: Serialize + ?Sized, const EVERYWHERE: bool> Serialize for Inside<'_, T, EVERYWHERE> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if EVERYWHERE {
            Element::<T, true, false>(self.0).serialize(serializer)
        } else {
            self.0.serialize(serializer)
        }
    }
}

/// The bytes of `value` when its type is a byte buffer.
#[inline(always)]
fn byte_buffer<'a, T: ?Sized>(value: &'a T) -> Option<&'a [u8]> {
    /// `value` as a `&'a U`, when `T` is `U` up to lifetimes.
    ///
    /// # Safety
    /// `U` must be `T` with none, some or all of its lifetimes shortened
    /// to `'a`, each in a position where that is a subtyping (covariant),
    /// so that the `&'a U` is a reference `value` could coerce to. (Type
    /// ids ignore lifetimes: without this, `U` could lengthen one.)
    #[inline(always)]
    unsafe fn cast<'a, T: ?Sized, U: ?Sized>(value: &'a T) -> Option<&'a U> {
        if typeid::of::<T>() != typeid::of::<U>() {
            return None;
        }
        // SAFETY: `T` and `U` are the same type up to lifetimes, so `&T`
        // and `&U` have the same layout (a thin pointer, or a pointer and
        // the same metadata); the caller guarantees that `U`'s lifetimes
        // are `T`'s or shorter ones in covariant positions, so the result
        // is what a coercion of `value` would give.
        Some(unsafe { core::mem::transmute_copy::<&'a T, &'a U>(&value) })
    }
    // SAFETY: each `U` below has no lifetimes but `'a`, which `T`'s
    // outlive (it is behind `&'a T`), and `'a` sits in covariant positions
    // only: a shared reference's, a `&mut [u8]`'s own lifetime (the
    // pointee `[u8]` has none), `Cow<'a, [u8]>`'s.
    unsafe {
        if let Some(bytes) = cast::<T, [u8]>(value) {
            return Some(bytes);
        }
        if let Some(bytes) = cast::<T, &'a [u8]>(value) {
            return Some(bytes);
        }
        if let Some(bytes) = cast::<T, &'a mut [u8]>(value) {
            return Some(bytes);
        }
        if let Some(bytes) = cast::<T, Vec<u8>>(value) {
            return Some(bytes);
        }
        if let Some(bytes) = cast::<T, &'a Vec<u8>>(value) {
            return Some(bytes);
        }
        if let Some(bytes) = cast::<T, Box<[u8]>>(value) {
            return Some(bytes);
        }
        if let Some(bytes) = cast::<T, Cow<'a, [u8]>>(value) {
            return Some(bytes);
        }
    }
    None
}

/// A serializer whose compounds write their byte buffers as bytes: all of
/// them when `EVERYWHERE`, otherwise only a whole tuple's (`TOP`).
struct Buffers<S, const EVERYWHERE: bool, const TOP: bool>(S);

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[inline]
        fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.0.$method($($arg),*)
        }
    )*};
}

impl<S: Serializer, const EVERYWHERE: bool, const TOP: bool> Serializer
    for Buffers<S, EVERYWHERE, TOP>
{
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Buffers<S::SerializeSeq, EVERYWHERE, false>;
    type SerializeTuple = Buffers<S::SerializeTuple, EVERYWHERE, TOP>;
    type SerializeTupleStruct = Buffers<S::SerializeTupleStruct, EVERYWHERE, false>;
    type SerializeTupleVariant = Buffers<S::SerializeTupleVariant, EVERYWHERE, false>;
    type SerializeMap = Buffers<S::SerializeMap, EVERYWHERE, false>;
    type SerializeStruct = Buffers<S::SerializeStruct, EVERYWHERE, false>;
    type SerializeStructVariant = Buffers<S::SerializeStructVariant, EVERYWHERE, false>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Inside::<T, EVERYWHERE>(value))
    }

    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_struct(name, &Inside::<T, EVERYWHERE>(value))
    }

    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant(name, index, variant, &Inside::<T, EVERYWHERE>(value))
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Buffers)
    }

    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Buffers)
    }

    #[inline]
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(Buffers)
    }

    #[inline]
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0
            .serialize_tuple_variant(name, index, variant, len)
            .map(Buffers)
    }

    #[inline]
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Buffers)
    }

    #[inline]
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(Buffers)
    }

    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0
            .serialize_struct_variant(name, index, variant, len)
            .map(Buffers)
    }

    #[inline]
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.collect_str(value)
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// The element methods of the compound serializers: each value goes
/// through [`Inside`] (a tuple's at the top through [`Element`]).
macro_rules! compound {
    ($trait:ident { $($method:ident($($key:ident: $key_ty:ty),*);)* }) => {
        impl<S: $trait, const EVERYWHERE: bool, const TOP: bool> $trait
            for Buffers<S, EVERYWHERE, TOP>
        {
            type Ok = S::Ok;
            type Error = S::Error;
            $(
                #[inline]
                fn $method<T: Serialize + ?Sized>(
                    &mut self,
                    $($key: $key_ty,)*
                    value: &T,
                ) -> Result<(), S::Error> {
                    if TOP {
                        self.0.$method($($key,)* &Element::<T, EVERYWHERE, false>(value))
                    } else {
                        self.0.$method($($key,)* &Inside::<T, EVERYWHERE>(value))
                    }
                }
            )*
            #[inline]
            fn end(self) -> Result<S::Ok, S::Error> {
                self.0.end()
            }
        }
    };
}

compound!(SerializeSeq { serialize_element(); });
compound!(SerializeTuple { serialize_element(); });
compound!(SerializeTupleStruct { serialize_field(); });
compound!(SerializeTupleVariant { serialize_field(); });
compound!(SerializeStruct { serialize_field(key: &'static str); });
compound!(SerializeStructVariant { serialize_field(key: &'static str); });

impl<S: SerializeMap, const EVERYWHERE: bool, const TOP: bool> SerializeMap
    for Buffers<S, EVERYWHERE, TOP>
{
    type Ok = S::Ok;
    type Error = S::Error;

    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), S::Error> {
        self.0.serialize_key(&Inside::<T, EVERYWHERE>(key))
    }

    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_value(&Inside::<T, EVERYWHERE>(value))
    }

    #[inline]
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), S::Error> {
        self.0.serialize_entry(
            &Inside::<K, EVERYWHERE>(key),
            &Inside::<V, EVERYWHERE>(value),
        )
    }

    #[inline]
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

/// Reads the value a seed of type `S` asks for with the format's bytes
/// path when that value is a byte buffer (`S` is `PhantomData<Vec<u8>>` or
/// `PhantomData<Box<[u8]>>`: serde's plain "deserialize a `T`", which is
/// what every derived `Deserialize` asks of its elements and fields), or
/// hands the seed and the deserializer back untouched.
#[inline(always)]
pub(crate) fn read_buffer<'de, S, D>(
    seed: S,
    deserializer: D,
) -> Result<Result<S::Value, D::Error>, (S, D)>
where
    S: de::DeserializeSeed<'de>,
    D: Deserializer<'de>,
{
    /// `value` as a `V`.
    ///
    /// # Safety
    /// `V` must be `T`. (`T` has no lifetime parameters, so equal type ids
    /// prove it.)
    #[inline(always)]
    unsafe fn same_type<T: LifetimeFree, V>(value: T) -> V {
        // SAFETY: `V` is `T` (the caller's contract). The value is moved,
        // not copied: `ManuallyDrop` keeps the original from being dropped.
        unsafe { core::mem::transmute_copy(&core::mem::ManuallyDrop::new(value)) }
    }
    // Checked on the value type itself, which the conversion needs; the
    // seed's type says the seed is serde's plain "deserialize a `T`".
    // Constants after monomorphization, so the path costs no check.
    let seed_type = typeid::of::<S>();
    let value_type = typeid::of::<S::Value>();
    let vec =
        seed_type == typeid::of::<PhantomData<Vec<u8>>>() && value_type == typeid::of::<Vec<u8>>();
    let boxed = seed_type == typeid::of::<PhantomData<Box<[u8]>>>()
        && value_type == typeid::of::<Box<[u8]>>();
    if !(vec || boxed) || deserializer.is_human_readable() {
        return Err((seed, deserializer));
    }
    let bytes = deserializer.deserialize_bytes(ByteBufVisitor);
    Ok(if vec {
        // SAFETY: `S::Value` has `Vec<u8>`'s type id (checked above).
        bytes.map(|bytes| unsafe { same_type::<Vec<u8>, S::Value>(bytes) })
    } else {
        // SAFETY: `S::Value` has `Box<[u8]>`'s type id (checked above).
        bytes.map(|bytes| unsafe { same_type::<Box<[u8]>, S::Value>(bytes.into_boxed_slice()) })
    })
}

/// The buffer types [`read_buffer`] makes: types without lifetime
/// parameters, which is what makes its type-id check exact.
trait LifetimeFree: 'static {}
impl LifetimeFree for Vec<u8> {}
impl LifetimeFree for Box<[u8]> {}

/// A `Vec<u8>` from bytes (borrowed or not) or from a sequence of numbers,
/// which is how a byte buffer arrives from a format or a peer that wrote
/// it element by element.
struct ByteBufVisitor;

impl<'de> Visitor<'de> for ByteBufVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes or a sequence of bytes")
    }

    #[inline]
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(crate::copy::to_vec(v))
    }

    #[inline]
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Vec<u8>, E> {
        Ok(crate::copy::to_vec(v))
    }

    #[inline]
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        // Cap the preallocation: the hint comes from the input.
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64 * 1024));
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    //! The round-trip tests pass whether or not a buffer takes the fast
    //! path: bincode and postcard write the same bytes either way, and
    //! rmp-serde hands `bin` to a sequence visitor byte by byte. These
    //! tests fail when it does not.

    use alloc::vec;

    use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
    use serde::de::{DeserializeSeed, IntoDeserializer, Visitor};
    use serde::{Deserialize, Serialize, forward_to_deserialize_any};

    use super::*;
    use crate::depth::decode_limited;

    /// A binary format's deserializer that holds bytes and can only hand
    /// them over as bytes: serde's own `Vec<u8>`, which asks for a
    /// sequence, refuses it.
    struct OnlyBytes(&'static [u8]);

    impl<'de> Deserializer<'de> for OnlyBytes {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_borrowed_bytes(self.0)
        }

        fn is_human_readable(&self) -> bool {
            false
        }

        forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }

    impl IntoDeserializer<'_, Error> for OnlyBytes {
        type Deserializer = Self;
        fn into_deserializer(self) -> Self {
            self
        }
    }

    fn decode<'de, T: Deserialize<'de>>(
        deserializer: impl Deserializer<'de, Error = Error>,
    ) -> Result<T, Error> {
        decode_limited(|seed| seed.deserialize(deserializer)).map_err(|(err, _)| err)
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Fields {
        data: Vec<u8>,
        boxed: Box<[u8]>,
    }

    fn fields() -> Fields {
        Fields {
            data: vec![1, 2],
            boxed: Box::new([3]),
        }
    }

    #[test]
    fn byte_buffers_are_read_as_bytes_wherever_a_compound_asks() {
        assert!(Vec::<u8>::deserialize(OnlyBytes(b"ab")).is_err());

        let whole: Vec<u8> = decode(OnlyBytes(b"ab")).unwrap();
        assert_eq!(whole, b"ab");
        let boxed: Box<[u8]> = decode(OnlyBytes(b"ab")).unwrap();
        assert_eq!(&*boxed, b"ab");
        let elements = [OnlyBytes(b"a"), OnlyBytes(b""), OnlyBytes(b"bc")];
        let nested: Vec<Vec<u8>> = decode(SeqDeserializer::new(elements.into_iter())).unwrap();
        assert_eq!(nested, [b"a".to_vec(), vec![], b"bc".to_vec()]);
        let entries = [("data", OnlyBytes(&[1, 2])), ("boxed", OnlyBytes(&[3]))];
        let decoded: Fields = decode(MapDeserializer::new(entries.into_iter())).unwrap();
        assert_eq!(decoded, fields());
    }

    #[cfg(feature = "msgpack")]
    #[test]
    fn byte_buffers_are_written_as_bytes_within_their_scope() {
        // MessagePack shows which path a buffer took: `bin` (0xc4) or an
        // array (0x9_).
        let wire = rmp_serde::to_vec(&everywhere(&fields())).unwrap();
        assert_eq!(wire, [0x92, 0xc4, 2, 1, 2, 0xc4, 1, 3]);
        let wire = rmp_serde::to_vec(&arguments(&fields())).unwrap();
        assert_eq!(wire, [0x92, 0x92, 1, 2, 0x91, 3]);

        let option = Some(vec![7u8]);
        assert_eq!(
            rmp_serde::to_vec(&everywhere(&option)).unwrap(),
            [0xc4, 1, 7]
        );
        let tuple = (&[5u8][..], Cow::Borrowed(&[6u8][..]), 8u8);
        assert_eq!(
            rmp_serde::to_vec(&arguments(&tuple)).unwrap(),
            [0x93, 0xc4, 1, 5, 0xc4, 1, 6, 8]
        );
        // Human-readable formats are left alone.
        let json = serde_json::to_vec(&everywhere(&fields())).unwrap();
        assert_eq!(json, br#"{"data":[1,2],"boxed":[3]}"#);
    }
}
