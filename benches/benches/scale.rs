//! Plugins at scale, on the framework benchmark plugin:
//!
//! - `load`: `compile` (a `Plugin` from bytes), `cache_hit` (the same from
//!   a warm compiled-module cache), `host_new` (`Host::new` from bytes:
//!   compile and instantiate), `host_from_plugin` (a `Host` from a compiled
//!   `Plugin`: instantiate only);
//! - `load/cache_hit_first_host`: a warm cache hit and the plugin's first
//!   `Host` (the schemas come from the cache too): what a process starting
//!   a cached plugin waits for;
//! - `instances`: the small-struct bincode round trip on a kept instance
//!   (`kept_instance`) and with a fresh instance per call
//!   (`fresh_instance`); the framework's call of a function that does
//!   nothing (`empty_call`) against a bare wasmer typed call of an empty
//!   export (`wasmer_empty_call`, the baseline plugin's);
//! - `threads/small`: the small-struct bincode round trip through
//!   `host_call_function` (a plain `Host`), `pool_one_thread` (a
//!   `HostPool` on one thread) and `pool_two_threads` (the same calls
//!   split between two threads; time per call, so throughput is the
//!   inverse).

use std::hint::black_box;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use wasmer_plugin_bench_payloads::Small;
use wasmer_plugin_benches::{Baseline, BenchPlugins, Payloads, bench_plugins, criterion};
use wasmer_plugin_host::{Bincode, CacheOutcome, Function, Host, HostPool, Plugin};

fn load(c: &mut Criterion, wasm: &[u8]) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("compile", |b| {
        b.iter(|| Plugin::new(black_box(wasm)).unwrap())
    });
    group.bench_function("host_new", |b| {
        b.iter(|| Host::<Bincode>::new(black_box(wasm)).unwrap())
    });
    let cache = std::env::temp_dir().join(format!("wasmer-plugin-bench-{}", std::process::id()));
    let warm = Plugin::builder().cache(&cache).build(wasm).unwrap();
    assert!(matches!(warm.cache_outcome(), CacheOutcome::Stored { .. }));
    // Its first instance reads the schemas and keeps them in the cache,
    // as a process that ran the plugin before has.
    drop(Host::<Bincode>::from_plugin(&warm).unwrap());
    group.sample_size(50);
    group.bench_function("cache_hit", |b| {
        b.iter(|| {
            let plugin = Plugin::builder()
                .cache(&cache)
                .build(black_box(wasm))
                .unwrap();
            debug_assert!(matches!(plugin.cache_outcome(), CacheOutcome::Hit { .. }));
            plugin
        })
    });
    group.bench_function("cache_hit_first_host", |b| {
        b.iter(|| {
            let plugin = Plugin::builder()
                .cache(&cache)
                .build(black_box(wasm))
                .unwrap();
            Host::<Bincode>::from_plugin(&plugin).unwrap()
        })
    });
    let plugin = Plugin::new(wasm).unwrap();
    group.bench_function("host_from_plugin", |b| {
        b.iter(|| Host::<Bincode>::from_plugin(black_box(&plugin)).unwrap())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&cache);
}

/// A thread that makes `n` pool calls when asked and says how long they took.
struct Worker {
    ask: mpsc::Sender<u64>,
    done: mpsc::Receiver<Duration>,
}

impl Worker {
    fn spawn(
        pool: &'static HostPool<Bincode>,
        function: Function<Small, Small>,
        value: Small,
    ) -> Worker {
        let (ask, asked) = mpsc::channel::<u64>();
        let (finished, done) = mpsc::channel();
        std::thread::spawn(move || {
            for calls in asked {
                let start = Instant::now();
                for _ in 0..calls {
                    black_box(pool.call_function(&function, black_box(&value)).unwrap());
                }
                if finished.send(start.elapsed()).is_err() {
                    return;
                }
            }
        });
        Worker { ask, done }
    }
}

fn instances(c: &mut Criterion, plugins: &BenchPlugins, value: &Small) {
    let mut kept = Host::<Bincode>::new(&plugins.framework).unwrap();
    let mut fresh = Host::<Bincode>::builder()
        .fresh_instance_per_call(true)
        .build(&plugins.framework)
        .unwrap();
    let small = kept.function::<Small, Small>("small_bincode").unwrap();
    let fresh_small = fresh.function::<Small, Small>("small_bincode").unwrap();
    let empty = kept.function::<(), ()>("empty").unwrap();
    assert!(
        fresh.call_function(&fresh_small, value).unwrap()
            == kept.call_function(&small, value).unwrap()
    );
    let mut baseline = Baseline::new(&plugins.baseline);

    let mut group = c.benchmark_group("instances");
    group.bench_function("kept_instance", |b| {
        b.iter(|| kept.call_function(&small, black_box(value)).unwrap())
    });
    group.bench_function("fresh_instance", |b| {
        b.iter(|| fresh.call_function(&fresh_small, black_box(value)).unwrap())
    });
    group.bench_function("empty_call", |b| {
        b.iter(|| kept.call_function(&empty, &()).unwrap())
    });
    group.bench_function("wasmer_empty_call", |b| b.iter(|| baseline.empty_call()));
    group.finish();
}

fn threads(c: &mut Criterion, wasm: &[u8], value: &Small) {
    let plugin = Plugin::new(wasm).unwrap();
    let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
    let function = host.function::<Small, Small>("small_bincode").unwrap();
    // Leaked: the workers outlive this function's borrows.
    let pool: &'static HostPool<Bincode> = Box::leak(Box::new(HostPool::new(&plugin)));
    let expected = host.call_function(&function, value).unwrap();
    assert!(pool.call_function(&function, value).unwrap() == expected);

    let mut group = c.benchmark_group("threads/small");
    group.bench_function("host_call_function", |b| {
        b.iter(|| host.call_function(&function, black_box(value)).unwrap())
    });
    group.bench_function("pool_one_thread", |b| {
        b.iter(|| pool.call_function(&function, black_box(value)).unwrap())
    });
    let workers = [
        Worker::spawn(pool, function, value.clone()),
        Worker::spawn(pool, function, value.clone()),
    ];
    group.bench_function("pool_two_threads", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for worker in &workers {
                worker.ask.send(iters.div_ceil(2)).unwrap();
            }
            for worker in &workers {
                worker.done.recv().unwrap();
            }
            start.elapsed()
        })
    });
    group.finish();
}

fn main() {
    let plugins = bench_plugins();
    let payloads = Payloads::load();
    let (_, small) = &payloads.small[0];
    let mut c = criterion().configure_from_args();
    load(&mut c, &plugins.framework);
    instances(&mut c, &plugins, small);
    threads(&mut c, &plugins.framework, small);
    c.final_summary();
}
