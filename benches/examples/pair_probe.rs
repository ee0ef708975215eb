//! The ratios the report's call-cost targets are judged on, measured
//! interleaved: blocks of 2,000 calls of one side, then of the other, 300
//! times, and the median of the blocks' ratios. On a shared machine the
//! speed drifts by tens of percent over the seconds between two criterion
//! groups; a drift that slow hits both sides of a pair alike here.
//!
//! ```text
//! cargo run -p wasmer-plugin-benches --release --example pair_probe
//! ```
//!
//! Prints one `name=ratio` line per pair, named as the criterion groups.

use std::hint::black_box;
use std::time::Instant;

use wasmer_plugin_bench_payloads::{Rng, SEED, Small};
use wasmer_plugin_benches::{Baseline, bench_plugins};
use wasmer_plugin_host::{Bincode, Codec, Host, HostPool, Json, MsgPack, Plugin, Postcard};

const BLOCKS: usize = 300;
const CALLS: usize = 2_000;

/// The median over blocks of `first`'s time over `second`'s.
fn interleaved(mut first: impl FnMut(), mut second: impl FnMut()) -> f64 {
    let block = |call: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..CALLS {
            call();
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..BLOCKS)
        .map(|_| block(&mut first) / block(&mut second))
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[BLOCKS / 2]
}

fn round_trip<C: Codec>(framework: &[u8], baseline: &mut Baseline, value: &Small) {
    let name = format!("small_{}", C::NAME);
    let mut host = Host::<C>::new(framework).unwrap();
    let function = host.function::<Small, Small>(&name).unwrap();
    let bare = baseline.function(&name);
    let ratio = interleaved(
        || {
            black_box(host.call_function(&function, black_box(value)).unwrap());
        },
        || {
            black_box(baseline.round_trip::<C, Small>(&bare, black_box(value)));
        },
    );
    println!("round_trip/small/{}={ratio:.4}", C::NAME);
}

fn relay<K: Codec>(host: &mut Host, baseline: &mut Baseline, value: &Small) {
    let name = format!("relay_{}", K::NAME);
    let framework = host.function_in::<K, Small, Small>(&name).unwrap();
    let bare = baseline.function(&name);
    let ratio = interleaved(
        || {
            black_box(host.call_function(&framework, black_box(value)).unwrap());
        },
        || {
            black_box(baseline.round_trip::<K, Small>(&bare, black_box(value)));
        },
    );
    println!("host_calls/small/{}={ratio:.4}", K::NAME);
}

/// A checked handle's call against the same call on the same plugin with
/// its schema exports renamed away, where nothing is checked: what the
/// type check costs a call after its first.
fn type_check<C: Codec>(framework: &[u8], value: &Small) {
    let name = format!("small_{}", C::NAME);
    let mut checked = Host::<C>::new(framework).unwrap();
    let function = checked.function::<Small, Small>(&name).unwrap();
    let mut unchecked = Host::<C>::new(wasmer_plugin_benches::without_schemas(framework)).unwrap();
    let bare = unchecked.function::<Small, Small>(&name).unwrap();
    assert!(unchecked.schema(&name).unwrap().args.is_err());
    let ratio = interleaved(
        || {
            black_box(checked.call_function(&function, black_box(value)).unwrap());
        },
        || {
            black_box(unchecked.call_function(&bare, black_box(value)).unwrap());
        },
    );
    println!("type_check/small/{}={ratio:.4}", C::NAME);
}

fn main() {
    let plugins = bench_plugins();
    let mut baseline = Baseline::new(&plugins.baseline);
    let value = Small::generate(&mut Rng::new(SEED));

    round_trip::<Bincode>(&plugins.framework, &mut baseline, &value);
    round_trip::<Postcard>(&plugins.framework, &mut baseline, &value);
    type_check::<Bincode>(&plugins.framework, &value);
    type_check::<Postcard>(&plugins.framework, &value);

    let mut host = plugins.host_calls_host();
    relay::<Bincode>(&mut host, &mut baseline, &value);
    relay::<MsgPack>(&mut host, &mut baseline, &value);
    relay::<Postcard>(&mut host, &mut baseline, &value);
    relay::<Json>(&mut host, &mut baseline, &value);

    // The pool on one thread against a plain host, as `threads/small`.
    let plugin = Plugin::new(&plugins.framework).unwrap();
    let pool = HostPool::<Bincode>::new(&plugin);
    let pooled = pool.function::<Small, Small>("small_bincode").unwrap();
    let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
    let plain = host.function::<Small, Small>("small_bincode").unwrap();
    let ratio = interleaved(
        || {
            black_box(pool.call_function(&pooled, black_box(&value)).unwrap());
        },
        || {
            black_box(host.call_function(&plain, black_box(&value)).unwrap());
        },
    );
    println!("threads/small/pool_over_host={ratio:.4}");
}
