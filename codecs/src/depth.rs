//! A depth limit for any serde `Deserializer`.
//!
//! Decoding a recursive type (a tree, a linked list) recurses once per
//! level of the input, so a small input nested a million levels deep
//! overflows the decoding thread's stack: on a native host that aborts the
//! process. bincode and postcard have no limit of their own, so every
//! shipped codec decodes through [`decode_limited`], which fails the
//! decode past [`MAX_DEPTH`] levels instead.
//!
//! A level is one compound value entered: a sequence, map, struct, tuple
//! struct, enum variant, `Some` or newtype struct. Anonymous tuples and
//! arrays are not counted: a recursive type that has finite values must
//! recur through a choice (an enum, an option, a sequence or map of some
//! length), and those are counted; counting tuples too made bincode's
//! decoding of `[f64; 2]` points four times slower. The wrapper forwards every call unchanged
//! otherwise, borrowed strings and bytes included, so zero-copy decoding
//! still borrows.

// Without any codec feature nothing decodes, but the limit is still
// named in the docs.
#![cfg_attr(
    not(any(
        feature = "bincode",
        feature = "msgpack",
        feature = "postcard",
        feature = "json"
    )),
    allow(dead_code)
)]

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;

use crate::bytes::read_buffer;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

/// The deepest nesting a shipped codec decodes. Deep enough for any data
/// a plugin and its host exchange on purpose, shallow enough that decoding
/// stays within a small fraction of a thread's stack (the guest's 1 MiB
/// included) in debug builds too.
pub const MAX_DEPTH: usize = 256;

/// Runs `decode` with a seed that deserializes a `T` no deeper than
/// [`MAX_DEPTH`]; on failure, also says whether the limit was the cause.
pub(crate) fn decode_limited<'de, T, R, E>(
    decode: impl FnOnce(DepthSeed<'_, T>) -> Result<R, E>,
) -> Result<R, (E, bool)>
where
    T: Deserialize<'de>,
{
    let counter = Counter {
        remaining: Cell::new(MAX_DEPTH),
        exceeded: Cell::new(false),
    };
    let seed = DepthSeed {
        depth: Depth(&counter),
        value: PhantomData,
    };
    decode(seed).map_err(|err| (err, counter.exceeded.get()))
}

/// Deserializes a `T` through a [`Limited`] deserializer.
pub(crate) struct DepthSeed<'f, T> {
    depth: Depth<'f>,
    value: PhantomData<fn() -> T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for DepthSeed<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        let deserializer = match read_buffer(PhantomData::<T>, deserializer) {
            Ok(read) => return read,
            Err((_, deserializer)) => deserializer,
        };
        T::deserialize(Limited {
            inner: deserializer,
            depth: self.depth,
        })
    }
}

/// The message a codec's own error carries when the limit stops it.
pub(crate) struct TooDeep;

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the value is nested more than {MAX_DEPTH} levels deep")
    }
}

/// Levels left for one decode, and whether the limit stopped it.
struct Counter {
    remaining: Cell<usize>,
    exceeded: Cell<bool>,
}

/// The decode's counter. One reference, so that a wrapped seed or
/// deserializer stays as small as the codec's own: passing them in
/// registers keeps bincode's hot loops as fast as without the limit.
#[derive(Clone, Copy)]
struct Depth<'f>(&'f Counter);

impl Depth<'_> {
    /// Runs `visit` one level down, or fails with the limit's error.
    #[inline]
    fn descend<T, E: de::Error>(self, visit: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let remaining = self.0.remaining.get();
        if remaining == 0 {
            return Err(too_deep(self.0));
        }
        self.0.remaining.set(remaining - 1);
        let result = visit();
        self.0.remaining.set(remaining);
        result
    }
}

/// The limit's error, out of line: a codec's `Error::custom` formats its
/// message, which has no place in the hot path.
#[cold]
#[inline(never)]
fn too_deep<E: de::Error>(counter: &Counter) -> E {
    counter.exceeded.set(true);
    E::custom(TooDeep)
}

/// A deserializer that counts the levels it enters.
struct Limited<'f, D> {
    inner: D,
    depth: Depth<'f>,
}

