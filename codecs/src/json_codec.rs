use alloc::vec::Vec;

use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::Codec;

use crate::CodecError;
use crate::depth::decode_limited;

/// JSON via serde_json: readable, and the largest and slowest of the four.
///
/// A `&str` argument borrows unless the string holds escapes; a `&[u8]`
/// argument arrives as an array of numbers and is copied.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Codec for Json {
    const NAME: &'static str = "json";
    type Error = CodecError<serde_json::Error>;

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        Ok(serde_json::to_writer(out, value)?)
    }

    #[inline]
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error> {
        decode_limited(|seed| {
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            let value = seed.deserialize(&mut deserializer)?;
            deserializer.end()?;
            Ok(value)
        })
        .map_err(CodecError::from_limited)
    }
}
