//! The module size limit, checked before anything else reads the module.

use crate::{Builder, Error};

/// Default for [`Builder::max_module_bytes`]: 8 MiB. Release builds of
/// Rust plugins take a few hundred KiB to a few MiB; compiling grows with
/// the module, and 8 MiB of the costliest code measured takes seconds and
/// about 2 GiB to compile (docs/SECURITY.md).
pub const DEFAULT_MAX_MODULE_BYTES: u64 = 8 * 1024 * 1024;

impl<O: crate::builder::Target> Builder<O> {
    /// The largest plugin module the host loads; a larger one is
    /// [`Error::LoadLimit`] before anything is compiled. Default
    /// [`DEFAULT_MAX_MODULE_BYTES`]. Compiling costs time and memory in
    /// proportion to the module: up to about a second and 300 MB per MiB
    /// for the worst shapes measured (docs/SECURITY.md), so lower it for
    /// plugins from untrusted sources. Compilation cannot be interrupted:
    /// this limit, not [`timeout`](Builder::timeout), bounds it.
    pub fn max_module_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_module_bytes = bytes;
        self
    }
}

/// Refuses a module of `len` bytes over the limit.
pub(crate) fn check_module_size(len: usize, limit: u64) -> Result<(), Error> {
    if len as u64 > limit {
        return Err(Error::LoadLimit {
            limit: "max_module_bytes",
            reason: format!("the module is {len} bytes, over the {limit}-byte limit"),
        });
    }
    Ok(())
}
