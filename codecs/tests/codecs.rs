//! Every shipped codec: round trips, borrowing, and rejected input.
#![cfg(all(
    feature = "bincode",
    feature = "msgpack",
    feature = "postcard",
    feature = "json"
))]

use serde::{Deserialize, Serialize};
use wasmer_plugin::__private::{BytesArg, StrArg};
use wasmer_plugin_abi::Codec;
use wasmer_plugin_codecs::{Bincode, Json, MAX_DEPTH, MsgPack, Postcard};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Shape {
    Circle { radius: f64 },
    Polygon(Vec<(i32, i32)>),
    Empty,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Sample {
    id: u64,
    name: String,
    shapes: Vec<Shape>,
    parent: Option<Box<Sample>>,
}

fn sample() -> Sample {
    Sample {
        id: u64::MAX,
        name: "ünïcode \"and\" escapes\n".into(),
        shapes: vec![
            Shape::Circle { radius: 1.5 },
            Shape::Polygon(vec![(0, 0), (-3, 4)]),
            Shape::Empty,
        ],
        parent: Some(Box::new(Sample {
            id: 1,
            name: String::new(),
            shapes: vec![],
            parent: None,
        })),
    }
}

fn encode<C: Codec, T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    C::encode(value, &mut out).unwrap_or_else(|err| panic!("{}: {err}", C::NAME));
    out
}

fn round_trips<C: Codec>() {
    let bytes = encode::<C, _>(&sample());
    assert_eq!(
        C::decode::<Sample>(&bytes).unwrap(),
        sample(),
        "{}",
        C::NAME
    );

    // Encoding appends, so one buffer serves many calls.
    let mut out = b"prefix".to_vec();
    C::encode(&7u32, &mut out).unwrap();
    assert_eq!(&out[..6], b"prefix");
    assert_eq!(C::decode::<u32>(&out[6..]).unwrap(), 7);
}

fn truncated_input_is_an_error<C: Codec>() {
    let bytes = encode::<C, _>(&sample());
    for cut in 0..bytes.len() {
        assert!(
            C::decode::<Sample>(&bytes[..cut]).is_err(),
            "{}: a cut at {cut} of {} decoded",
            C::NAME,
            bytes.len()
        );
    }
}

fn wrong_type_is_an_error_with_a_message<C: Codec>() {
    let bytes = encode::<C, _>(&"text");
    let err = C::decode::<Vec<Sample>>(&bytes).expect_err("decoding must fail");
    assert!(!err.to_string().is_empty(), "{}", C::NAME);
}

fn strings_borrow<C: Codec>() {
    let bytes = encode::<C, _>(&("plain", 1u8));
    let (text, _): (StrArg<'_>, u8) = C::decode(&bytes).unwrap();
    assert_eq!(&*text, "plain");
    assert!(text.is_borrowed(), "{} copied a plain string", C::NAME);
}

fn bytes_arrive_either_way<C: Codec>(borrowed_when_sent_as_bytes: bool) {
    let data: Vec<u8> = (0..=255).collect();
    // A plain `&[u8]` serializes as a sequence of numbers…
    let bytes = encode::<C, _>(data.as_slice());
    let arg: BytesArg<'_> = C::decode(&bytes).unwrap();
    assert_eq!(&*arg, data.as_slice());
    // …`serde_bytes` as a byte string, which most formats can lend.
    let bytes = encode::<C, _>(serde_bytes::Bytes::new(&data));
    let arg: BytesArg<'_> = C::decode(&bytes).unwrap();
    assert_eq!(&*arg, data.as_slice());
    assert_eq!(
        arg.is_borrowed(),
        borrowed_when_sent_as_bytes,
        "{}",
        C::NAME
    );
}

/// A recursive type: decoding it recurses once per level of the input.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Nested {
    Leaf,
    Node(Box<Nested>),
}

impl Nested {
    fn levels(levels: usize) -> Nested {
        (0..levels).fold(Nested::Leaf, |inner, _| Nested::Node(Box::new(inner)))
    }
}

/// `Nested::levels(levels)` encoded with `C`, built without recursing:
/// each format writes a node as a prefix and a suffix around its child.
fn nested_bytes<C: Codec>(levels: usize) -> Vec<u8> {
    let leaf = encode::<C, _>(&Nested::Leaf);
    let node = encode::<C, _>(&Nested::levels(1));
    let at = node
        .windows(leaf.len())
        .rposition(|window| window == leaf)
        .expect("a node holds its child");
    let (prefix, suffix) = (&node[..at], &node[at + leaf.len()..]);
    let mut bytes = prefix.repeat(levels);
    bytes.extend(&leaf);
    bytes.extend(suffix.repeat(levels));
    bytes
}

