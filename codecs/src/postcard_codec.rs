use alloc::vec::Vec;

use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::Codec;

use crate::CodecError;
use crate::depth::decode_limited;

/// postcard 1: varint integers and no field names; the smallest encoding.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postcard;

impl Codec for Postcard {
    const NAME: &'static str = "postcard";
    type Error = CodecError<postcard::Error>;

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        let buf = core::mem::take(out);
        *out = postcard::to_extend(value, buf)?;
        Ok(())
    }

    #[inline]
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error> {
        let (value, rest) = decode_limited(|seed| {
            let mut deserializer = postcard::Deserializer::from_bytes(bytes);
            let value = seed.deserialize(&mut deserializer)?;
            Ok((value, deserializer.finalize()?))
        })
        .map_err(CodecError::from_limited)?;
        match rest.len() {
            0 => Ok(value),
            count => Err(CodecError::TrailingBytes { count }),
        }
    }
}
