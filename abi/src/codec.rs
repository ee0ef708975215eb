use alloc::vec::Vec;
use core::fmt::{Debug, Display};
use serde::{Deserialize, Serialize};

/// How values cross the boundary between host and plugin.
///
/// A codec is a type with no data (`Bincode`, `Postcard`, …) naming a wire
/// format. Host and plugin must use the same one for a function; the host
/// checks this against the plugin's metadata before every call, by
/// comparing [`Codec::NAME`].
///
/// Implement it for your own unit struct to bring another format, then
/// write `#[wasmer_plugin(codec = path::to::YourCodec)]` in the plugin and
/// `Host::<YourCodec>` in the host.
pub trait Codec {
    /// The name recorded in a plugin's metadata and compared by the host.
    /// It must be unique among the codecs one host talks to.
    const NAME: &'static str;

    /// The error both directions report. Its text reaches users verbatim.
    type Error: Debug + Display;

    /// Appends the encoding of `value` to `out`; bytes already in `out`
    /// are kept, so a caller can reuse one buffer for many calls.
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error>;

    /// Decodes one value that fills `bytes`, borrowing from it where the
    /// format and `T` allow (`&str`, `&[u8]`).
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error>;
}