/// A visitor, seed or access wrapped at some depth. A visitor with
/// `LEVEL` false passes its depth on without counting a level: the visitor
/// of an anonymous tuple or array, which cannot recur without a counted
/// choice (enum, option, sequence, map) in the cycle. Not counting them keeps bincode's decoding
/// of `[f64; 2]` points inlined, as fast as without the limit.
struct Wrap<'f, T, const LEVEL: bool = true> {
    inner: T,
    depth: Depth<'f>,
}

impl<'f, T> Wrap<'f, T> {
    #[inline]
    fn new(inner: T, depth: Depth<'f>) -> Self {
        Wrap { inner, depth }
    }
}

impl<'f, T> Wrap<'f, T, false> {
    /// A visitor that does not count a level.
    #[inline]
    fn passing(inner: T, depth: Depth<'f>) -> Self {
        Wrap { inner, depth }
    }
}

impl<T, const LEVEL: bool> Wrap<'_, T, LEVEL> {
    /// Runs `visit` a level down when this visitor counts one.
    #[inline]
    fn level<R, E: de::Error>(
        depth: Depth<'_>,
        visit: impl FnOnce() -> Result<R, E>,
    ) -> Result<R, E> {
        if LEVEL { depth.descend(visit) } else { visit() }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(Wrap::new(visitor, self.depth))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Limited<'_, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16
        deserialize_i32 deserialize_i64 deserialize_i128 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_unit_struct(name, Wrap::new(visitor, self.depth))
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_newtype_struct(name, Wrap::new(visitor, self.depth))
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_tuple(len, Wrap::passing(visitor, self.depth))
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_tuple_struct(name, len, Wrap::new(visitor, self.depth))
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_struct(name, fields, Wrap::new(visitor, self.depth))
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_enum(name, variants, Wrap::new(visitor, self.depth))
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident: $ty:ty)*) => {$(
        #[inline]
        fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.inner.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>, const LEVEL: bool> Visitor<'de> for Wrap<'_, V, LEVEL> {
    type Value = V::Value;

    #[inline]
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32
        visit_i64: i64 visit_i128: i128 visit_u8: u8 visit_u16: u16
        visit_u32: u32 visit_u64: u64 visit_u128: u128 visit_f32: f32
        visit_f64: f64 visit_char: char visit_str: &str
        visit_borrowed_str: &'de str visit_bytes: &[u8]
        visit_borrowed_bytes: &'de [u8]
    }

    #[inline]
    fn visit_string<E: de::Error>(self, value: String) -> Result<V::Value, E> {
        self.inner.visit_string(value)
    }

    #[inline]
    fn visit_byte_buf<E: de::Error>(self, value: Vec<u8>) -> Result<V::Value, E> {
        self.inner.visit_byte_buf(value)
    }

    #[inline]
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    #[inline]
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        let depth = self.depth;
        Self::level(depth, || {
            self.inner.visit_some(Limited {
                inner: deserializer,
                depth,
            })
        })
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        let depth = self.depth;
        Self::level(depth, || {
            self.inner.visit_newtype_struct(Limited {
                inner: deserializer,
                depth,
            })
        })
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let depth = self.depth;
        Self::level(depth, || self.inner.visit_seq(Wrap::new(seq, depth)))
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let depth = self.depth;
        Self::level(depth, || self.inner.visit_map(Wrap::new(map, depth)))
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        let depth = self.depth;
        Self::level(depth, || self.inner.visit_enum(Wrap::new(data, depth)))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Wrap<'_, S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        let (seed, deserializer) = match read_buffer(self.inner, deserializer) {
            Ok(read) => return read,
            Err(untouched) => untouched,
        };
        seed.deserialize(Limited {
            inner: deserializer,
            depth: self.depth,
        })
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(Wrap::new(seed, self.depth))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(Wrap::new(seed, self.depth))
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(Wrap::new(seed, self.depth))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, 'f, A: EnumAccess<'de>> EnumAccess<'de> for Wrap<'f, A> {
    type Error = A::Error;
    type Variant = Wrap<'f, A::Variant>;

    #[inline]
    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let depth = self.depth;
        let (value, variant) = self.inner.variant_seed(Wrap::new(seed, depth))?;
        Ok((value, Wrap::new(variant, depth)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    #[inline]
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.newtype_variant_seed(Wrap::new(seed, self.depth))
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner
            .tuple_variant(len, Wrap::new(visitor, self.depth))
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner
            .struct_variant(fields, Wrap::new(visitor, self.depth))
    }
}
