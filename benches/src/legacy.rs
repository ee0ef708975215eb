use serde::Serialize;
use serde::de::Deserialize;
use wasmer_plugin_host::Codec;

/// The 2019 crate's encoding, as the reference row of the size table:
/// bincode with its legacy configuration (little-endian, fixed-width
/// integers, `u64` lengths), which reproduces bincode 1's output. Not a
/// codec a plugin can use.
pub struct LegacyBincode;

const LEGACY: bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Fixint,
    bincode::config::NoLimit,
> = bincode::config::legacy();

impl Codec for LegacyBincode {
    const NAME: &'static str = "legacy-bincode";
    type Error = String;

    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        bincode::serde::encode_into_std_write(value, out, LEGACY)
            .map(drop)
            .map_err(|err| err.to_string())
    }

    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error> {
        bincode::serde::borrow_decode_from_slice(bytes, LEGACY)
            .map(|(value, _)| value)
            .map_err(|err| err.to_string())
    }
}
