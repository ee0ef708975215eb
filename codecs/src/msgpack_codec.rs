use alloc::vec::Vec;

use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::{Codec, Layout};

use crate::bytes::arguments;
use crate::depth::{TooDeep, decode_limited};

/// Appends to the caller's buffer, copying `bin` data in bulk. It owns
/// the buffer while it writes, as `Postcard`'s flavor does.
struct Append(Vec<u8>);

impl std::io::Write for Append {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        crate::copy::extend(&mut self.0, bytes);
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        crate::copy::extend(&mut self.0, bytes);
        Ok(())
    }

    #[inline]
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// MessagePack via rmp-serde, structs written as maps with field names so
/// that other languages can read them and fields can be added later.
///
/// A byte buffer that is the whole value or an element of a whole tuple
/// (a plugin function's argument or return value) is written as `bin`;
/// deeper inside a value it stays serde's array of integers unless its
/// field says `#[serde(with = "serde_bytes")]`. Decoding accepts either
/// form wherever a `Vec<u8>` is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgPack;

/// Errors of [`MsgPack`].
#[derive(Debug)]
#[non_exhaustive]
pub enum MsgPackError {
    /// Encoding failed.
    Encode(rmp_serde::encode::Error),
    /// Decoding failed.
    Decode(rmp_serde::decode::Error),
    /// The value is nested deeper than [`MAX_DEPTH`](crate::MAX_DEPTH) levels.
    TooDeep,
}

impl core::fmt::Display for MsgPackError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MsgPackError::Encode(err) => err.fmt(f),
            MsgPackError::Decode(err) => err.fmt(f),
            MsgPackError::TooDeep => TooDeep.fmt(f),
        }
    }
}

impl std::error::Error for MsgPackError {}

impl Codec for MsgPack {
    const NAME: &'static str = "msgpack";
    type Error = MsgPackError;
    // Structs are maps of field names (`write_named`), variants their
    // names; not human-readable (rmp-serde's default).
    const LAYOUT: Layout = Layout {
        named_fields: true,
        named_variants: true,
        human_readable: false,
    };

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        let mut append = Append(core::mem::take(out));
        let result = rmp_serde::encode::write_named(&mut append, &arguments(value));
        *out = append.0;
        result.map_err(MsgPackError::Encode)
    }

    #[inline]
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error> {
        decode_limited(|seed| {
            let mut deserializer = rmp_serde::Deserializer::from_read_ref(bytes);
            seed.deserialize(&mut deserializer)
        })
        .map_err(|(err, too_deep)| match too_deep {
            true => MsgPackError::TooDeep,
            false => MsgPackError::Decode(err),
        })
    }
}
