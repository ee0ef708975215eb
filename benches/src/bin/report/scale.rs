//! The "plugins at scale" section: loading, instances, threads and the
//! deadline, from the `scale` benchmark and the `scale_probe` example.

use std::fmt::Write;
use std::path::Path;

use crate::measurements::Measurements;
use crate::pairs::Pairs;
use crate::{time, verdict};

/// Loading from the cache at least this many times faster than compiling.
const CACHE_OVER_COMPILE: f64 = 100.0;
/// A host from a compiled plugin at least this many times faster than
/// `Host::new` from bytes.
const FROM_PLUGIN_OVER_NEW: f64 = 50.0;
/// Two threads' throughput at least this many times one thread's.
const TWO_THREADS_THROUGHPUT: f64 = 1.8;
/// The pool on one thread at most this many times a plain host call.
const POOL_OVER_HOST: f64 = 1.1;

/// Runs the `scale_probe` example and returns its Markdown lines.
pub fn probe(workspace: &Path) -> String {
    crate::example_output(workspace, "scale_probe", &["report"])
}

pub fn section(w: &mut String, m: &Measurements, probe: &str, pairs: &Pairs) {
    let load = |name: &str| m.get("load", name);
    let threads = |name: &str| m.get("threads/small", name);
    let over = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
    let _ = writeln!(w, "## Plugins at scale\n");
    let _ = writeln!(
        w,
        "The framework benchmark plugin (`benches/benches/scale.rs`). \
         `compile` makes a `Plugin` from bytes; `cache_hit` the same from a warm \
         compiled-module cache (one read; key and checksum checked); \
         `host_new` is `Host::new` from bytes (compile and instantiate); \
         `host_from_plugin` instantiates a compiled `Plugin`. The thread rows \
         are the small-struct bincode round trip through a plain `Host`, a \
         `HostPool` on one thread, and a `HostPool` called from two threads \
         at once (time per call, so throughput is its inverse).\n"
    );
    let _ = writeln!(w, "| measurement | median |");
    let _ = writeln!(w, "|---|---:|");
    for name in ["compile", "cache_hit", "host_new", "host_from_plugin"] {
        let _ = writeln!(w, "| load/{name} | {} |", time(load(name)));
    }
    for name in ["host_call_function", "pool_one_thread", "pool_two_threads"] {
        let _ = writeln!(w, "| threads/small/{name} | {} |", time(threads(name)));
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "| target | measured | met |");
    let _ = writeln!(w, "|---|---:|:---:|");
    let cache = over(load("compile"), load("cache_hit"));
    let _ = writeln!(
        w,
        "| loading from the cache ≥ {CACHE_OVER_COMPILE} × faster than compiling | {} | {} |",
        cache.map_or("—".into(), |r| format!("{r:.0}×")),
        verdict(cache.map(|r| r >= CACHE_OVER_COMPILE)),
    );
    let from_plugin = over(load("host_new"), load("host_from_plugin"));
    let _ = writeln!(
        w,
        "| a `Host` from a compiled `Plugin` ≥ {FROM_PLUGIN_OVER_NEW} × faster than `Host::new` | {} | {} |",
        from_plugin.map_or("—".into(), |r| format!("{r:.0}×")),
        verdict(from_plugin.map(|r| r >= FROM_PLUGIN_OVER_NEW)),
    );
    let two = over(threads("host_call_function"), threads("pool_two_threads"));
    let _ = writeln!(
        w,
        "| small calls on 2 threads through the pool: throughput ≥ {TWO_THREADS_THROUGHPUT} × one thread's | {} | {} |",
        two.map_or("—".into(), |r| format!("{r:.2}×")),
        verdict(two.map(|r| r >= TWO_THREADS_THROUGHPUT)),
    );
    let medians = over(threads("pool_one_thread"), threads("host_call_function"));
    let (measured, met) = pairs.judge("threads/small/pool_over_host", medians, POOL_OVER_HOST);
    let _ = writeln!(
        w,
        "| the pool on one thread ≤ {POOL_OVER_HOST} × a plain `Host::call_function` (interleaved, see Targets) | {measured} | {met} |\n",
    );
    let _ = writeln!(
        w,
        "From `cargo run -p wasmer-plugin-benches --release --example scale_probe -- report`, in the same run:\n"
    );
    let _ = writeln!(w, "{}", probe.trim());
    let _ = writeln!(w);
}
