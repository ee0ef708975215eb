use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::Codec;

/// JSON via serde_json: readable, and the largest and slowest of the four.
///
/// A `&str` argument borrows unless the string holds escapes; a `&[u8]`
/// argument arrives as an array of numbers and is copied.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Codec for Json {
    const NAME: &'static str = "json";
    type Error = serde_json::Error;

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        serde_json::to_writer(out, value)
    }

    #[inline]
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error> {
        serde_json::from_slice(bytes)
    }
}
