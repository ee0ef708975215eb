//! The input limit: how many bytes of encoded arguments one call may send.

use crate::{Builder, Error};

/// Default for [`Builder::max_input_bytes`]: 64 MiB, far above ordinary
/// payloads and far below wasm32's 4 GiB address space.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

impl<O: crate::builder::Target> Builder<O> {
    /// The longest encoded arguments a call may send; longer is
    /// [`Error::InputTooLarge`]. Default [`DEFAULT_MAX_INPUT_BYTES`]; at
    /// most 4 GiB - 1, the most a wasm32 guest can address.
    pub fn max_input_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_input_bytes = bytes.min(u32::MAX as u64);
        self
    }
}

/// Refuses `len` bytes of arguments for `function` when they are over the
/// limit, before anything reaches the plugin.
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
