//! The WebAssembly features a plugin may use, and the name of the one a
//! refused module needs.
//!
//! The engine enables what Rust's `wasm32-unknown-unknown` target emits
//! by default (bulk memory, multi-value, mutable globals, non-trapping
//! float-to-int, reference types, sign extension) and SIMD, which is
//! plain computation. Everything else is off on purpose: threads (an
//! atomic wait blocks the calling thread for as long as the plugin asks,
//! beyond fuel), exception handling (every thrown exception stays in host
//! memory until the instance is dropped), multiple memories and 64-bit
//! memories (the memory limit counts one 32-bit memory), and the proposals
//! no plugin toolchain emits by default (tail calls, relaxed SIMD,
//! extended constants, wide arithmetic, typed function references, GC).

use wasmer::sys::Features;
use wasmer::wasmparser::{Validator, WasmFeatures};

/// The features the engine compiles plugins with.
pub(crate) fn plugin_features() -> Features {
    let mut features = Features::none();
    features
        .bulk_memory(true)
        .multi_value(true)
        .reference_types(true)
        .simd(true);
    features
}

/// The same set as wasmparser names it; wasmer always adds mutable
/// globals, non-trapping float-to-int, sign extension, floats and GC types
/// to what [`Features`] says.
fn allowed() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::FLOATS
        | WasmFeatures::GC_TYPES
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::SIMD
}

/// The features that are off, each with the name an error gives it.
const REFUSED: &[(WasmFeatures, &str)] = &[
    (WasmFeatures::THREADS, "threads (shared memory and atomics)"),
    (WasmFeatures::EXCEPTIONS, "exception handling"),
    (
        WasmFeatures::LEGACY_EXCEPTIONS,
        "exception handling (legacy)",
    ),
    (WasmFeatures::MULTI_MEMORY, "multiple memories"),
    (WasmFeatures::MEMORY64, "64-bit memory"),
    (WasmFeatures::TAIL_CALL, "tail calls"),
    (WasmFeatures::RELAXED_SIMD, "relaxed SIMD"),
    (
        WasmFeatures::EXTENDED_CONST,
        "extended constant expressions",
    ),
    (WasmFeatures::WIDE_ARITHMETIC, "wide arithmetic"),
    (
        WasmFeatures::FUNCTION_REFERENCES,
        "typed function references",
    ),
    (WasmFeatures::GC, "garbage collection"),
    (WasmFeatures::CUSTOM_PAGE_SIZES, "custom page sizes"),
];

/// The refused feature that `wasm` needs first, if that is why it does not
/// validate: the one that, once allowed, gets validation past the point
/// where it failed.
pub(crate) fn refused_feature(wasm: &[u8]) -> Option<&'static str> {
    let first_error = |features: WasmFeatures| {
        Validator::new_with_features(features)
            .validate_all(wasm)
            .err()
            .map(|err| err.offset())
    };
    let offset = first_error(allowed())?;
    REFUSED
        .iter()
        .find_map(|&(feature, name)| match first_error(allowed() | feature) {
            Some(later) if later <= offset => None,
            _ => Some(name),
        })
}
