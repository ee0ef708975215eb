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
use serde::ser::{Serialize, Serializer};

use crate::proxy::{Policy, Proxy};

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
            None if EVERYWHERE || TOP => self
                .0
                .serialize(Proxy::<S, Buffers<EVERYWHERE, TOP>>::new(serializer)),
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

/// The [`Policy`] under which byte buffers inside a value are written as
/// bytes: all of them when `EVERYWHERE`, otherwise only a whole tuple's
/// elements (`TOP`).
struct Buffers<const EVERYWHERE: bool, const TOP: bool>;

impl<const EVERYWHERE: bool, const TOP: bool> Policy for Buffers<EVERYWHERE, TOP> {
    type Nested = Buffers<EVERYWHERE, false>;

    #[inline]
    fn element<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if TOP {
            Element::<T, EVERYWHERE, false>(value).serialize(serializer)
        } else {
            Inside::<T, EVERYWHERE>(value).serialize(serializer)
        }
    }

    #[inline]
    fn content<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        Inside::<T, EVERYWHERE>(value).serialize(serializer)
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
    /// `value` as a `V`, which must be `T`: checked here, and the check
    /// is a constant after monomorphization. `T` is a buffer type without
    /// lifetimes, so equal type ids mean `V` is exactly `T`.
    #[inline(always)]
    fn into_value<V, T: LifetimeFree>(value: T) -> V {
        assert!(
            typeid::of::<V>() == typeid::of::<T>(),
            "read_buffer decoded a buffer for a seed of another type"
        );
        // SAFETY: `V` is `T` (asserted above). The value is moved, not
        // copied: `ManuallyDrop` keeps the original from being dropped.
        unsafe { core::mem::transmute_copy(&core::mem::ManuallyDrop::new(value)) }
    }
    let seed_type = typeid::of::<S>();
    let vec = seed_type == typeid::of::<PhantomData<Vec<u8>>>();
    let boxed = seed_type == typeid::of::<PhantomData<Box<[u8]>>>();
    if !(vec || boxed) || deserializer.is_human_readable() {
        return Err((seed, deserializer));
    }
    let bytes = deserializer.deserialize_bytes(ByteBufVisitor);
    Ok(if vec {
        bytes.map(into_value::<S::Value, Vec<u8>>)
    } else {
        bytes.map(|bytes| into_value::<S::Value, Box<[u8]>>(bytes.into_boxed_slice()))
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
