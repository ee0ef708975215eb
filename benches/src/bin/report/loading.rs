//! The "Loading and instantiating" section: a cache hit and the first
//! host, a host from a compiled plugin, a fresh instance per call against
//! a kept one, and the framework's empty call against wasmer's (the
//! `scale` benchmark's `load` and `instances` groups, and the
//! `load_probe` example's breakdown).

use std::fmt::Write;
use std::path::Path;

use crate::measurements::Measurements;
use crate::{ratio_value, time, verdict};

/// A warm cache hit and the plugin's first host, at most this many
/// nanoseconds.
const CACHE_HIT_FIRST_HOST_NS: f64 = 500_000.0;
/// `Host::from_plugin`, at most this many nanoseconds (4 × under the
/// 60 µs it took before this section existed).
const FROM_PLUGIN_NS: f64 = 15_000.0;
/// A call with a fresh instance at most this many times one on a kept
/// instance.
const FRESH_OVER_KEPT: f64 = 10.0;
/// The framework's empty call at most this many times a bare wasmer
/// typed call of an empty export.
const EMPTY_OVER_WASMER: f64 = 1.5;

/// Runs the `load_probe` example's breakdown and returns its Markdown
/// lines.
pub fn probe(workspace: &Path) -> String {
    crate::example_output(workspace, "load_probe", &["report"])
}

pub fn section(w: &mut String, m: &Measurements, probe: &str) {
    let load = |name: &str| m.get("load", name);
    let instances = |name: &str| m.get("instances", name);
    let _ = writeln!(w, "## Loading and instantiating\n");
    let _ = writeln!(
        w,
        "The framework benchmark plugin (`benches/benches/scale.rs`). \
         **load/cache_hit_first_host**: a `Plugin` from a warm compiled-module cache \
         and its first `Host` (which also reads the functions' schemas), what a process \
         starting a cached plugin waits for; **load/host_from_plugin**: a `Host` from a \
         compiled `Plugin`. **instances/kept_instance** and **fresh_instance**: the \
         small-struct bincode round trip on an instance kept from call to call and with \
         `fresh_instance_per_call(true)` (an instantiation in every call); \
         **empty_call**: `Host::call_function` of a `#[wasmer_plugin]` function that does \
         nothing; **wasmer_empty_call**: a bare wasmer `TypedFunction::call` of an empty \
         export (the baseline plugin's).\n"
    );
    let _ = writeln!(w, "| measurement | median |");
    let _ = writeln!(w, "|---|---:|");
    for name in ["cache_hit_first_host", "cache_hit", "host_from_plugin"] {
        let _ = writeln!(w, "| load/{name} | {} |", time(load(name)));
    }
    for name in [
        "kept_instance",
        "fresh_instance",
        "empty_call",
        "wasmer_empty_call",
    ] {
        let _ = writeln!(w, "| instances/{name} | {} |", time(instances(name)));
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "| target | measured | met |");
    let _ = writeln!(w, "|---|---:|:---:|");
    let hit = load("cache_hit_first_host");
    let _ = writeln!(
        w,
        "| a cache hit and the first `Host` < {} | {} | {} |",
        time(Some(CACHE_HIT_FIRST_HOST_NS)),
        time(hit),
        verdict(hit.map(|ns| ns < CACHE_HIT_FIRST_HOST_NS)),
    );
    let _ = writeln!(
        w,
        "| … and ≥ 5 × faster than Extism's warm-cache build | — | not measured (Extism is not built here) |"
    );
    let from_plugin = load("host_from_plugin");
    let _ = writeln!(
        w,
        "| `Host::from_plugin` ≤ {} | {} | {} |",
        time(Some(FROM_PLUGIN_NS)),
        time(from_plugin),
        verdict(from_plugin.map(|ns| ns <= FROM_PLUGIN_NS)),
    );
    let fresh = ratio_value(instances("fresh_instance"), instances("kept_instance"));
    let _ = writeln!(
        w,
        "| a fresh instance per call ≤ {FRESH_OVER_KEPT} × a call on a kept instance | {} | {} |",
        fresh.map_or("—".into(), |r| format!("{r:.1}×")),
        verdict(fresh.map(|r| r <= FRESH_OVER_KEPT)),
    );
    let empty = ratio_value(instances("empty_call"), instances("wasmer_empty_call"));
    let _ = writeln!(
        w,
        "| the empty call ≤ {EMPTY_OVER_WASMER} × a bare wasmer typed call | {} | {} |\n",
        empty.map_or("—".into(), |r| format!("{r:.2}×")),
        verdict(empty.map(|r| r <= EMPTY_OVER_WASMER)),
    );
    let _ = writeln!(
        w,
        "Where the time goes, from `cargo run -p wasmer-plugin-benches --release --example load_probe -- report`:\n"
    );
    let _ = writeln!(w, "{}", probe.trim());
    let _ = writeln!(w);
    let _ = writeln!(w, "{}\n", WHERE_THE_TIME_GOES.trim());
}

/// What `perf` showed over the probe's steps (2026-12-07), which the
/// numbers above do not say by themselves.
const WHERE_THE_TIME_GOES: &str = r#"
Before a hit stopped re-checking the code, two thirds of it went to the pass over every function body that checks the code limits (`max_functions`, `max_control_blocks`…); a hit now skips it, its key holding the code limits the stored module met. The entry is read once and loaded from the bytes checked (before: our read, then wasmer's validating load from the path, which read and checked it again), with an xxh3-128 checksum instead of blake3. What remains of a hit is wasmer making the artifact's code executable (copies and page faults of the entry), the read, and the blake3 digest of the wasm that names the entry. The first `Host` is nearly all the schema exports running in the plugin, one per function; a later `Host`, which a fresh-instance call pays on every call, is the instantiation alone.
"#;