fn deep_values_are_errors_not_stack_overflows<C: Codec>() {
    assert_eq!(nested_bytes::<C>(3), encode::<C, _>(&Nested::levels(3)));
    // Below every limit, serde_json's 128 objects or arrays included.
    let within = 100;
    let value: Nested = C::decode(&nested_bytes::<C>(within)).unwrap();
    assert_eq!(value, Nested::levels(within), "{}", C::NAME);
    // The limit counts every enum entered, the leaf's included; serde_json
    // stops earlier.
    if C::NAME != "json" {
        let most = MAX_DEPTH - 1;
        let value: Nested = C::decode(&nested_bytes::<C>(most)).unwrap();
        assert_eq!(value, Nested::levels(most), "{}", C::NAME);
        assert!(C::decode::<Nested>(&nested_bytes::<C>(most + 1)).is_err());
    }
    // A million levels in a few megabytes: without the limit, decoding
    // overflows this thread's stack and aborts the process.
    let err = C::decode::<Nested>(&nested_bytes::<C>(1_000_000)).unwrap_err();
    let message = err.to_string();
    let expected = format!("nested more than {MAX_DEPTH} levels deep");
    // serde_json's own limit (128 arrays or objects) comes first.
    let json = C::NAME == "json" && message.starts_with("recursion limit exceeded");
    assert!(
        message.contains(&expected) || json,
        "{}: {message}",
        C::NAME
    );
}

/// Recursion through an anonymous tuple: the enum, the choice that makes
/// the type finite, is counted.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum Pairs {
    Leaf,
    Pair(Box<(Pairs, u8)>),
}

#[test]
fn recursion_through_tuples_is_limited_by_the_named_type() {
    let levels = 1_000_000;
    // bincode: variant 1, the tuple's first element, then its `u8`.
    let mut bytes = vec![1u8; levels];
    bytes.push(0);
    bytes.extend(std::iter::repeat_n(7u8, levels));
    let err = Bincode::decode::<Pairs>(&bytes).unwrap_err();
    assert!(err.to_string().contains("levels deep"), "{err}");
}

macro_rules! for_every_codec {
    ($($test:ident),*) => {
        $(
            #[test]
            fn $test() {
                super::$test::<super::Bincode>();
                super::$test::<super::MsgPack>();
                super::$test::<super::Postcard>();
                super::$test::<super::Json>();
            }
        )*
    };
}

mod every_codec {
    for_every_codec!(
        round_trips,
        truncated_input_is_an_error,
        wrong_type_is_an_error_with_a_message,
        strings_borrow,
        deep_values_are_errors_not_stack_overflows
    );
}

#[test]
fn bytes_borrow_where_the_format_stores_them_raw() {
    bytes_arrive_either_way::<Bincode>(true);
    bytes_arrive_either_way::<Postcard>(true);
    bytes_arrive_either_way::<MsgPack>(true);
    // JSON writes bytes as an array of numbers: always a copy.
    bytes_arrive_either_way::<Json>(false);
}

#[test]
fn json_copies_escaped_strings_rather_than_failing() {
    let bytes = encode::<Json, _>(&"tab\there");
    let text: StrArg<'_> = Json::decode(&bytes).unwrap();
    assert_eq!(&*text, "tab\there");
    assert!(!text.is_borrowed());
}

#[test]
fn trailing_bytes_are_rejected_where_the_format_can_tell() {
    for (name, result) in [
        (
            "bincode",
            Bincode::decode::<u8>(&[1, 2]).map_err(|e| e.to_string()),
        ),
        (
            "postcard",
            Postcard::decode::<u8>(&[1, 2]).map_err(|e| e.to_string()),
        ),
        (
            "json",
            Json::decode::<u8>(b"1 2").map_err(|e| e.to_string()),
        ),
    ] {
        let err = result.expect_err(name);
        assert!(!err.is_empty(), "{name}");
    }
    assert_eq!(
        Bincode::decode::<u8>(&[1, 2]).unwrap_err().to_string(),
        "1 bytes left over after the value"
    );
}

#[test]
fn names_are_distinct() {
    let names = [Bincode::NAME, MsgPack::NAME, Postcard::NAME, Json::NAME];
    assert_eq!(names, ["bincode", "msgpack", "postcard", "json"]);
}

/// Found by the fuzz target in `fuzz/`: bincode allocated a string at the
/// length its prefix claimed before reading it, so a few bytes claiming a
/// petabyte aborted the process. Every codec must answer such lies with
/// an error.
#[test]
fn length_prefixes_that_lie_are_errors_not_aborts() {
    // bincode varint: 253 announces a u64, here about 2^56.
    let bincode = [253, 0xf9, 0xfe, 0, 0, 0, 0, 0xff, 0, b'a'];
    assert!(Bincode::decode::<String>(&bincode).is_err());
    assert!(Bincode::decode::<Vec<u8>>(&bincode).is_err());
    let message = Bincode::decode::<String>(&bincode).unwrap_err().to_string();
    assert!(message.contains("more than 1073741824 bytes"), "{message}");
    // postcard varint of about 2^62.
    let postcard = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, b'a'];
    assert!(Postcard::decode::<String>(&postcard).is_err());
    assert!(Postcard::decode::<Vec<u8>>(&postcard).is_err());
    // MessagePack str32 and bin32 of 4 GiB - 1.
    assert!(MsgPack::decode::<String>(&[0xdb, 0xff, 0xff, 0xff, 0xff, b'a']).is_err());
    assert!(
        MsgPack::decode::<serde_bytes::ByteBuf>(&[0xc6, 0xff, 0xff, 0xff, 0xff, b'a']).is_err()
    );
}

