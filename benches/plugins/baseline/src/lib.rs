//! The same round trips with the bare minimum ABI and no framework code:
//! the host calls `alloc(len)` and copies the arguments in; the function
//! takes the buffer, decodes, works, encodes into a reused static buffer
//! and returns its pointer and length packed in a `u64`. No slot, no
//! status, no metadata, no panic reporting: a decoding error aborts.
//! This is what the framework's cost is measured against.

use core::cell::UnsafeCell;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_bench_payloads::{Blob, Catalog, FeatureCollection, Small, Tweets, Work};

/// The output of the last call; the host reads it before the next.
static OUTPUT: Output = Output(UnsafeCell::new(Vec::new()));

struct Output(UnsafeCell<Vec<u8>>);

// SAFETY: wasm32-unknown-unknown plugins run on one thread.
unsafe impl Sync for Output {}

#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len);
    let ptr = buffer.as_mut_ptr();
    core::mem::forget(buffer);
    ptr
}

/// The floor of any call: nothing in, nothing out.
#[unsafe(no_mangle)]
pub extern "C" fn nop() {}

fn round_trip<T: DeserializeOwned + Serialize + Work>(
    ptr: *mut u8,
    len: usize,
    decode: fn(&[u8]) -> T,
    encode: fn(&T, &mut Vec<u8>),
) -> u64 {
    // SAFETY: the host passes a buffer it got from `alloc(len)` and
    // filled with `len` bytes; it is ours from here on.
    let input = unsafe { Vec::from_raw_parts(ptr, len, len) };
    let value = decode(&input).work();
    drop(input);
    // SAFETY: wasm32 plugins are single-threaded and nothing else holds a
    // reference to OUTPUT across calls.
    let output = unsafe { &mut *OUTPUT.0.get() };
    output.clear();
    encode(&value, output);
    ((output.as_ptr() as u64) << 32) | output.len() as u64
}

fn bincode_decode<T: DeserializeOwned>(bytes: &[u8]) -> T {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .unwrap()
        .0
}

fn bincode_encode<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    bincode::serde::encode_into_std_write(value, out, bincode::config::standard()).unwrap();
}

fn msgpack_decode<T: DeserializeOwned>(bytes: &[u8]) -> T {
    rmp_serde::from_slice(bytes).unwrap()
}

fn msgpack_encode<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    rmp_serde::encode::write_named(out, value).unwrap();
}

fn postcard_decode<T: DeserializeOwned>(bytes: &[u8]) -> T {
    postcard::from_bytes(bytes).unwrap()
}

fn postcard_encode<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    *out = postcard::to_extend(value, core::mem::take(out)).unwrap();
}

fn json_decode<T: DeserializeOwned>(bytes: &[u8]) -> T {
    serde_json::from_slice(bytes).unwrap()
}

fn json_encode<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    serde_json::to_writer(out, value).unwrap();
}

macro_rules! round_trips {
    ($decode:ident, $encode:ident: $($name:ident($payload:ty)),* $(,)?) => {
        $(
            #[unsafe(no_mangle)]
            pub extern "C" fn $name(ptr: *mut u8, len: usize) -> u64 {
                round_trip::<$payload>(ptr, len, $decode, $encode)
            }
        )*
    };
}

round_trips!(bincode_decode, bincode_encode:
    small_bincode(Small), tweets_bincode(Tweets), geometry_bincode(FeatureCollection),
    catalog_bincode(Catalog), blob_bincode(Blob),
);
round_trips!(msgpack_decode, msgpack_encode:
    small_msgpack(Small), tweets_msgpack(Tweets), geometry_msgpack(FeatureCollection),
    catalog_msgpack(Catalog), blob_msgpack(Blob),
);
round_trips!(postcard_decode, postcard_encode:
    small_postcard(Small), tweets_postcard(Tweets), geometry_postcard(FeatureCollection),
    catalog_postcard(Catalog), blob_postcard(Blob),
);
round_trips!(json_decode, json_encode:
    small_json(Small), tweets_json(Tweets), geometry_json(FeatureCollection),
    catalog_json(Catalog), blob_json(Blob),
);

// Host-function calls on the bare minimum ABI: the plugin encodes into a
// buffer it keeps, passes `(ptr, len, cap)`, and the host writes its reply
// into the same buffer (the benchmark's replies always fit) and returns
// its length.
#[link(wasm_import_module = "baseline")]
unsafe extern "C" {
    fn transform_bincode(ptr: *mut u8, len: usize, cap: usize) -> usize;
    fn transform_msgpack(ptr: *mut u8, len: usize, cap: usize) -> usize;
    fn transform_postcard(ptr: *mut u8, len: usize, cap: usize) -> usize;
    fn transform_json(ptr: *mut u8, len: usize, cap: usize) -> usize;
    fn ping();
}

/// The buffer host-function calls carry their arguments out and their
/// replies back in.
static HOST_CALL: Output = Output(UnsafeCell::new(Vec::new()));

fn relay(
    ptr: *mut u8,
    len: usize,
    decode: fn(&[u8]) -> Small,
    encode: fn(&Small, &mut Vec<u8>),
    transform: unsafe extern "C" fn(*mut u8, usize, usize) -> usize,
) -> u64 {
    // SAFETY: as in `round_trip`.
    let input = unsafe { Vec::from_raw_parts(ptr, len, len) };
    let value = decode(&input);
    drop(input);
    // SAFETY: single-threaded, and no other reference to the buffer.
    let buffer = unsafe { &mut *HOST_CALL.0.get() };
    buffer.clear();
    encode(&value, buffer);
    buffer.reserve(1024);
    // SAFETY: the host reads the encoded bytes and writes at most the
    // capacity, returning how much it wrote.
    unsafe {
        let written = transform(buffer.as_mut_ptr(), buffer.len(), buffer.capacity());
        buffer.set_len(written);
    }
    let reply = decode(buffer);
    // SAFETY: as in `round_trip`.
    let output = unsafe { &mut *OUTPUT.0.get() };
    output.clear();
    encode(&reply, output);
    ((output.as_ptr() as u64) << 32) | output.len() as u64
}

macro_rules! relays {
    ($($relay:ident: $decode:ident, $encode:ident, $transform:ident;)*) => {
        $(
            #[unsafe(no_mangle)]
            pub extern "C" fn $relay(ptr: *mut u8, len: usize) -> u64 {
                relay(ptr, len, $decode, $encode, $transform)
            }
        )*
    };
}

relays! {
    relay_bincode: bincode_decode, bincode_encode, transform_bincode;
    relay_msgpack: msgpack_decode, msgpack_encode, transform_msgpack;
    relay_postcard: postcard_decode, postcard_encode, transform_postcard;
    relay_json: json_decode, json_encode, transform_json;
}

/// `times` calls of an empty host function.
#[unsafe(no_mangle)]
pub extern "C" fn ping_host(times: u32) {
    for _ in 0..times {
        // SAFETY: the host's `ping` takes and returns nothing.
        unsafe { ping() }
    }
}
