//! Host-function calls (`host_calls/*`):
//!
//! - `host_calls/small`, per codec: a plugin call that hands its small
//!   struct to a host function and returns the reply (one host call, the
//!   struct each way), `{codec}/framework` with `#[wasmer_plugin]`,
//!   `#[host_functions]` and `host_fn`, against `{codec}/baseline`, the
//!   same on the hand-written bare-minimum ABI (`benches/plugins/baseline`);
//! - `host_calls/ping_1000`: a plugin call making 1,000 calls of an empty
//!   host function, `framework` and `baseline`; a thousandth of it is the
//!   cost of one.

use std::hint::black_box;

use criterion::{BenchmarkGroup, measurement::WallTime};
use wasmer_plugin_bench_payloads::{Rng, SEED, Small, Work};
use wasmer_plugin_benches::{Baseline, bench_plugins, criterion};
use wasmer_plugin_host::{Bincode, Codec, Host, Json, MsgPack, Postcard};

/// Empty host-function calls per iteration of `host_calls/ping_1000`.
const PINGS: u32 = 1000;

fn relay<K: Codec>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    host: &mut Host,
    baseline: &mut Baseline,
    value: &Small,
) {
    let name = format!("relay_{}", K::NAME);
    let framework = host.function_in::<K, Small, Small>(&name).unwrap();
    let expected = value.clone().work();
    assert_eq!(host.call_function(&framework, value).unwrap(), expected);
    let bare = baseline.function(&name);
    assert_eq!(baseline.round_trip::<K, Small>(&bare, value), expected);
    group.bench_function(format!("{}/framework", K::NAME), |b| {
        b.iter(|| host.call_function(&framework, black_box(value)).unwrap())
    });
    group.bench_function(format!("{}/baseline", K::NAME), |b| {
        b.iter(|| baseline.round_trip::<K, Small>(&bare, black_box(value)))
    });
}

fn main() {
    let plugins = bench_plugins();
    let mut host = plugins.host_calls_host();
    let mut baseline = Baseline::new(&plugins.baseline);
    let value = Small::generate(&mut Rng::new(SEED));
    let mut c = criterion().configure_from_args();

    let mut group = c.benchmark_group("host_calls/small");
    relay::<Bincode>(&mut group, &mut host, &mut baseline, &value);
    relay::<MsgPack>(&mut group, &mut host, &mut baseline, &value);
    relay::<Postcard>(&mut group, &mut host, &mut baseline, &value);
    relay::<Json>(&mut group, &mut host, &mut baseline, &value);
    group.finish();

    let mut group = c.benchmark_group("host_calls/ping_1000");
    let ping = host.function::<u32, ()>("ping_host").unwrap();
    group.bench_function("framework", |b| {
        b.iter(|| host.call_function(&ping, black_box(&PINGS)).unwrap())
    });
    group.bench_function("baseline", |b| {
        b.iter(|| baseline.ping_host(black_box(PINGS)))
    });
    group.finish();
    c.final_summary();
}