/// Floats at the edges: zeros, the smallest and largest subnormals and
/// normals, the extremes, and decimals whose shortest form is long.
const EDGE_F64S: [f64; 14] = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.225_073_858_507_201e-308, // the largest subnormal
    f64::MIN_POSITIVE,
    f64::EPSILON,
    0.1,
    1.0 / 3.0,
    9_007_199_254_740_993.0,
    1.797_693_134_862_315_7e308,
    f64::MAX,
    f64::MIN,
    -45.123_456_789_012_34,
];

const EDGE_F32S: [f32; 9] = [
    0.0,
    -0.0,
    1e-45,
    1.175_494_2e-38, // the largest subnormal
    f32::MIN_POSITIVE,
    f32::EPSILON,
    0.1,
    f32::MAX,
    f32::MIN,
];

fn same_f64s(sent: &[f64], got: &[f64]) -> bool {
    sent.iter()
        .map(|x| x.to_bits())
        .eq(got.iter().map(|x| x.to_bits()))
}

fn same_f32s(sent: &[f32], got: &[f32]) -> bool {
    sent.iter()
        .map(|x| x.to_bits())
        .eq(got.iter().map(|x| x.to_bits()))
}

/// Every finite `f64` and `f32` crosses every codec unchanged, to the bit:
/// JSON included, whose text must read back as the float it was written
/// from (serde_json's default parser is off in the last bit for some).
#[test]
fn every_finite_float_crosses_every_codec_unchanged() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    fn check<C: Codec>(f64s: &[f64], f32s: &[f32]) -> Result<(), TestCaseError> {
        let value = (f64s.to_vec(), f32s.to_vec());
        let (got64, got32): (Vec<f64>, Vec<f32>) = C::decode(&encode::<C, _>(&value))
            .map_err(|err| TestCaseError::fail(format!("{}: {err}", C::NAME)))?;
        prop_assert!(
            same_f64s(f64s, &got64),
            "{}: {f64s:?} came back as {got64:?}",
            C::NAME
        );
        prop_assert!(
            same_f32s(f32s, &got32),
            "{}: {f32s:?} came back as {got32:?}",
            C::NAME
        );
        Ok(())
    }
    fn check_all(f64s: &[f64], f32s: &[f32]) -> Result<(), TestCaseError> {
        check::<Bincode>(f64s, f32s)?;
        check::<MsgPack>(f64s, f32s)?;
        check::<Postcard>(f64s, f32s)?;
        check::<Json>(f64s, f32s)
    }

    check_all(&EDGE_F64S, &EDGE_F32S).unwrap();
    // Any bit pattern that is a finite float: subnormals, every exponent.
    let f64s = any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |x| x.is_finite());
    let f32s = any::<u32>()
        .prop_map(f32::from_bits)
        .prop_filter("finite", |x| x.is_finite());
    let values = (
        proptest::collection::vec(f64s, 0..64),
        proptest::collection::vec(f32s, 0..64),
    );
    TestRunner::new(Config::with_cases(2000))
        .run(&values, |(f64s, f32s)| check_all(&f64s, &f32s))
        .unwrap();
}

/// JSON has no number for NaN or an infinity: encoding one is an error
/// that names it, never the `null` that would read back as `None`.
#[test]
fn json_refuses_floats_it_cannot_carry() {
    for (value, name) in [
        (f64::NAN, "the f64 NaN"),
        (f64::INFINITY, "the f64 inf"),
        (f64::NEG_INFINITY, "the f64 -inf"),
    ] {
        let mut out = Vec::new();
        let err = Json::encode(&Some(value), &mut out)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("JSON cannot carry {name}")), "{err}");
        // Nested anywhere: in a struct, a map, a variant.
        let nested = (vec![Shape::Circle { radius: value }], Some(1.0f64));
        assert!(Json::encode(&nested, &mut Vec::new()).is_err());
        let map: std::collections::BTreeMap<String, f64> = [("x".to_owned(), value)].into();
        assert!(Json::encode(&map, &mut Vec::new()).is_err());
    }
    let err = Json::encode(&[1.0f32, f32::NAN], &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("the f32 NaN"), "{err}");
    // The binary codecs carry them as they are.
    let (nan, inf): (f64, f64) =
        Bincode::decode(&encode::<Bincode, _>(&(f64::NAN, f64::INFINITY))).unwrap();
    assert!(nan.is_nan() && inf == f64::INFINITY);
}
