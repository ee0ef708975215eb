//! Round trips through a plugin, per payload and codec, with their
//! reference points in the same group (`round_trip/{payload}`):
//!
//! - `{codec}/framework`: `Host::call_function` on a `#[wasmer_plugin]`
//!   function: host encode, copy in, call, guest decode, work, guest
//!   encode, bounds checks, host decode;
//! - `{codec}/baseline`: the same on the hand-written bare-minimum ABI;
//! - `{codec}/native`: encode, decode, work, encode, decode, no wasm;
//! - `empty_call`: a typed wasm call that does nothing.
//!
//! And the 64 KiB byte echo (`round_trip/bytes_64k`), per codec:
//!
//! - `{codec}/obvious`: `&[u8]` in and `Vec<u8>` out, on both sides, as a
//!   user writes it without knowing `serde_bytes`;
//! - `{codec}/serde_bytes`: the same echo with `serde_bytes` types on
//!   both sides;
//! - `{codec}/native`: encode, decode, encode, decode the bytes, no wasm.

use std::hint::black_box;

use criterion::Criterion;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_bytes::{ByteBuf, Bytes};
use wasmer_plugin_bench_payloads::Work;
use wasmer_plugin_benches::{
    BYTES_GROUP, Baseline, Payload, PayloadVisitor, Payloads, TAG_ENV, bench_plugins, criterion,
};
use wasmer_plugin_host::{Bincode, Codec, Host, Json, MsgPack, Postcard};

/// A host per codec on the framework plugin, and the baseline.
struct Hosts {
    bincode: Host<Bincode>,
    msgpack: Host<MsgPack>,
    postcard: Host<Postcard>,
    json: Host<Json>,
    baseline: Baseline,
}

/// The host of codec `C`, out of [`Hosts`].
trait HostOf: Codec + Sized {
    fn host(hosts: &mut Hosts) -> &mut Host<Self>;
}

macro_rules! host_of {
    ($($codec:ty => $field:ident),*) => {
        $(impl HostOf for $codec {
            fn host(hosts: &mut Hosts) -> &mut Host<Self> {
                &mut hosts.$field
            }
        })*
    };
}

host_of!(Bincode => bincode, MsgPack => msgpack, Postcard => postcard, Json => json);

fn native<C: Codec, T: Serialize + DeserializeOwned + Work>(value: &T, buffer: &mut Vec<u8>) -> T {
    buffer.clear();
    C::encode(value, buffer).unwrap();
    let decoded: T = C::decode(buffer).unwrap();
    let worked = decoded.work();
    buffer.clear();
    C::encode(&worked, buffer).unwrap();
    C::decode(buffer).unwrap()
}

fn codec<C: HostOf, T: Payload>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    hosts: &mut Hosts,
    kind: &str,
    value: &T,
) {
    let name = format!("{kind}_{}", C::NAME);
    let function = C::host(hosts).function::<T, T>(&name).unwrap();
    let baseline_function = hosts.baseline.function(&name);

    // All three compute the same thing, or the comparison means nothing.
    let expected = native::<C, T>(value, &mut Vec::new());
    let framework = C::host(hosts).call_function(&function, value).unwrap();
    assert!(
        framework == expected,
        "{name}: the framework's answer differs from native"
    );
    let baseline = hosts.baseline.round_trip::<C, T>(&baseline_function, value);
    assert!(
        baseline == expected,
        "{name}: the baseline's answer differs from native"
    );

    let host = C::host(hosts);
    group.bench_function(format!("{}/framework", C::NAME), |b| {
        b.iter(|| host.call_function(&function, black_box(value)).unwrap())
    });
    let baseline = &mut hosts.baseline;
    group.bench_function(format!("{}/baseline", C::NAME), |b| {
        b.iter(|| baseline.round_trip::<C, T>(&baseline_function, black_box(value)))
    });
    let mut buffer = Vec::new();
    group.bench_function(format!("{}/native", C::NAME), |b| {
        b.iter(|| native::<C, T>(black_box(value), &mut buffer))
    });
}

