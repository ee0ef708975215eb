//! The codecs `wasmer-plugin` ships, one cargo feature each.
//!
//! | type | format | pick it when |
//! |---|---|---|
//! | [`Bincode`] (default) | bincode 2, standard config (varint integers) | both sides are Rust and you want speed |
//! | [`Postcard`] | postcard 1 | payloads should be as small as possible |
//! | [`MsgPack`] | MessagePack via rmp-serde, structs as maps | the other side is not Rust, or fields may be added over time |
//! | [`Json`] | JSON via serde_json | you want to read the bytes, or talk to a JSON tool |
//!
//! Every codec decodes `&str` and `&[u8]` without copying where its format
//! stores them as they are. The binary codecs move byte buffers (`Vec<u8>`,
//! `&[u8]`, `Box<[u8]>`) with their format's bytes type and bulk copies,
//! never byte by byte, without `serde_bytes`: Bincode and Postcard
//! wherever the buffer sits (their wire is the same either way), MsgPack
//! as a whole value or a whole tuple's element, that is as a plugin
//! function's argument or return value (`bin` there, see docs/ABI.md).
//! Every codec refuses values nested deeper than
//! [`MAX_DEPTH`] levels (a deep value would otherwise overflow the
//! decoding thread's stack). Bincode, Postcard and Json reject bytes left
//! over after the value; MsgPack's decoder cannot report its position, so
//! it ignores them.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "bincode")]
mod bincode_codec;
#[cfg_attr(
    not(any(feature = "bincode", feature = "msgpack", feature = "postcard")),
    allow(dead_code)
)]
mod bytes;
mod copy;
mod depth;
#[cfg(feature = "json")]
mod finite;
#[cfg(feature = "json")]
mod json_codec;
#[cfg(feature = "msgpack")]
mod msgpack_codec;
#[cfg(feature = "postcard")]
mod postcard_codec;

pub use wasmer_plugin_abi::Codec;

#[cfg(feature = "bincode")]
pub use bincode_codec::Bincode;
#[cfg(feature = "json")]
pub use json_codec::Json;
#[cfg(feature = "msgpack")]
pub use msgpack_codec::MsgPack;
#[cfg(feature = "postcard")]
pub use postcard_codec::Postcard;

pub use depth::MAX_DEPTH;

/// The error of a codec whose format cannot say "bytes left over" or
/// "nested too deep" itself.
#[derive(Debug)]
#[non_exhaustive]
pub enum CodecError<E> {
    /// The format's own error.
    Format(E),
    /// A value was decoded but bytes were left after it.
    TrailingBytes {
        /// How many bytes were left.
        count: usize,
    },
    /// The value is nested deeper than [`MAX_DEPTH`] levels.
    TooDeep,
}

#[cfg(any(feature = "postcard", feature = "json"))]
impl<E> CodecError<E> {
    /// The error of a decode that [`depth::decode_limited`] ran.
    fn from_limited((err, too_deep): (E, bool)) -> Self {
        if too_deep {
            CodecError::TooDeep
        } else {
            CodecError::Format(err)
        }
    }
}

impl<E: core::fmt::Display> core::fmt::Display for CodecError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CodecError::Format(err) => err.fmt(f),
            CodecError::TooDeep => depth::TooDeep.fmt(f),
            CodecError::TrailingBytes { count } => {
                write!(f, "{count} bytes left over after the value")
            }
        }
    }
}

#[cfg(feature = "std")]
impl<E: core::fmt::Debug + core::fmt::Display> std::error::Error for CodecError<E> {}

impl<E> From<E> for CodecError<E> {
    fn from(err: E) -> Self {
        CodecError::Format(err)
    }
}
