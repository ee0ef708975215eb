//! Codecs in-process, no wasm: encode and decode time per codec and
//! payload, with the legacy-bincode reference row. One group per payload
//! (`codec/{payload}`), functions `{codec}/encode` and `{codec}/decode`.

use std::hint::black_box;

use criterion::Criterion;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_benches::{LegacyBincode, Payload, PayloadVisitor, Payloads, criterion};
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

/// One group per payload.
struct Groups<'a>(&'a mut Criterion);

impl PayloadVisitor for Groups<'_> {
    fn visit<T: Payload>(&mut self, _: &str, name: &'static str, value: &T) {
        let mut group = self.0.benchmark_group(format!("codec/{name}"));
        codec::<Bincode, T>(&mut group, value);
        codec::<MsgPack, T>(&mut group, value);
        codec::<Postcard, T>(&mut group, value);
        codec::<Json, T>(&mut group, value);
        codec::<LegacyBincode, T>(&mut group, value);
        group.finish();
    }
}

fn main() {
    let payloads = Payloads::load();
    let mut c = criterion().configure_from_args();
    payloads.visit(&mut Groups(&mut c));
    c.final_summary();
}
