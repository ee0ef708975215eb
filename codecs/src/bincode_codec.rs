use alloc::vec::Vec;

use bincode::config::{Configuration, standard};
use bincode::enc::write::Writer;
use bincode::error::{DecodeError, EncodeError};
use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::Codec;

/// bincode 2 with its standard configuration (little endian, varint
/// integers). The default codec: the fastest between two Rust sides.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bincode;

/// Errors of [`Bincode`].
#[derive(Debug)]
#[non_exhaustive]
pub enum BincodeError {
    /// Encoding failed.
    Encode(EncodeError),
    /// Decoding failed.
    Decode(DecodeError),
    /// A value was decoded but bytes were left after it.
    TrailingBytes {
        /// How many bytes were left.
        count: usize,
    },
}

impl core::fmt::Display for BincodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BincodeError::Encode(err) => err.fmt(f),
            BincodeError::Decode(err) => err.fmt(f),
            BincodeError::TrailingBytes { count } => {
                write!(f, "{count} bytes left over after the value")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BincodeError {}

const CONFIG: Configuration = standard();

struct VecWriter<'a>(&'a mut Vec<u8>);

impl Writer for VecWriter<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

impl Codec for Bincode {
    const NAME: &'static str = "bincode";
    type Error = BincodeError;

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        bincode::serde::encode_into_writer(value, VecWriter(out), CONFIG)
            .map_err(BincodeError::Encode)
    }

    #[inline]
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error> {
        let (value, read) = bincode::serde::borrow_decode_from_slice(bytes, CONFIG)
            .map_err(BincodeError::Decode)?;
        match bytes.len() - read {
            0 => Ok(value),
            count => Err(BincodeError::TrailingBytes { count }),
        }
    }
}
