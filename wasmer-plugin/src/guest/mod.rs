//! The guest runtime that `#[wasmer_plugin]` and `#[host_functions]`
//! expand to: the allocator exports, the slot, the output buffer, the body
//! of every plugin export, host-function calls and panic capture. Reached
//! by generated code through the hidden `__private` module; not a public
//! API, names here change without notice.
//!
//! Its statics exist only in a wasm32 guest, where a host calls one export
//! at a time on the module's one thread. Natively (a plugin crate's unit
//! tests, the trybuild tests) the same functions type-check the generated
//! code, and the ones that would touch guest state fail before they reach
//! any: nothing is shared between test threads.

// A wasm32 build with shared memory and atomics could run guest code on
// several threads, which the statics below do not allow (and which a
// wasmer-plugin host refuses to load anyway).
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!(
    "wasmer-plugin guests are single-threaded: build the plugin for wasm32 without the `atomics` target feature (wasmer-plugin hosts refuse shared memories)"
);

mod args;
mod batch;
#[cfg(target_arch = "wasm32")]
mod cell;
mod exports;
mod imports;
mod log_records;
#[cfg(any(target_arch = "wasm32", test))]
mod message;
mod panic;
mod schema;
#[cfg(target_arch = "wasm32")]
mod slot;

pub use args::{BytesArg, StrArg};
pub use batch::{ArgColumn, ColumnArg, ColumnReturn, DenseVariable, RowMarker, run_batch};
pub use exports::{FunctionInfo, guest_alloc, guest_free, run_export};
pub use imports::{HostImport, ImportInfo, call_host, outside_a_plugin};
pub use panic::record_panic;
pub use schema::{TraceDeserialize, TraceUntraceable, TypeProbe, run_schema};
