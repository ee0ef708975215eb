use alloc::vec::Vec;

use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::Codec;

use crate::CodecError;
use crate::bytes::everywhere;
use crate::depth::decode_limited;

/// Appends to the caller's buffer with bulk copies (postcard's own
/// `to_extend` pushes a byte at a time). It owns the buffer while it
/// writes, as postcard's own flavors do.
struct Extend(Vec<u8>);

impl postcard::ser_flavors::Flavor for Extend {
    type Output = Vec<u8>;

    #[inline(always)]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline(always)]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        crate::copy::extend(&mut self.0, bytes);
        Ok(())
    }

    #[inline]
    fn finalize(self) -> postcard::Result<Vec<u8>> {
        Ok(self.0)
    }
}

/// postcard 1: varint integers and no field names; the smallest encoding.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postcard;

impl Codec for Postcard {
    const NAME: &'static str = "postcard";
    type Error = CodecError<postcard::Error>;

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        let buffer = core::mem::take(out);
        *out = postcard::serialize_with_flavor(&everywhere(value), Extend(buffer))?;
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
