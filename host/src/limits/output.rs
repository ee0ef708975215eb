//! The output limit: how many bytes one call may return.

use crate::{Builder, Error};

/// Default for [`Builder::max_output_bytes`]: 64 MiB of payload and 64 KiB
/// for the codec's framing, counted as for the input
/// ([`DEFAULT_MAX_INPUT_BYTES`](crate::DEFAULT_MAX_INPUT_BYTES)).
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 64 * 1024 * 1024 + super::input::FRAMING_ALLOWANCE;

impl<O: crate::builder::Target> Builder<O> {
    /// The longest output a call may return; longer is
    /// [`Error::OutputTooLarge`], checked before the output is read.
    /// Default [`DEFAULT_MAX_OUTPUT_BYTES`].
    pub fn max_output_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_output_bytes = bytes;
        self
    }
}

/// Refuses an output of `len` bytes that the plugin reported for
/// `function` when it is over the limit.
#[inline]
pub(crate) fn check_output(function: &str, len: u64, limit: u64) -> Result<(), Error> {
    if len > limit {
        return Err(Error::OutputTooLarge {
            function: function.to_owned(),
            len,
            limit,
        });
    }
    Ok(())
}
