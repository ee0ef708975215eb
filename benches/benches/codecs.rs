//! Codecs in-process, no wasm: encode and decode time per codec and
//! payload, with the legacy-bincode reference row. One group per payload
//! (`codec/{payload}`), functions `{codec}/encode` and `{codec}/decode`.

use std::hint::black_box;

use criterion::Criterion;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_benches::{LegacyBincode, Payloads, criterion};
use wasmer_plugin_host::{Bincode, Codec, Json, MsgPack, Postcard};

fn codec<C: Codec, T: Serialize + DeserializeOwned>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    value: &T,
) {
    let mut buffer = Vec::new();
    group.bench_function(format!("{}/encode", C::NAME), |b| {
        b.iter(|| {
            buffer.clear();
            C::encode(black_box(value), &mut buffer).unwrap();
        })
    });
    let encoded = {
        let mut encoded = Vec::new();
        C::encode(value, &mut encoded).unwrap();
        encoded
    };
    group.bench_function(format!("{}/decode", C::NAME), |b| {
        b.iter(|| C::decode::<T>(black_box(&encoded)).unwrap())
    });
}

fn payload<T: Serialize + DeserializeOwned>(c: &mut Criterion, name: &str, value: &T) {
    let mut group = c.benchmark_group(format!("codec/{name}"));
    codec::<Bincode, T>(&mut group, value);
    codec::<MsgPack, T>(&mut group, value);
    codec::<Postcard, T>(&mut group, value);
    codec::<Json, T>(&mut group, value);
    codec::<LegacyBincode, T>(&mut group, value);
    group.finish();
}

fn main() {
    let payloads = Payloads::load();
    let mut c = criterion().configure_from_args();
    for (name, value) in &payloads.small {
        payload(&mut c, name, value);
    }
    for (name, value) in &payloads.tweets {
        payload(&mut c, name, value);
    }
    for (name, value) in &payloads.geometry {
        payload(&mut c, name, value);
    }
    for (name, value) in &payloads.catalog {
        payload(&mut c, name, value);
    }
    for (name, value) in &payloads.blob {
        payload(&mut c, name, value);
    }
    c.final_summary();
}
