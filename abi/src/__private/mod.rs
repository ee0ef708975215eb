//! The guest runtime that `#[wasmer_plugin]` expands to. Not a public API:
//! names here change without notice.

mod args;
mod exports;
mod panic;

pub use crate::metadata::{function_record, function_record_len};
pub use args::{BytesArg, StrArg};
pub use exports::{FunctionInfo, guest_alloc, guest_free, run_export};
pub use panic::record_panic;
