//! What wasm SIMD gains (`simd/*`): the SIMD plugin's kernels on one
//! megabyte, per group `simd/{kernel}`:
//!
//! - `simd128`: the plugin as the build helper builds it by default, with
//!   `-Ctarget-feature=+simd128`;
//! - `scalar`: the same crate built with `Options::without_simd`;
//! - `native`: the kernel in this process, no wasm (the x86-64 baseline's
//!   SSE2), for scale.
//!
//! Each wasm figure is a whole plugin call: the megabyte copied in, the
//! kernel, the answer read back.

use std::hint::black_box;

use criterion::{BenchmarkGroup, measurement::WallTime};
use serde::de::DeserializeOwned;
use wasmer::wasmparser::{Validator, WasmFeatures};
use wasmer_plugin_bench_payloads::{Rng, SEED, brighten, count_newlines, kernel_input};
use wasmer_plugin_benches::{bench_plugins, criterion, scalar_simd_plugin};
use wasmer_plugin_host::{Bincode, Host};

/// Whether `wasm` holds SIMD instructions: it fails to validate without
/// the SIMD proposal.
fn uses_simd(wasm: &[u8]) -> bool {
    Validator::new_with_features(WasmFeatures::default() - WasmFeatures::SIMD)
        .validate_all(wasm)
        .is_err()
}

/// Benchmarks `kernel` of both builds, and `native`, on `input`, after
/// checking that the three agree.
fn kernel<R: DeserializeOwned + PartialEq + std::fmt::Debug>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    hosts: &mut [(&str, Host); 2],
    name: &str,
    input: &[u8],
    native: impl Fn(&[u8]) -> R,
) {
    let expected = native(input);
    for (build, host) in hosts.iter_mut() {
        let function = host.function::<[u8], R>(name).unwrap();
        assert_eq!(
            host.call_function(&function, input).unwrap(),
            expected,
            "{name}, {build} build"
        );
        group.bench_function(*build, |b| {
            b.iter(|| host.call_function(&function, black_box(input)).unwrap())
        });
    }
    group.bench_function("native", |b| b.iter(|| native(black_box(input))));
}

fn main() {
    let simd = bench_plugins().simd;
    let scalar = scalar_simd_plugin();
    assert!(
        uses_simd(&simd),
        "the default build has no SIMD instruction"
    );
    assert!(
        !uses_simd(&scalar),
        "the without_simd build has SIMD instructions"
    );
    let mut hosts = [
        ("simd128", Host::<Bincode>::new(&simd).unwrap()),
        ("scalar", Host::<Bincode>::new(&scalar).unwrap()),
    ];
    let input = kernel_input(&mut Rng::new(SEED));
    let mut c = criterion().configure_from_args();

    let mut group = c.benchmark_group("simd/count_newlines");
    kernel(
        &mut group,
        &mut hosts,
        "count_newlines",
        &input,
        count_newlines,
    );
    group.finish();

    let mut group = c.benchmark_group("simd/brighten");
    kernel(&mut group, &mut hosts, "brighten", &input, brighten);
    group.finish();
    c.final_summary();
}
