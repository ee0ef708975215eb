//! Parses GeoJSON polygons (canada.json from `WASMER_PLUGIN_CORPUS`, or
//! generated full-precision coordinates) with serde_json as built, and
//! prints one line: the median parse time, and how many coordinates a
//! round trip (parse, write, parse) changed.
//!
//! ```text
//! cargo run --release --manifest-path benches/float-probe/Cargo.toml [--features lossless]
//! ```
#![forbid(unsafe_code)]

use std::time::Instant;

use wasmer_plugin_bench_payloads::{FeatureCollection, Rng};

const RUNS: usize = 41;

fn main() {
    let (name, text) = match std::env::var_os("WASMER_PLUGIN_CORPUS").filter(|dir| !dir.is_empty())
    {
        Some(dir) => {
            let path = std::path::Path::new(&dir).join("canada.json");
            let text = std::fs::read(&path)
                .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
            ("canada.json", text)
        }
        None => {
            let collection = FeatureCollection::full_precision(&mut Rng::new(11), 100, 1000);
            (
                "generated",
                serde_json::to_vec(&collection).expect("encodes"),
            )
        }
    };
    let parse = |bytes: &[u8]| -> FeatureCollection {
        serde_json::from_slice(bytes).expect("a GeoJSON polygon collection")
    };
    let mut times: Vec<u128> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(parse(std::hint::black_box(&text)));
            start.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    let first = parse(&text);
    let again = parse(&serde_json::to_vec(&first).expect("encodes"));
    let changed = first
        .coordinates()
        .zip(again.coordinates())
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    println!(
        "payload={name} parse_ns={} changed={changed} coordinates={}",
        times[RUNS / 2],
        first.coordinates().count()
    );
}
