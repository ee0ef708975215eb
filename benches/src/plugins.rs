use std::path::Path;

use wasmer_plugin_bench_payloads::{Small, Work};
use wasmer_plugin_build::Options;
use wasmer_plugin_host::{Bincode, Host, Json, MsgPack, Postcard};

/// The wasm bytes of the benchmark plugins (`benches/plugins`).
pub struct BenchPlugins {
    /// `#[wasmer_plugin]` functions named `{payload}_{codec}`.
    pub framework: Vec<u8>,
    /// The same functions on the bare minimum ABI, and its host-function
    /// relays.
    pub baseline: Vec<u8>,
    /// `#[wasmer_plugin]` relays to `#[host_functions]` imports.
    pub host_calls: Vec<u8>,
    /// The SIMD kernels, built with `+simd128` (the helper's default).
    pub simd: Vec<u8>,
}

/// Builds the benchmark plugins for wasm32 (into `target/bench-plugins`,
/// a target dir of their own) and reads them.
///
/// # Panics
/// When the build fails, with cargo's output.
pub fn bench_plugins() -> BenchPlugins {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wasm_dir = wasmer_plugin_build::build(
        &here.join("plugins/Cargo.toml"),
        &here.join("../target/bench-plugins"),
    )
    .unwrap_or_else(|err| panic!("building the benchmark plugins: {err}"));
    let read = |crate_name: &str| {
        let file = wasmer_plugin_build::wasm_file(&wasm_dir, crate_name);
        std::fs::read(&file).unwrap_or_else(|err| panic!("reading {}: {err}", file.display()))
    };
    BenchPlugins {
        framework: read("bench-framework-plugin"),
        baseline: read("bench-baseline-plugin"),
        host_calls: read("bench-host-calls-plugin"),
        simd: read("bench-simd-plugin"),
    }
}

/// The SIMD kernels' plugin built with `Options::without_simd` (into
/// `target/bench-plugins-scalar`: other rustflags, so a target dir of
/// their own, or each build would undo the other's).
///
/// # Panics
/// When the build fails, with cargo's output.
pub fn scalar_simd_plugin() -> Vec<u8> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = Options::default()
        .without_simd()
        .package("bench-simd-plugin");
    let wasm_dir = wasmer_plugin_build::build_with(
        &here.join("plugins/Cargo.toml"),
        &here.join("../target/bench-plugins-scalar"),
        &options,
    )
    .unwrap_or_else(|err| panic!("building the scalar SIMD plugin: {err}"));
    let file = wasmer_plugin_build::wasm_file(&wasm_dir, "bench-simd-plugin");
    std::fs::read(&file).unwrap_or_else(|err| panic!("reading {}: {err}", file.display()))
}

impl BenchPlugins {
    /// A host of the host-calls plugin with the host functions it imports:
    /// `transform_{codec}` (the small struct's `work`) and `ping`.
    ///
    /// # Panics
    /// When the plugin does not load.
    pub fn host_calls_host(&self) -> Host<Bincode> {
        Host::<Bincode>::builder()
            .host_fn_in::<Bincode, _, _, _>("transform_bincode", |_, value: Small| value.work())
            .host_fn_in::<MsgPack, _, _, _>("transform_msgpack", |_, value: Small| value.work())
            .host_fn_in::<Postcard, _, _, _>("transform_postcard", |_, value: Small| value.work())
            .host_fn_in::<Json, _, _, _>("transform_json", |_, value: Small| value.work())
            .host_fn("ping", |_, (): ()| {})
            .build(&self.host_calls)
            .unwrap_or_else(|err| panic!("loading the host-calls plugin: {}", err.report()))
    }
}

/// `wasm` with its schema exports renamed so that a host finds none: the
/// same code, called unchecked, for measuring what the check costs. (The
/// new names keep the length, so the module stays valid.)
pub fn without_schemas(wasm: &[u8]) -> Vec<u8> {
    const SCHEMA: &[u8] = b"__wasmer_plugin_schema_";
    const HIDDEN: &[u8] = b"__wasmer_Plugin_schema_";
    let mut out = wasm.to_vec();
    let mut at = 0;
    while let Some(found) = out[at..].windows(SCHEMA.len()).position(|w| w == SCHEMA) {
        out[at + found..at + found + SCHEMA.len()].copy_from_slice(HIDDEN);
        at += found + SCHEMA.len();
    }
    out
}
