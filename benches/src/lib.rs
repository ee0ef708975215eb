//! What the benchmarks and the report share: the payload list, the
//! legacy-bincode reference codec, the benchmark plugins, and a host for
//! the hand-written baseline plugin.
//!
//! `cargo bench -p wasmer-plugin-benches` runs the benchmarks;
//! `cargo run -p wasmer-plugin-benches --release --bin report` runs them
//! and writes `docs/BENCHMARKS.md` and `docs/benchmarks.svg`.

mod baseline;
mod legacy;
mod payloads;
mod plugins;
pub mod wasm_bytes;

pub use baseline::{Baseline, BaselineFunction};
pub use legacy::LegacyBincode;
pub use payloads::{CORPUS_ENV, Payload, PayloadVisitor, Payloads, corpus_dir};
pub use plugins::{BenchPlugins, bench_plugins, scalar_simd_plugin, without_schemas};

/// Set, this environment variable's value is appended to the round-trip
/// group names (`round_trip/blob_64k [tag]`), so that a second run under
/// another environment sits beside the first in one report.
pub const TAG_ENV: &str = "WASMER_PLUGIN_BENCH_TAG";

/// The group of the 64 KiB byte echoes in `benches/round_trip.rs`: the
/// obvious signature, the `serde_bytes` one, and native.
pub const BYTES_GROUP: &str = "round_trip/bytes_64k";

/// The codecs the report compares, by `Codec::NAME`, shipping ones first.
pub const CODECS: [&str; 4] = ["bincode", "msgpack", "postcard", "json"];

/// Criterion settings for every benchmark here: short, so that the whole
/// report runs in minutes on a 2-core machine, with enough samples for
/// stable medians.
pub fn criterion() -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(50)
        .without_plots()
}
