use alloc::vec::Vec;

use bincode::config::{Configuration, standard};
use bincode::enc::write::Writer;
use bincode::error::{DecodeError, EncodeError};
use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::Codec;

use crate::bytes::everywhere;
use crate::depth::{TooDeep, decode_limited};

/// bincode 2 with its standard configuration (little endian, varint
/// integers). The default codec: the fastest between two Rust sides.
///
/// Decoding refuses values that would take more than
/// [`MAX_DECODED_BYTES`](Bincode::MAX_DECODED_BYTES) in memory: bincode
/// allocates a string or byte buffer at the length its prefix claims
/// before reading it, so without the limit ten bytes claiming a petabyte
/// string would abort the decoding process. Inside a wasm32 plugin the
/// host's memory limit plays that part instead.
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
    /// The value is nested deeper than [`MAX_DEPTH`](crate::MAX_DEPTH) levels.
    TooDeep,
}

impl core::fmt::Display for BincodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BincodeError::Encode(err) => err.fmt(f),
            BincodeError::Decode(DecodeError::LimitExceeded) => write!(
                f,
                "the value would take more than {} bytes in memory (a length prefix lies, or the value is too large for bincode here)",
                Bincode::MAX_DECODED_BYTES
            ),
            BincodeError::Decode(err) => err.fmt(f),
            BincodeError::TrailingBytes { count } => {
                write!(f, "{count} bytes left over after the value")
            }
            BincodeError::TooDeep => TooDeep.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BincodeError {}

const CONFIG: Configuration = standard();

/// The decoding configuration of hosts (and native code): with the limit.
#[cfg(not(target_arch = "wasm32"))]
const DECODE_CONFIG: Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<{ Bincode::MAX_DECODED_BYTES }>,
> = CONFIG.with_limit();

/// In a wasm32 plugin the limit is off. Its input comes from its host,
/// and the most a lying length prefix can make it allocate is bounded by
/// the memory limit the host enforces on the guest (the call ends in the
/// host's memory-limit error and the instance is replaced), which is
/// also what bounds a lie under 1 GiB; counting every decoded primitive
/// cost a small-struct call about 8 % (docs/BENCHMARKS.md).
#[cfg(target_arch = "wasm32")]
const DECODE_CONFIG: Configuration = CONFIG;

impl Bincode {
    /// The most memory one decoded value may claim (1 GiB), counted as
    /// bincode counts it: the in-memory size of every primitive and
    /// buffer it decodes.
    pub const MAX_DECODED_BYTES: usize = 1 << 30;
}

struct VecWriter<'a>(&'a mut Vec<u8>);

impl Writer for VecWriter<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        crate::copy::extend(self.0, bytes);
        Ok(())
    }
}

impl Codec for Bincode {
    const NAME: &'static str = "bincode";
    type Error = BincodeError;

    #[inline]
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        bincode::serde::encode_into_writer(everywhere(value), VecWriter(out), CONFIG)
            .map_err(BincodeError::Encode)
    }

    #[inline]
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error> {
        let (value, read) = decode_limited(|seed| {
            bincode::serde::seed_decode_from_slice(seed, bytes, DECODE_CONFIG)
        })
        .map_err(|(err, too_deep)| match too_deep {
            true => BincodeError::TooDeep,
            false => BincodeError::Decode(err),
        })?;
        match bytes.len() - read {
            0 => Ok(value),
            count => Err(BincodeError::TrailingBytes { count }),
        }
    }
}
