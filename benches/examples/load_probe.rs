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
//!   instance per call;
//! - `wasmer_instance N`: what `from_plugin` cannot go below: a bare
//!   wasmer `Instance::new` of the same module in a new `Store` (default
//!   engine and tunables; the plugin has no imports), dropped;
//! - `empty_call N`: N runs of 1,000 calls of a function that does
//!   nothing, on a kept instance (the median per call);
//! - `empty_pair N`: `empty_call` interleaved with as many bare wasmer
//!   typed calls of the baseline plugin's empty export, the ratio the
//!   empty-call target is about.
//!
//! - `report`: the steps of a cache hit and a first host, one after the
//!   other, as Markdown for the report.
//!
//! `cargo run -p wasmer-plugin-benches --release --example load_probe -- cache_hit 2000`

use std::hint::black_box;
use std::time::{Duration, Instant};

use wasmer_plugin_bench_payloads::Small;
use wasmer_plugin_benches::{Baseline, Payloads, bench_plugins};
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
            eprintln!(
                "usage: load_probe cache_hit|from_plugin|wasmer_instance|fresh_call|empty_call|empty_pair N | report"
            );
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
        "wasmer_instance" => measure(runs, wasmer_instance(&wasm)),
        "instance_pair" => {
            let plugin = Plugin::new(&wasm).unwrap();
            drop(Host::<Bincode>::from_plugin(&plugin).unwrap());
            let (ours, bare) = measure_pair(
                runs,
                || {
                    black_box(Host::<Bincode>::from_plugin(&plugin).unwrap());
                },
                wasmer_instance(&wasm),
            );
            println!("from_plugin {ours:?}, bare wasmer instance {bare:?} (interleaved)");
            ours
        }
        "empty_call" => {
            let mut host = Host::<Bincode>::new(&wasm).unwrap();
            let empty = host.function::<(), ()>("empty").unwrap();
            let per_run = 1000;
            measure(runs, || {
                for _ in 0..per_run {
                    host.call_function(&empty, &()).unwrap();
                }
            }) / per_run
        }
        "empty_pair" => {
            let mut host = Host::<Bincode>::new(&wasm).unwrap();
            let empty = host.function::<(), ()>("empty").unwrap();
            let mut baseline = Baseline::new(&bench_plugins().baseline);
            let per_run = 1000;
            let (ours, bare) = measure_pair(
                runs,
                || {
                    for _ in 0..per_run {
                        host.call_function(&empty, &()).unwrap();
                    }
                },
                || {
                    for _ in 0..per_run {
                        baseline.empty_call();
                    }
                },
            );
            let (ours, bare) = (ours / per_run, bare / per_run);
            println!(
                "empty call {ours:?}, bare wasmer typed call {bare:?} (interleaved): {:.2}x",
                ours.as_secs_f64() / bare.as_secs_f64()
            );
            ours
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
/// (medians of 50 to 2,000 runs), for the framework plugin and the small
/// SIMD one.
fn report() {
    let plugins = bench_plugins();
    for (name, wasm) in [
        ("framework", &plugins.framework),
        ("SIMD kernels", &plugins.simd),
    ] {
        report_plugin(name, wasm);
    }
}

fn report_plugin(name: &str, wasm: &[u8]) {
    let runs = 200;
    let cache = std::env::temp_dir().join(format!("load-probe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    // Before any instance: the cache has the entry, not the schemas.
    let plugins_without_schemas = (0..50)
        .map(|_| Plugin::builder().cache(&cache).build(wasm).unwrap())
        .collect::<Vec<_>>();
    let cache_bytes: u64 = std::fs::read_dir(&cache)
        .unwrap()
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .map(|metadata| metadata.len())
        .sum();
    let mut plugins_without_schemas = plugins_without_schemas.into_iter();
    let reading_schemas = measure(50, || {
        let plugin = plugins_without_schemas.next().unwrap();
        black_box(Host::<Bincode>::from_plugin(&plugin).unwrap());
    });
    // Now the cache has both.
    let hit = measure(runs, || {
        black_box(Plugin::builder().cache(&cache).build(wasm).unwrap());
    });
    let hit_and_first = measure(runs, || {
        let plugin = Plugin::builder().cache(&cache).build(wasm).unwrap();
        black_box(Host::<Bincode>::from_plugin(&plugin).unwrap());
    });
    let _ = std::fs::remove_dir_all(&cache);
    let plugin = Plugin::new(wasm).unwrap();
    drop(Host::<Bincode>::from_plugin(&plugin).unwrap());
    let (later, bare) = measure_pair(
        runs * 10,
        || {
            black_box(Host::<Bincode>::from_plugin(&plugin).unwrap());
        },
        wasmer_instance(wasm),
    );
    println!(
        "- The {name} plugin: {} KiB of wasm, {} KiB in the cache (entry and schemas).",
        wasm.len() / 1024,
        cache_bytes / 1024
    );
    println!(
        "  - A `Plugin` from the warm cache: {}; with its first `Host`: {}.",
        shown(hit),
        shown(hit_and_first)
    );
    println!(
        "  - The first `Host` of a plugin whose schemas the cache does not have yet (its schema exports run): {}.",
        shown(reading_schemas)
    );
    println!(
        "  - A later `Host`: {}, against {} for a bare wasmer `Instance::new` of the same module in a new `Store` (interleaved: {:.2}×).",
        shown(later),
        shown(bare),
        later.as_secs_f64() / bare.as_secs_f64()
    );
}

/// A bare wasmer instantiation of `wasm`, for [`measure`].
fn wasmer_instance(wasm: &[u8]) -> impl FnMut() + use<> {
    let engine = wasmer::Engine::default();
    let module = wasmer::Module::new(&engine, wasm).unwrap();
    move || {
        let mut store = wasmer::Store::new(engine.clone());
        let instance = wasmer::Instance::new(&mut store, &module, &wasmer::imports! {}).unwrap();
        black_box((instance, store));
    }
}

fn shown(time: Duration) -> String {
    format!("{:.1} µs", time.as_secs_f64() * 1e6)
}

/// The medians of `first` and `second` over `runs` runs each, run in
/// turn so that both see the same machine.
fn measure_pair(
    runs: usize,
    mut first: impl FnMut(),
    mut second: impl FnMut(),
) -> (Duration, Duration) {
    let mut times = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let start = Instant::now();
        first();
        times.0.push(start.elapsed());
        let start = Instant::now();
        second();
        times.1.push(start.elapsed());
    }
    times.0.sort();
    times.1.sort();
    (times.0[runs / 2], times.1[runs / 2])
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
