//! A depth limit for any serde `Deserializer`.
//!
//! Decoding a recursive type (a tree, a linked list) recurses once per
//! level of the input, so a small input nested a million levels deep
//! overflows the decoding thread's stack: on a native host that aborts the
//! process. bincode and postcard have no limit of their own, so every
//! shipped codec decodes through [`limit_depth`], which fails the decode
//! with [`MAX_DEPTH`] levels instead.
//!
//! A level is one compound value entered: a sequence, tuple, map, struct,
//! enum variant, `Some` or newtype struct. The wrapper forwards every call
//! unchanged otherwise, borrowed strings and bytes included, so zero-copy
//! decoding still borrows.

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
    let exceeded = Cell::new(false);
    let seed = DepthSeed {
        exceeded: &exceeded,
        value: PhantomData,
    };
    decode(seed).map_err(|err| (err, exceeded.get()))
}

/// Deserializes a `T` through a [`Limited`] deserializer.
pub(crate) struct DepthSeed<'f, T> {
    exceeded: &'f Cell<bool>,
    value: PhantomData<fn() -> T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for DepthSeed<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize(Limited {
            inner: deserializer,
            depth: Depth {
                remaining: MAX_DEPTH,
                exceeded: self.exceeded,
            },
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

/// Levels left, and where to record that none were.
#[derive(Clone, Copy)]
struct Depth<'f> {
    remaining: usize,
    exceeded: &'f Cell<bool>,
}

impl<'f> Depth<'f> {
    /// The depth one level down, or the limit's error.
    fn descend<E: de::Error>(self) -> Result<Depth<'f>, E> {
        match self.remaining.checked_sub(1) {
            Some(remaining) => Ok(Depth { remaining, ..self }),
            None => {
                self.exceeded.set(true);
                Err(E::custom(TooDeep))
            }
        }
    }
}

/// A deserializer that counts the levels it enters.
struct Limited<'f, D> {
    inner: D,
    depth: Depth<'f>,
}

/// A visitor, seed or access wrapped at some depth.
struct Wrap<'f, T> {
    inner: T,
    depth: Depth<'f>,
}

impl<'f, T> Wrap<'f, T> {
    fn new(inner: T, depth: Depth<'f>) -> Self {
        Wrap { inner, depth }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
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

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_unit_struct(name, Wrap::new(visitor, self.depth))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_newtype_struct(name, Wrap::new(visitor, self.depth))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_tuple(len, Wrap::new(visitor, self.depth))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_tuple_struct(name, len, Wrap::new(visitor, self.depth))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_struct(name, fields, Wrap::new(visitor, self.depth))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_enum(name, variants, Wrap::new(visitor, self.depth))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident: $ty:ty)*) => {$(
        fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.inner.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

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

    fn visit_string<E: de::Error>(self, value: String) -> Result<V::Value, E> {
        self.inner.visit_string(value)
    }

    fn visit_byte_buf<E: de::Error>(self, value: Vec<u8>) -> Result<V::Value, E> {
        self.inner.visit_byte_buf(value)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        let depth = self.depth.descend()?;
        self.inner.visit_some(Limited {
            inner: deserializer,
            depth,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        let depth = self.depth.descend()?;
        self.inner.visit_newtype_struct(Limited {
            inner: deserializer,
            depth,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let depth = self.depth.descend()?;
        self.inner.visit_seq(Wrap::new(seq, depth))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let depth = self.depth.descend()?;
        self.inner.visit_map(Wrap::new(map, depth))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        let depth = self.depth.descend()?;
        self.inner.visit_enum(Wrap::new(data, depth))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Wrap<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Limited {
            inner: deserializer,
            depth: self.depth,
        })
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(Wrap::new(seed, self.depth))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(Wrap::new(seed, self.depth))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(Wrap::new(seed, self.depth))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, 'f, A: EnumAccess<'de>> EnumAccess<'de> for Wrap<'f, A> {
    type Error = A::Error;
    type Variant = Wrap<'f, A::Variant>;

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

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.newtype_variant_seed(Wrap::new(seed, self.depth))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner
            .tuple_variant(len, Wrap::new(visitor, self.depth))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner
            .struct_variant(fields, Wrap::new(visitor, self.depth))
    }
}
