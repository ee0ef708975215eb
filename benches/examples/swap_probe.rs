//! Measures a hot reload under load, for the "Hot reload" section of
//! docs/BENCHMARKS.md, and prints it as Markdown: 4 threads call the
//! framework plugin's `small_bincode` through one `HostPool` without
//! pause while the main thread swaps the plugin 20 times, each swap a new
//! `Plugin` from the warm compiled-module cache and `HostPool::reload`.
//! Every call's latency is kept, and the calls that started while a swap
//! ran (or within 2 ms after it, when each thread's next call makes its
//! instance of the new version) are compared with the same spans half-way
//! between swaps (the control: what the machine's scheduler does to calls
//! without a swap). Swaps on an idle pool come first, for the swap's own
//! time. The last lines, `max_over_median_in_swaps=R` and
//! `max_over_median_in_control=R`, are what the report's target row reads.
//!
//! `cargo run -p wasmer-plugin-benches --release --example swap_probe`

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmer_plugin_bench_payloads::Small;
use wasmer_plugin_benches::{Payloads, bench_plugins};
use wasmer_plugin_host::{Bincode, HostPool, Plugin};

const THREADS: usize = 4;
const SWAPS: usize = 20;
const BETWEEN_SWAPS: Duration = Duration::from_millis(100);
/// How long after a swap ended its calls still count as the swap's.
const AFTER: Duration = Duration::from_millis(2);

fn main() {
    let wasm = bench_plugins().framework;
    let payloads = Payloads::load();
    let (_, small) = &payloads.small[0];
    let cache =
        std::env::temp_dir().join(format!("wasmer-plugin-swap-probe-{}", std::process::id()));
    let build = || {
        Plugin::builder()
            .cache(&cache)
            .build(&wasm)
            .expect("the framework plugin loads")
    };
    let pool = HostPool::<Bincode>::new(&build());
    let function = pool.function::<Small, Small>("small_bincode").unwrap();
    // The swap's own time, with nothing else running.
    let mut idle: Vec<(Duration, Duration)> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let plugin = build();
            let loaded = started.elapsed();
            pool.reload(&plugin).unwrap();
            (loaded, started.elapsed() - loaded)
        })
        .collect();
    idle.sort_unstable();
    let epoch = Instant::now();
    let stop = AtomicBool::new(false);
    // (start since epoch, duration), in ns, per call.
    let (calls, swaps) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (pool, stop, function) = (&pool, &stop, &function);
                scope.spawn(move || {
                    let mut calls: Vec<(u64, u64)> = Vec::with_capacity(1 << 20);
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        let answer = pool.call_function(function, small).unwrap();
                        let took = started.elapsed();
                        std::hint::black_box(answer);
                        calls.push((
                            started.duration_since(epoch).as_nanos() as u64,
                            took.as_nanos() as u64,
                        ));
                    }
                    calls
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        // (start, load time, reload time), per swap.
        let mut swaps = Vec::with_capacity(SWAPS);
        for _ in 0..SWAPS {
            let started = Instant::now();
            let plugin = build();
            let loaded = started.elapsed();
            pool.reload(&plugin).unwrap();
            let reloaded = started.elapsed() - loaded;
            drop(plugin);
            swaps.push((
                started.duration_since(epoch).as_nanos() as u64,
                loaded,
                reloaded,
            ));
            std::thread::sleep(BETWEEN_SWAPS);
        }
        stop.store(true, Ordering::Relaxed);
        let calls: Vec<(u64, u64)> = workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect();
        (calls, swaps)
    });
    let _ = std::fs::remove_dir_all(&cache);

    let after = AFTER.as_nanos() as u64;
    let half_way = BETWEEN_SWAPS.as_nanos() as u64 / 2;
    let in_windows = |offset: u64| -> Vec<u64> {
        let mut list: Vec<u64> = calls
            .iter()
            .filter(|(start, _)| {
                swaps.iter().any(|(swap, load, reload)| {
                    let end = swap + (*load + *reload).as_nanos() as u64 + after;
                    (swap + offset..end + offset).contains(start)
                })
            })
            .map(|&(_, took)| took)
            .collect();
        list.sort_unstable();
        list
    };
    let during = in_windows(0);
    let control = in_windows(half_way);
    let mut all: Vec<u64> = calls.iter().map(|&(_, took)| took).collect();
    all.sort_unstable();
    let median = all[all.len() / 2] as f64;
    let max = |list: &[u64]| list.last().copied().unwrap_or(0) as f64;
    let quantile = |list: &[u64], q: f64| {
        list.get(((list.len() as f64 * q) as usize).min(list.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
    };
    let slow = |list: &[u64]| {
        list.iter()
            .filter(|&&took| took as f64 > 2.0 * median)
            .count()
    };
    let mut loads: Vec<Duration> = swaps.iter().map(|&(_, load, _)| load).collect();
    let mut reloads: Vec<Duration> = swaps.iter().map(|&(_, _, reload)| reload).collect();
    loads.sort_unstable();
    reloads.sort_unstable();
    let us = |ns: f64| format!("{:.1} µs", ns / 1000.0);

    let (idle_load, idle_reload) = idle[idle.len() / 2];
    println!(
        "A swap on an idle pool: a `Plugin` from the warm compiled-module cache in {}, \
         then `HostPool::reload` in {} (it makes one instance of the new version, which reads \
         its schemas and runs its start function, before it installs it) (medians of {}).\n",
        us(idle_load.as_nanos() as f64),
        us(idle_reload.as_nanos() as f64),
        idle.len(),
    );
    println!(
        "Under load: {THREADS} threads calling `small_bincode` through the pool without pause \
         ({} calls in all, median {}) on this 2-core machine, {SWAPS} swaps {} ms apart; a swap \
         then took {} to load and {} to reload (medians; worst reload {}), sharing the cores \
         with the callers. The calls that started while a swap ran or in the {} ms after it, \
         against the same spans half-way between swaps:\n",
        all.len(),
        us(median),
        BETWEEN_SWAPS.as_millis(),
        us(loads[loads.len() / 2].as_nanos() as f64),
        us(reloads[reloads.len() / 2].as_nanos() as f64),
        us(reloads[reloads.len() - 1].as_nanos() as f64),
        AFTER.as_millis(),
    );
    println!("| calls | count | p99 | p99.9 | slowest | slowest / median | over 2 × median |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, list) in [("during swaps", &during), ("control", &control)] {
        println!(
            "| {name} | {} | {} | {} | {} | {:.0}× | {} ({:.3} %) |",
            list.len(),
            us(quantile(list, 0.99)),
            us(quantile(list, 0.999)),
            us(max(list)),
            max(list) / median,
            slow(list),
            100.0 * slow(list) as f64 / list.len().max(1) as f64,
        );
    }
    println!();
    println!("max_over_median_in_swaps={:.2}", max(&during) / median);
    println!("max_over_median_in_control={:.2}", max(&control) / median);
}
