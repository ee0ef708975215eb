//! Where loading and instantiating spend their time, for the "Loading and
//! instantiating" section of docs/BENCHMARKS.md: runs one step of it in a
//! loop, long enough for `perf record` to see where the time goes, and
//! prints the median.
//!
//! - `cache_hit N`: a `Plugin` of the framework benchmark plugin from a
//!   warm compiled-module cache, and its first `Host`;
//! - `from_plugin N`: a `Host` from a compiled `Plugin` whose schemas
//!   were read already;
//! - `fresh_call N`: the small bincode call on a host with a fresh
//!   instance per call.
//!
//! - `report`: the steps of a cache hit and a first host, one after the
//!   other, as Markdown for the report.
//!
//! `cargo run -p wasmer-plugin-benches --release --example load_probe -- cache_hit 2000`

use std::hint::black_box;
use std::time::{Duration, Instant};

use wasmer_plugin_bench_payloads::Small;
use wasmer_plugin_benches::{Payloads, bench_plugins};
use wasmer_plugin_host::{Bincode, CacheOutcome, Host, Plugin};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["report"] {
        report();
        return;
    }
    let (step, runs) = match &args[..] {
        [step, runs] => (step.as_str(), runs.parse().expect("a number of runs")),
        _ => {
            eprintln!("usage: load_probe cache_hit|from_plugin|fresh_call N | report");
            return;
        }
    };
    let wasm = bench_plugins().framework;
    let median = match step {
        "cache_hit" => {
            let cache = std::env::temp_dir().join(format!("load-probe-{}", std::process::id()));
            let warm = Plugin::builder().cache(&cache).build(&wasm).unwrap();
            assert!(matches!(warm.cache_outcome(), CacheOutcome::Stored { .. }));
            let median = measure(runs, || {
                let plugin = Plugin::builder().cache(&cache).build(&wasm).unwrap();
                assert!(matches!(plugin.cache_outcome(), CacheOutcome::Hit { .. }));
                black_box(Host::<Bincode>::from_plugin(&plugin).unwrap());
            });
            let _ = std::fs::remove_dir_all(&cache);
            median
        }
        "from_plugin" => {
            let plugin = Plugin::new(&wasm).unwrap();
            drop(Host::<Bincode>::from_plugin(&plugin).unwrap());
            measure(runs, || {
                black_box(Host::<Bincode>::from_plugin(&plugin).unwrap());
            })
        }
        "fresh_call" => {
            let payloads = Payloads::load();
            let (_, small) = &payloads.small[0];
            let mut host = Host::<Bincode>::builder()
                .fresh_instance_per_call(true)
                .build(&wasm)
                .unwrap();
            let function = host.function::<Small, Small>("small_bincode").unwrap();
            measure(runs, || {
                black_box(host.call_function(&function, black_box(small)).unwrap());
            })
        }
        other => panic!("no step {other}"),
    };
    println!("{step}: median {median:?} over {runs} runs");
}

/// The steps of starting a cached plugin, each measured on its own
/// (medians of 50 to 2,000 runs).
fn report() {
    let wasm = bench_plugins().framework;
    let runs = 200;
    let cache = std::env::temp_dir().join(format!("load-probe-{}", std::process::id()));
    drop(Plugin::builder().cache(&cache).build(&wasm).unwrap());
    let entry_bytes: u64 = std::fs::read_dir(&cache)
        .unwrap()
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .map(|metadata| metadata.len())
        .sum();
    let hit = measure(runs, || {
        black_box(Plugin::builder().cache(&cache).build(&wasm).unwrap());
    });
    // Each a plugin of its own, so that each host is a first one.
    let first_runs = 50;
    let mut plugins = (0..first_runs)
        .map(|_| Plugin::builder().cache(&cache).build(&wasm).unwrap())
        .collect::<Vec<_>>();
    let first = measure(first_runs, || {
        let plugin = plugins.pop().unwrap();
        black_box(Host::<Bincode>::from_plugin(&plugin).unwrap());
    });
    let plugin = Plugin::new(&wasm).unwrap();
    drop(Host::<Bincode>::from_plugin(&plugin).unwrap());
    let later = measure(runs * 10, || {
        black_box(Host::<Bincode>::from_plugin(&plugin).unwrap());
    });
    let _ = std::fs::remove_dir_all(&cache);
    println!(
        "- The plugin: {} KiB of wasm, a cache entry of {} KiB.",
        wasm.len() / 1024,
        entry_bytes / 1024
    );
    println!("- A `Plugin` from the warm cache: {}.", shown(hit));
    println!(
        "- Its first `Host` (an instance, and the schemas read through it): {}.",
        shown(first)
    );
    println!(
        "- A later `Host` of a plugin whose schemas were read: {}.",
        shown(later)
    );
}

fn shown(time: Duration) -> String {
    format!("{:.1} µs", time.as_secs_f64() * 1e6)
}

fn measure(runs: usize, mut step: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            step();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}
