use alloc::vec::Vec;

use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::{Codec, Layout};

use crate::CodecError;
use crate::depth::decode_limited;
use crate::finite::Finite;

/// JSON via serde_json: readable, and the largest and slowest of the four.
///
/// Every finite `f64` and `f32` reads back exactly as it was written
/// (serde_json's `float_roundtrip`; its default parser can be off in the
/// last bits); NaN and infinities, which JSON has no number for, are an
/// encoding error rather than the `null` serde_json would write. A `&str`
/// argument borrows unless the string holds escapes; a `&[u8]` argument
/// arrives as an array of numbers and is copied.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Codec for Json {
    const NAME: &'static str = "json";
    type Error = CodecError<serde_json::Error>;
    // Objects of field names, variants by name, human-readable.
    const LAYOUT: Layout = Layout {
        named_fields: true,
        named_variants: true,
        human_readable: true,
    };

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        Ok(serde_json::to_writer(out, &Finite(value))?)
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
