//! Byte buffers cross as bytes in the binary codecs, byte-exact, whatever
//! type holds them, and the wire stays what it was where bytes and
//! sequences of `u8` agree.
#![cfg(all(
    feature = "bincode",
    feature = "msgpack",
    feature = "postcard",
    feature = "json"
))]

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wasmer_plugin::__private::BytesArg;
use wasmer_plugin_abi::Codec;
use wasmer_plugin_codecs::{Bincode, Json, MsgPack, Postcard};

/// Empty, one byte, the benchmark's 64 KiB, and more than a bin16 holds.
const SIZES: [usize; 4] = [0, 1, 64 * 1024, 3 << 20];

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 255) as u8).collect()
}

fn encode<C: Codec, T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    C::encode(value, &mut out).unwrap_or_else(|err| panic!("{}: {err}", C::NAME));
    out
}

fn decode<'de, C: Codec, T: Deserialize<'de>>(bytes: &'de [u8]) -> T {
    C::decode(bytes).unwrap_or_else(|err| panic!("{}: {err}", C::NAME))
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Record {
    name: String,
    data: Vec<u8>,
    maybe: Option<Vec<u8>>,
    parts: Vec<Vec<u8>>,
    named: BTreeMap<String, Vec<u8>>,
    boxed: Box<[u8]>,
    kind: Kind,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Kind {
    Raw(Vec<u8>),
    Pair(u8, Vec<u8>),
    Framed { header: Vec<u8>, body: Vec<u8> },
}

fn record(len: usize) -> Record {
    let bytes = data(len);
    Record {
        name: "record".into(),
        data: bytes.clone(),
        maybe: Some(bytes.clone()),
        parts: vec![bytes.clone(), Vec::new(), vec![7]],
        named: BTreeMap::from([("a".into(), bytes.clone()), ("b".into(), vec![1, 2])]),
        boxed: bytes.clone().into_boxed_slice(),
        kind: Kind::Framed {
            header: vec![0xff; 3],
            body: bytes,
        },
    }
}

fn every_shape_round_trips<C: Codec>() {
    for len in SIZES {
        let bytes = data(len);
        let what = format!("{} with {len} bytes", C::NAME);

        // The whole value, in every type that holds bytes.
        let wire = encode::<C, _>(&bytes);
        assert_eq!(decode::<C, Vec<u8>>(&wire), bytes, "{what}: Vec<u8>");
        assert_eq!(
            encode::<C, _>(bytes.as_slice()),
            wire,
            "{what}: [u8] differs"
        );
        assert_eq!(encode::<C, _>(&bytes.as_slice()), wire, "{what}: &[u8]");
        assert_eq!(
            encode::<C, _>(&Cow::Borrowed(bytes.as_slice())),
            wire,
            "{what}: Cow"
        );
        let boxed: Box<[u8]> = decode::<C, _>(&wire);
        assert_eq!(&*boxed, bytes.as_slice(), "{what}: Box<[u8]>");
        let arg: BytesArg<'_> = decode::<C, _>(&wire);
        assert_eq!(&*arg, bytes.as_slice(), "{what}: &[u8] argument");

        // Arguments that mix a byte buffer with other values.
        let args = ("name", bytes.as_slice(), 7u32, bytes.clone());
        let wire = encode::<C, _>(&args);
        let (name, borrowed, number, owned): (String, BytesArg<'_>, u32, Vec<u8>) =
            decode::<C, _>(&wire);
        assert_eq!(
            (name.as_str(), &*borrowed, number, owned),
            args,
            "{what}: mixed tuple"
        );

        // Byte buffers nested in a struct, an option, a sequence, a map
        // and enum variants.
        let value = record(len);
        let wire = encode::<C, _>(&value);
        assert_eq!(decode::<C, Record>(&wire), value, "{what}: record");
    }
}

#[test]
fn every_shape_round_trips_in_every_codec() {
    every_shape_round_trips::<Bincode>();
    every_shape_round_trips::<Postcard>();
    every_shape_round_trips::<MsgPack>();
    every_shape_round_trips::<Json>();
}

#[test]
fn bincode_and_postcard_bytes_are_what_plain_serde_writes() {
    // Old plugins, new hosts and the other way round agree byte for byte.
    for len in SIZES {
        let value = record(len);
        let config = bincode::config::standard();
        assert_eq!(
            encode::<Bincode, _>(&value),
            bincode::serde::encode_to_vec(&value, config).unwrap(),
            "bincode, {len} bytes"
        );
        assert_eq!(
            encode::<Postcard, _>(&value),
            postcard::to_allocvec(&value).unwrap(),
            "postcard, {len} bytes"
        );
        let args = (data(len), "x");
        assert_eq!(
            encode::<Bincode, _>(&args),
            bincode::serde::encode_to_vec(&args, config).unwrap()
        );
        assert_eq!(
            encode::<Postcard, _>(&args),
            postcard::to_allocvec(&args).unwrap()
        );
    }
}

#[test]
fn msgpack_writes_arguments_and_results_as_bin_and_reads_both_forms() {
    // The whole value: bin8, bin8, bin32 (0xc4, 0xc4, 0xc6).
    for (len, marker) in [(0, 0xc4), (1, 0xc4), (64 * 1024, 0xc6), (3 << 20, 0xc6)] {
        let bytes = data(len);
        let wire = encode::<MsgPack, _>(&bytes);
        assert_eq!(wire[0], marker, "{len} bytes");
        // A peer that wrote an array of integers (a plugin built before
        // byte buffers were bin) is still read.
        let array = rmp_serde::to_vec(&bytes).unwrap();
        assert_eq!(decode::<MsgPack, Vec<u8>>(&array), bytes);
        let arg: BytesArg<'_> = decode::<MsgPack, _>(&array);
        assert_eq!(&*arg, bytes.as_slice());
    }
    // Elements of the whole tuple: a function's arguments.
    let wire = encode::<MsgPack, _>(&("a", vec![1u8, 2]));
    assert_eq!(wire, [0x92, 0xa1, b'a', 0xc4, 2, 1, 2]);
    // A peer that reads with plain rmp-serde (built before) reads `bin`.
    let (text, bytes): (String, Vec<u8>) = rmp_serde::from_slice(&wire).unwrap();
    assert_eq!((text.as_str(), bytes), ("a", vec![1, 2]));
    let wire = encode::<MsgPack, _>(&data(300));
    assert_eq!(rmp_serde::from_slice::<Vec<u8>>(&wire).unwrap(), data(300));
    // Deeper, serde's own form, which types that buffer their input
    // (untagged enums, flatten) need.
    let value = record(5);
    assert_eq!(
        encode::<MsgPack, _>(&value),
        rmp_serde::to_vec_named(&value).unwrap()
    );
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text { text: String },
        Bytes { bytes: Vec<u8> },
    }
    let value = vec![
        Either::Bytes {
            bytes: vec![1, 200],
        },
        Either::Text { text: "t".into() },
    ];
    let wire = encode::<MsgPack, _>(&value);
    assert_eq!(decode::<MsgPack, Vec<Either>>(&wire), value);
}

#[test]
fn json_is_unchanged() {
    let bytes = data(300);
    assert_eq!(
        encode::<Json, _>(&bytes),
        serde_json::to_vec(&bytes).unwrap()
    );
    // A string is not a byte buffer in JSON.
    assert!(Json::decode::<Vec<u8>>(b"\"text\"").is_err());
}

#[test]
fn a_byte_buffer_refuses_what_is_not_bytes() {
    let wire = encode::<MsgPack, _>(&vec![1u32, 300]);
    let err = MsgPack::decode::<Vec<u8>>(&wire).unwrap_err();
    assert!(err.to_string().contains("u8"), "{err}");
    let wire = encode::<MsgPack, _>(&"text");
    let err = MsgPack::decode::<Vec<u8>>(&wire).unwrap_err();
    assert!(err.to_string().contains("bytes"), "{err}");
}
