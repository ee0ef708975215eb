//! The SIMD benchmark's kernels as plugin functions. The benchmark builds
//! this crate twice, as the build helper does by default (`+simd128`) and
//! with `Options::without_simd`, and calls both on the same megabyte.

use wasmer_plugin::wasmer_plugin;

/// The number of newlines in `data`.
#[wasmer_plugin]
pub fn count_newlines(data: &[u8]) -> u64 {
    wasmer_plugin_bench_payloads::count_newlines(data)
}

/// `pixels` (RGBA bytes) brightened.
#[wasmer_plugin]
pub fn brighten(pixels: &[u8]) -> Vec<u8> {
    wasmer_plugin_bench_payloads::brighten(pixels)
}
