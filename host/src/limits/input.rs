//! The input limit: how many bytes of encoded arguments one call may send.

use crate::{Builder, Error};

/// Default for [`Builder::max_input_bytes`]: 64 MiB of payload and 64 KiB
/// for the codec's framing, far above ordinary payloads and far below
/// wasm32's 4 GiB address space.
///
/// Limits count encoded bytes, which is what crosses into the plugin and
/// what its memory holds; a 64 MiB buffer (a 4096 x 4096 RGBA image) with
/// its length prefix, and the tuple or struct around it, fits the default.
/// When setting a limit for a payload size, leave a little room the same
/// way: a few bytes of length prefix per buffer or string in the binary
/// codecs, much more in JSON.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024 + FRAMING_ALLOWANCE;

/// What the default input and output limits allow over 64 MiB.
pub(crate) const FRAMING_ALLOWANCE: u64 = 64 * 1024;

impl<O: crate::builder::Target> Builder<O> {
    /// The longest encoded arguments a call may send; longer is
    /// [`Error::InputTooLarge`]. Default [`DEFAULT_MAX_INPUT_BYTES`] (which
    /// says how the bytes are counted); at most 4 GiB - 1, the most a
    /// wasm32 guest can address. It bounds what a plugin sends a host
    /// function too.
    pub fn max_input_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_input_bytes = bytes.min(u32::MAX as u64);
        self
    }
}

/// Refuses `len` bytes of arguments for `function` when they are over the
/// limit, before anything reaches the plugin.
#[inline]
pub(crate) fn check_input(function: &str, len: usize, limit: u64) -> Result<(), Error> {
    if len as u64 > limit {
        return Err(Error::InputTooLarge {
            function: function.to_owned(),
            len: len as u64,
            limit,
        });
    }
    Ok(())
}
