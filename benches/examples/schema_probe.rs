//! What the type check costs once, on the benchmark plugin: reading the
//! schemas at a compiled plugin's first instance, checking a return type
//! at lookup, checking the arguments at the first call, and the bytes the
//! schema exports add to the `.wasm`.
//!
//! ```text
//! cargo run -p wasmer-plugin-benches --release --example schema_probe [-- path/to/plugin-without-schemas.wasm]
//! ```
//!
//! Prints `name=value` lines; times are medians over fresh plugins, in
//! microseconds, each the difference between the first time and a later
//! time that checks nothing.

use std::hint::black_box;
use std::time::Instant;

use wasmer_plugin_bench_payloads::{Rng, SEED, Small, Tweets};
use wasmer_plugin_benches::bench_plugins;
use wasmer_plugin_host::{Bincode, Host, Plugin};

const RUNS: usize = 11;

fn micros(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1e6
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let plugins = bench_plugins();
    let wasm = &plugins.framework;
    let small = Small::generate(&mut Rng::new(SEED));
    let tweets = Tweets::generate(&mut Rng::new(SEED), 20);
    let (mut read, mut instantiate) = (Vec::new(), Vec::new());
    let (mut lookup_small, mut lookup_tweets) = (Vec::new(), Vec::new());
    let (mut call_small, mut call_tweets) = (Vec::new(), Vec::new());
    let mut functions = 0;
    for _ in 0..RUNS {
        let plugin = Plugin::new(wasm).unwrap();
        functions = plugin.functions().len();
        let mut host = None;
        let first = micros(|| host = Some(Host::<Bincode>::from_plugin(&plugin).unwrap()));
        let later = micros(|| drop(black_box(Host::<Bincode>::from_plugin(&plugin).unwrap())));
        read.push(first - later);
        instantiate.push(later);
        let mut host = host.unwrap();

        let lookup = |name: &str, out: &mut Vec<f64>, tweets: bool| {
            let look = |host: &Host<Bincode>| match tweets {
                true => drop(black_box(host.function::<Tweets, Tweets>(name).unwrap())),
                false => drop(black_box(host.function::<Small, Small>(name).unwrap())),
            };
            let first = micros(|| look(&host));
            let cached = micros(|| look(&host));
            out.push(first - cached);
        };
        lookup("small_bincode", &mut lookup_small, false);
        lookup("tweets_bincode", &mut lookup_tweets, true);

        let function = host.function::<Small, Small>("small_bincode").unwrap();
        let first = micros(|| drop(black_box(host.call_function(&function, &small).unwrap())));
        let later = micros(|| drop(black_box(host.call_function(&function, &small).unwrap())));
        call_small.push(first - later);
        let function = host.function::<Tweets, Tweets>("tweets_bincode").unwrap();
        let first = micros(|| drop(black_box(host.call_function(&function, &tweets).unwrap())));
        let later = micros(|| drop(black_box(host.call_function(&function, &tweets).unwrap())));
        call_tweets.push(first - later);
    }
    println!("functions={functions}");
    println!("read_schemas_us={:.0}", median(read));
    println!("instantiate_us={:.0}", median(instantiate));
    println!("lookup_small_us={:.1}", median(lookup_small));
    println!("lookup_tweets_us={:.1}", median(lookup_tweets));
    println!("first_call_small_us={:.1}", median(call_small));
    println!("first_call_tweets_us={:.1}", median(call_tweets));
    println!("wasm_bytes={}", wasm.len());
    if let Some(path) = std::env::args().nth(1) {
        let without = std::fs::read(&path).unwrap_or_else(|err| panic!("reading {path}: {err}"));
        println!("wasm_bytes_without_schemas={}", without.len());
    }
}
