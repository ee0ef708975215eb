//! The guest runtime that `#[wasmer_plugin]` expands to. Not a public API:
//! names here change without notice.

mod args;
mod exports;
mod imports;
mod panic;

pub use crate::metadata::{RECORD_KIND_FUNCTION, RECORD_KIND_IMPORT, record, record_len};
pub use args::{BytesArg, StrArg};
pub use exports::{FunctionInfo, guest_alloc, guest_free, run_export};
pub use imports::{HostImport, ImportInfo, call_host, outside_a_plugin};
pub use panic::record_panic;
