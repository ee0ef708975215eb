//! How big a module may be: the bytes that compile, bounded by
//! `max_module_bytes` (checked after one pass over the sections, before
//! compiling), and the whole file, bounded by `max_file_bytes` (checked
//! before anything reads it).
//!
//! Custom sections other than the plugin's metadata (DWARF, `name`,
//! `producers`) are not compiled: a debug build carries megabytes of them
//! that cost the compiler nothing, so they count only toward the file.

use crate::{Builder, Error};

/// Default for [`Builder::max_module_bytes`]: 8 MiB. Release builds of
/// Rust plugins take a few hundred KiB to a few MiB, debug builds a few
/// MiB of code besides their debug sections.
pub const DEFAULT_MAX_MODULE_BYTES: u64 = 8 * 1024 * 1024;

/// Default for [`Builder::max_file_bytes`]: 64 MiB, room for a debug build
/// (its DWARF sections take 5 to 15 MiB) within 8 MiB of code.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

impl<O: crate::builder::Target> Builder<O> {
    /// The most bytes of a plugin module the host compiles: the module
    /// without its custom sections other than the plugin's metadata (a
    /// debug build's DWARF, names and producers are not compiled and do
    /// not count). A larger module is [`Error::LoadLimit`] before anything
    /// is compiled. Default [`DEFAULT_MAX_MODULE_BYTES`]. What compiling
    /// costs follows the functions, blocks and calls of the module more
    /// than its bytes: [`max_functions`](Builder::max_functions),
    /// [`max_function_bytes`](Builder::max_function_bytes),
    /// [`max_control_blocks`](Builder::max_control_blocks) and
    /// [`max_calls`](Builder::max_calls) bound those; under all their
    /// defaults the costliest module measured loads in about 2 s and
    /// 100 MB on two cores (docs/SECURITY.md). Compilation cannot be
    /// interrupted: these limits, not [`timeout`](Builder::timeout),
    /// bound it.
    pub fn max_module_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_module_bytes = bytes;
        self
    }

    /// The largest plugin file the host reads, custom sections included;
    /// a larger one is [`Error::LoadLimit`] before anything reads it.
    /// Default [`DEFAULT_MAX_FILE_BYTES`]. Reading a section costs time in
    /// proportion to its size, and wasmer keeps custom sections in memory
    /// with the compiled module.
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_file_bytes = bytes;
        self
    }
}

/// Refuses a file of `len` bytes over `max_file_bytes`.
pub(crate) fn check_file_size(len: usize, limit: u64) -> Result<(), Error> {
    if len as u64 > limit {
        return Err(Error::LoadLimit {
            limit: "max_file_bytes",
            reason: format!(
                "the file is {len} bytes with its custom sections, over the {limit}-byte limit"
            ),
        });
    }
    Ok(())
}

/// Refuses a module of `len` bytes that compile over `max_module_bytes`;
/// `uncompiled` more bytes of custom sections did not count.
pub(crate) fn check_module_size(len: usize, uncompiled: usize, limit: u64) -> Result<(), Error> {
    let compiled = len.saturating_sub(uncompiled);
    if compiled as u64 > limit {
        let besides = match uncompiled {
            0 => String::new(),
            _ => format!(" ({uncompiled} bytes of custom sections besides do not count)"),
        };
        return Err(Error::LoadLimit {
            limit: "max_module_bytes",
            reason: format!(
                "the module is {compiled} bytes to compile, over the {limit}-byte limit{besides}"
            ),
        });
    }
    Ok(())
}
