//! Byte buffers written the obvious way (`&[u8]` and `Vec<u8>`, no
//! `serde_bytes`) on both sides, through every codec, byte-exact; and
//! peers that wrote them as sequences of numbers still understood.

use serde::Serialize;
use serde_bytes::ByteBuf;
use wasmer_plugin_host::{Bincode, Codec, Host, Json, MsgPack, Postcard};
use wasmer_plugin_tests::common::{checksum, frame, pattern};
use wasmer_plugin_tests::plugin;

fn host<C: Codec>() -> Host<C> {
    Host::<C>::new(plugin(&format!("{}-plugin", C::NAME))).expect("test plugin loads")
}

/// Empty, one byte, the benchmark's 64 KiB, and more than a MessagePack
/// bin16 holds.
const SIZES: [u32; 4] = [0, 1, 64 * 1024, 3 << 20];

fn obvious_signatures_round_trip<C: Codec>() {
    let mut host = host::<C>();
    for len in SIZES {
        let data = pattern(len);
        let what = format!("{} with {len} bytes", C::NAME);
        let echoed: Vec<u8> = host.call::<[u8], _>("echo_bytes", &data[..]).unwrap();
        assert!(echoed == data, "{what}: echo_bytes([u8]) differs");
        let echoed: Vec<u8> = host
            .call::<&[u8], _>("echo_bytes", &data.as_slice())
            .unwrap();
        assert!(echoed == data, "{what}: echo_bytes(&[u8]) differs");
        let echoed: ByteBuf = host.call("echo_bytes", &data).unwrap();
        assert!(
            echoed == data,
            "{what}: echo_bytes(Vec<u8>) into a ByteBuf differs"
        );

        let reversed: Vec<u8> = host.call("reverse_bytes", &data).unwrap();
        assert!(
            reversed.iter().rev().eq(data.iter()),
            "{what}: reverse_bytes differs"
        );
        let reversed: Box<[u8]> = host
            .call("reverse_bytes", serde_bytes::Bytes::new(&data))
            .unwrap();
        assert!(
            reversed.iter().rev().eq(data.iter()),
            "{what}: reverse_bytes from serde_bytes differs"
        );
    }
}

fn mixed_arguments_round_trip<C: Codec>() {
    let mut host = host::<C>();
    for len in SIZES {
        let body = pattern(len);
        let trailer = pattern(len / 3 + 1);
        let function = host
            .function::<(&str, &[u8], Vec<u8>, u8), (String, Vec<u8>, u64)>("frame")
            .unwrap();
        let got = host
            .call_function(&function, &("frame", body.as_slice(), trailer.clone(), 2))
            .unwrap();
        assert!(
            got == frame("frame", &body, &trailer, 2),
            "{} with {len} bytes: frame differs",
            C::NAME
        );
    }
    // Small calls still work after the large ones, and memory is kept.
    let size = host.memory_size();
    for _ in 0..100 {
        let got: Vec<u8> = host.call::<[u8], _>("echo_bytes", &[1, 2, 3][..]).unwrap();
        assert_eq!(got, [1, 2, 3]);
    }
    assert_eq!(host.memory_size(), size, "{}", C::NAME);
}

for_every_codec!(obvious_signatures_round_trip, mixed_arguments_round_trip);

/// `value` as plain serde writes it in `codec`, byte buffers as sequences
/// of numbers: what hosts and plugins built before this change send.
fn plain_serde(codec: &str, value: &impl Serialize) -> Vec<u8> {
    match codec {
        "bincode" => ::bincode::serde::encode_to_vec(value, ::bincode::config::standard()).unwrap(),
        "postcard" => ::postcard::to_allocvec(value).unwrap(),
        "msgpack" => rmp_serde::to_vec_named(value).unwrap(),
        other => unreachable!("{other}"),
    }
}

#[test]
fn bincode_and_postcard_plugins_and_hosts_of_before_agree_byte_for_byte() {
    for codec in ["bincode", "postcard"] {
        let mut host = Host::<Bincode>::new(plugin(&format!("{codec}-plugin"))).unwrap();
        for len in SIZES {
            let data = pattern(len);
            // An old host's arguments reach the new plugin…
            let output = host
                .call_raw("echo_bytes", &plain_serde(codec, &data))
                .unwrap();
            // …and the new plugin answers what an old plugin answered.
            assert!(
                output == plain_serde(codec, &data),
                "{codec} with {len} bytes: the wire changed"
            );
            let args = ("n", data.clone(), data.clone(), 1u8);
            let output = host.call_raw("frame", &plain_serde(codec, &args)).unwrap();
            let expected = frame("n", &data, &data, 1);
            assert!(output == plain_serde(codec, &expected), "{codec} frame");
        }
    }
}

#[test]
fn msgpack_plugins_read_byte_arrays_and_answer_bin() {
    let mut host = host::<MsgPack>();
    let data = pattern(1000);
    // A host that wrote the bytes as an array of integers is understood.
    let output = host
        .call_raw("reverse_bytes", &plain_serde("msgpack", &data))
        .unwrap();
    // The answer is `bin`: 1000 bytes make a bin16 (0xc5).
    assert_eq!(output[0], 0xc5);
    let reversed: Vec<u8> = MsgPack::decode(&output).unwrap();
    assert!(reversed.iter().rev().eq(data.iter()));
    assert_eq!(
        host.call::<[u8], u64>("checksum", &data[..]).unwrap(),
        checksum(&data)
    );
}

#[test]
fn json_byte_buffers_stay_arrays_of_numbers() {
    let mut host = host::<Json>();
    let output = host.call_raw("echo_bytes", b"[1,2,255]").unwrap();
    assert_eq!(output, b"[1,2,255]");
}
