//! The shared test functions, built with the bincode codec.
wasmer_plugin_tests_common::plugin_functions!("bincode");

static CALLS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// How many times this instance was called, kept in a static: instances
/// must not share it.
#[wasmer_plugin::wasmer_plugin]
pub fn count() -> u64 {
    CALLS.fetch_add(1, core::sync::atomic::Ordering::Relaxed) + 1
}
