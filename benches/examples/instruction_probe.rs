//! Instruction counts of 20,000 small calls, for comparing two builds of
//! the framework (a change against its parent, say) where wall-clock
//! ratios on a shared machine move by 10 %: callgrind counts only what
//! `measured` runs, the same for the same binary and input.
//!
//! ```text
//! cargo build --release -p wasmer-plugin-benches --example instruction_probe
//! valgrind --tool=callgrind --toggle-collect='*measured*' --callgrind-out-file=out \
//!     target/release/examples/instruction_probe round_trip postcard framework
//! callgrind_annotate out | grep 'PROGRAM TOTALS'
//! ```
//!
//! Arguments: `round_trip` (a plugin call of the small struct) or `relay`
//! (the same through one host call each way); a codec; `framework` or
//! `baseline` (the hand-written bare-minimum ABI).
use std::hint::black_box;

use wasmer_plugin_bench_payloads::{Rng, SEED, Small};
use wasmer_plugin_benches::{Baseline, bench_plugins};
use wasmer_plugin_host::{Bincode, Codec, Host, Json, MsgPack, Postcard};

const CALLS: usize = 20_000;

#[inline(never)]
fn measured(mut call: impl FnMut()) {
    for _ in 0..CALLS {
        call();
    }
}

fn round_trip<C: Codec>(framework: &[u8], baseline: &mut Baseline, value: &Small, which: &str) {
    let name = format!("small_{}", C::NAME);
    let mut host = Host::<C>::new(framework).unwrap();
    let function = host.function::<Small, Small>(&name).unwrap();
    let bare = baseline.function(&name);
    // Warm both once.
    host.call_function(&function, value).unwrap();
    baseline.round_trip::<C, Small>(&bare, value);
    match which {
        "framework" => measured(|| {
            black_box(host.call_function(&function, black_box(value)).unwrap());
        }),
        _ => measured(|| {
            black_box(baseline.round_trip::<C, Small>(&bare, black_box(value)));
        }),
    }
}

fn relay<K: Codec>(host: &mut Host, baseline: &mut Baseline, value: &Small, which: &str) {
    let name = format!("relay_{}", K::NAME);
    let framework = host.function_in::<K, Small, Small>(&name).unwrap();
    let bare = baseline.function(&name);
    host.call_function(&framework, value).unwrap();
    baseline.round_trip::<K, Small>(&bare, value);
    match which {
        "framework" => measured(|| {
            black_box(host.call_function(&framework, black_box(value)).unwrap());
        }),
        _ => measured(|| {
            black_box(baseline.round_trip::<K, Small>(&bare, black_box(value)));
        }),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kind, codec, which) = (args[1].as_str(), args[2].as_str(), args[3].as_str());
    let plugins = bench_plugins();
    let mut baseline = Baseline::new(&plugins.baseline);
    let value = Small::generate(&mut Rng::new(SEED));
    match kind {
        "round_trip" => match codec {
            "bincode" => round_trip::<Bincode>(&plugins.framework, &mut baseline, &value, which),
            "postcard" => round_trip::<Postcard>(&plugins.framework, &mut baseline, &value, which),
            "msgpack" => round_trip::<MsgPack>(&plugins.framework, &mut baseline, &value, which),
            _ => round_trip::<Json>(&plugins.framework, &mut baseline, &value, which),
        },
        _ => {
            let mut host = plugins.host_calls_host();
            match codec {
                "bincode" => relay::<Bincode>(&mut host, &mut baseline, &value, which),
                "postcard" => relay::<Postcard>(&mut host, &mut baseline, &value, which),
                "msgpack" => relay::<MsgPack>(&mut host, &mut baseline, &value, which),
                _ => relay::<Json>(&mut host, &mut baseline, &value, which),
            }
        }
    }
}
