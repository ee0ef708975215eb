//! Argument types that borrow from the input where the codec allows it.
//!
//! `#[wasmer_plugin]` decodes a `&str` argument as [`StrArg`] and a `&[u8]`
//! argument as [`BytesArg`]: borrowed from the host's input buffer when the
//! format stores the bytes as they are (bincode, postcard, msgpack strings),
//! copied when it cannot (escaped JSON strings, byte arrays that a format
//! writes as a sequence of numbers).

use alloc::borrow::Cow;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Deref;

use serde::de::{Deserialize, Deserializer, Error, SeqAccess, Visitor};

/// A `&str` argument, borrowed where possible.
pub struct StrArg<'de>(Cow<'de, str>);

/// A `&[u8]` argument, borrowed where possible.
pub struct BytesArg<'de>(Cow<'de, [u8]>);

impl Deref for StrArg<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Deref for BytesArg<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for StrArg<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = StrArg<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StrArg(Cow::Borrowed(v)))
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StrArg(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StrArg(Cow::Owned(v)))
            }
            fn visit_borrowed_bytes<E: Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                core::str::from_utf8(v)
                    .map(|s| StrArg(Cow::Borrowed(s)))
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(v), &self))
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                core::str::from_utf8(v)
                    .map(|s| StrArg(Cow::Owned(s.to_owned())))
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(v), &self))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

impl<'de> Deserialize<'de> for BytesArg<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;
        impl<'de> Visitor<'de> for BytesVisitor {
            type Value = BytesArg<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes or a sequence of bytes")
            }
            fn visit_borrowed_bytes<E: Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(BytesArg(Cow::Borrowed(v)))
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(BytesArg(Cow::Owned(v.to_owned())))
            }
            fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                Ok(BytesArg(Cow::Owned(v)))
            }
            fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BytesArg(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BytesArg(Cow::Owned(v.as_bytes().to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // Cap the preallocation: the hint comes from the input.
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64 * 1024));
                while let Some(byte) = seq.next_element::<u8>()? {
                    bytes.push(byte);
                }
                Ok(BytesArg(Cow::Owned(bytes)))
            }
        }
        deserializer.deserialize_bytes(BytesVisitor)
    }
}

impl StrArg<'_> {
    /// Whether the argument borrows the input rather than owning a copy.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}

impl BytesArg<'_> {
    /// Whether the argument borrows the input rather than owning a copy.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}
