//! What one call costs, in nanoseconds, in this build: the small-struct
//! bincode round trip (`observe/small`) and a plugin call making 1,000
//! empty host calls (`observe/ping_1000`), each the median over blocks of
//! calls. No subscriber is ever set.
//!
//! The report builds it twice, without and with the host's `tracing`
//! feature, and runs the two binaries in turn several times: what the
//! feature costs with nothing listening is only visible across two
//! processes, whose speed differs by a few percent on a shared machine,
//! and alternating them keeps a slow drift from landing on one side.
//!
//! ```text
//! cargo run -p wasmer-plugin-benches --release --example observe_probe [--features tracing]
//! ```
//!
//! Prints one `name=nanoseconds` line per call.

use std::hint::black_box;
use std::time::Instant;

use wasmer_plugin_bench_payloads::{Rng, SEED, Small};
use wasmer_plugin_benches::bench_plugins;
use wasmer_plugin_host::{Bincode, Host};

const BLOCKS: usize = 300;

/// The median over [`BLOCKS`] blocks of `calls` calls of one call's time.
fn per_call(calls: u32, mut call: impl FnMut()) -> f64 {
    // Warm up: the first calls grow the plugin's memory and fill caches.
    for _ in 0..calls {
        call();
    }
    let mut blocks: Vec<f64> = (0..BLOCKS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                call();
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(calls)
        })
        .collect();
    blocks.sort_by(f64::total_cmp);
    blocks[BLOCKS / 2]
}

fn main() {
    let plugins = bench_plugins();

    let mut host = Host::<Bincode>::new(&plugins.framework).unwrap();
    let small = host.function::<Small, Small>("small_bincode").unwrap();
    let value = Small::generate(&mut Rng::new(SEED));
    let ns = per_call(2_000, || {
        black_box(host.call_function(&small, black_box(&value)).unwrap());
    });
    println!("observe/small={ns:.2}");

    let mut host = plugins.host_calls_host();
    let ping = host.function::<u32, ()>("ping_host").unwrap();
    let ns = per_call(20, || {
        host.call_function(&ping, black_box(&1000)).unwrap();
    });
    println!("observe/ping_1000={ns:.2}");
}