/// The byte echoes of codec `C` on `data` (see the module docs).
fn byte_echoes<C: HostOf>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    hosts: &mut Hosts,
    data: &[u8],
) {
    let host = C::host(hosts);
    let obvious = host
        .function::<[u8], Vec<u8>>(&format!("echo_obvious_{}", C::NAME))
        .unwrap();
    let serde_bytes = host
        .function::<Bytes, ByteBuf>(&format!("echo_serde_bytes_{}", C::NAME))
        .unwrap();
    // All three move the same bytes, or the comparison means nothing.
    assert!(host.call_function(&obvious, data).unwrap() == data);
    assert!(host.call_function(&serde_bytes, Bytes::new(data)).unwrap() == data);
    assert!(native_bytes::<C>(data, &mut Vec::new()) == data);

    group.bench_function(format!("{}/obvious", C::NAME), |b| {
        b.iter(|| host.call_function(&obvious, black_box(data)).unwrap())
    });
    group.bench_function(format!("{}/serde_bytes", C::NAME), |b| {
        b.iter(|| {
            host.call_function(&serde_bytes, Bytes::new(black_box(data)))
                .unwrap()
        })
    });
    let mut buffer = Vec::new();
    group.bench_function(format!("{}/native", C::NAME), |b| {
        b.iter(|| native_bytes::<C>(black_box(data), &mut buffer))
    });
}

/// The echo's work without wasm: the bytes encoded, decoded into a
/// `Vec`, encoded, decoded into a `Vec` (the plugin's copy and the host's).
fn native_bytes<C: Codec>(data: &[u8], buffer: &mut Vec<u8>) -> Vec<u8> {
    buffer.clear();
    C::encode(data, buffer).unwrap();
    let decoded: Vec<u8> = C::decode(buffer).unwrap();
    buffer.clear();
    C::encode(&decoded, buffer).unwrap();
    C::decode(buffer).unwrap()
}

/// The group-name suffix of a run under another environment (see the
/// report), empty otherwise.
fn tag() -> String {
    std::env::var(TAG_ENV)
        .ok()
        .filter(|tag| !tag.is_empty())
        .map_or(String::new(), |tag| format!(" [{tag}]"))
}

/// One group per payload, on the hosts.
struct Groups<'a> {
    c: &'a mut Criterion,
    hosts: Hosts,
}

impl PayloadVisitor for Groups<'_> {
    fn visit<T: Payload>(&mut self, kind: &str, name: &'static str, value: &T) {
        let tag = tag();
        let hosts = &mut self.hosts;
        let mut group = self.c.benchmark_group(format!("round_trip/{name}{tag}"));
        codec::<Bincode, T>(&mut group, hosts, kind, value);
        codec::<MsgPack, T>(&mut group, hosts, kind, value);
        codec::<Postcard, T>(&mut group, hosts, kind, value);
        codec::<Json, T>(&mut group, hosts, kind, value);
        let baseline = &mut hosts.baseline;
        group.bench_function("empty_call", |b| b.iter(|| baseline.empty_call()));
        group.finish();
    }
}

fn main() {
    let payloads = Payloads::load();
    let plugins = bench_plugins();
    let hosts = Hosts {
        bincode: Host::new(&plugins.framework).unwrap(),
        msgpack: Host::new(&plugins.framework).unwrap(),
        postcard: Host::new(&plugins.framework).unwrap(),
        json: Host::new(&plugins.framework).unwrap(),
        baseline: Baseline::new(&plugins.baseline),
    };
    let mut c = criterion().configure_from_args();
    let blob = payloads.blob[0].1.data.clone();
    let mut groups = Groups { c: &mut c, hosts };
    payloads.visit(&mut groups);
    let Groups { c, mut hosts } = groups;
    let mut group = c.benchmark_group(format!("{BYTES_GROUP}{}", tag()));
    byte_echoes::<Bincode>(&mut group, &mut hosts, &blob);
    byte_echoes::<MsgPack>(&mut group, &mut hosts, &blob);
    byte_echoes::<Postcard>(&mut group, &mut hosts, &blob);
    byte_echoes::<Json>(&mut group, &mut hosts, &blob);
    group.finish();
    c.final_summary();
}
