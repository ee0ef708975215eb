//! Arbitrary bytes through every codec's decode: as a plugin's reply or a
//! host function's arguments would be, into values of every shape the
//! codecs carry, a plugin's borrowed `&str` and `&[u8]` arguments among
//! them, and one nested without bound.
//! Promised: an error or a value, never a panic or a stack overflow (the
//! depth limit), and a value decoded is one the codec encodes again and
//! reads back the same.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasmer_plugin::__private::{BytesArg, StrArg};
use wasmer_plugin_codecs::{Bincode, Codec, Json, MAX_DEPTH, MsgPack, Postcard};
use wasmer_plugin_tests_common::{Customer, Line, Order, Priority, Summary};

use crate::{Events, Violation};

/// A value nested as deep as its bytes say, in every kind of container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Tree {
    Leaf(i64),
    Text(String),
    List(Vec<Tree>),
    Map(BTreeMap<String, Tree>),
    Named {
        label: Option<String>,
        child: Box<Tree>,
    },
    Pair(Box<Tree>, Box<Tree>),
}

/// A plugin function's `(name: &str, bytes: &[u8], count: u32)`, as the
/// guest runtime decodes them: borrowed from the input where the codec
/// allows, copied where it does not (an escaped JSON string, bytes as a
/// sequence).
type GuestArguments<'a> = (StrArg<'a>, BytesArg<'a>, u32);

/// Well-formed encodings of every shape in every codec, one nested past
/// the depth limit among them: inputs to start from, for the driver's
/// mutations and as a `cargo fuzz` corpus.
pub fn codec_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    seeds_in::<Bincode>(&mut seeds);
    seeds_in::<MsgPack>(&mut seeds);
    seeds_in::<Postcard>(&mut seeds);
    seeds_in::<Json>(&mut seeds);
    seeds
}

fn seeds_in<C: Codec>(seeds: &mut Vec<Vec<u8>>) {
    let mut push = |value: &dyn erased::Encode<C>| seeds.push(value.encoded());
    let order = Order {
        id: 7,
        customer: Customer {
            name: "Ada".into(),
            email: Some("ada@example.com".into()),
        },
        lines: vec![Line {
            sku: "X-1".into(),
            quantity: 2,
            unit_cents: -150,
        }],
        notes: None,
        tags: [("rush".to_owned(), 1)].into_iter().collect(),
        priority: Priority::Rush { by_hour: 9 },
    };
    push(&order);
    push(&wasmer_plugin_tests_common::summarize(&order));
    let deep = |levels: usize| {
        (0..levels).fold(Tree::Leaf(-1), |tree, level| match level % 4 {
            0 => Tree::List(vec![tree, Tree::Text("x".into())]),
            1 => Tree::Map([("k".to_owned(), tree)].into_iter().collect()),
            2 => Tree::Named {
                label: Some("n".into()),
                child: Box::new(tree),
            },
            _ => Tree::Pair(Box::new(tree), Box::new(Tree::Leaf(3))),
        })
    };
    push(&deep(8));
    push(&deep(MAX_DEPTH / 2));
    push(&deep(MAX_DEPTH + 8));
    push(&(
        "text".to_owned(),
        serde_bytes::ByteBuf::from(vec![1, 2, 3]),
        Some(-4i64),
    ));
    push(&vec![Some(1u64), None, Some(u64::MAX)]);
    push(
        &[(1u32, vec!["a".to_owned()])]
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
    );
    push(&vec![0.5f64, -1e300]);
    push(&(1.5f32, 'λ', true, u128::MAX));
    push(&("borrowed", &b"bytes"[..], 3u32));
}

/// Values of different types behind one `dyn`, for [`seeds_in`].
mod erased {
    use serde::Serialize;
    use wasmer_plugin_codecs::Codec;

    pub trait Encode<C> {
        fn encoded(&self) -> Vec<u8>;
    }

    impl<C: Codec, T: Serialize> Encode<C> for T {
        fn encoded(&self) -> Vec<u8> {
            let mut out = Vec::new();
            // Encoding fails only past the depth limit, which a seed may
            // be: then the seed is what was written.
            let _ = C::encode(self, &mut out);
            out
        }
    }
}

/// Decodes `data` with every codec as every shape.
pub fn codec_decode(data: &[u8]) -> Result<(), Violation> {
    codec_decode_events(data).map(drop)
}

/// [`codec_decode`], saying which codec decoded which shape, and which
/// stopped at the depth limit.
pub fn codec_decode_events(data: &[u8]) -> Result<Events, Violation> {
    let mut events = Events::new();
    every_shape::<Bincode>(data, &mut events)?;
    every_shape::<MsgPack>(data, &mut events)?;
    every_shape::<Postcard>(data, &mut events)?;
    every_shape::<Json>(data, &mut events)?;
    Ok(events)
}

fn every_shape<C: Codec>(data: &[u8], events: &mut Events) -> Result<(), Violation> {
    round_trip::<C, Tree>(data, "Tree", events)?;
    round_trip::<C, Order>(data, "Order", events)?;
    round_trip::<C, Summary>(data, "Summary", events)?;
    round_trip::<C, (String, serde_bytes::ByteBuf, Option<i64>)>(data, "tuple", events)?;
    round_trip::<C, Vec<Option<u64>>>(data, "Vec<Option<u64>>", events)?;
    round_trip::<C, BTreeMap<u32, Vec<String>>>(data, "BTreeMap", events)?;
    // Floats decode but need not compare equal (NaN): decoding is the check.
    if C::decode::<Vec<f64>>(data).is_ok() {
        events.push(format!("{} decoded Vec<f64>", C::NAME));
    }
    if C::decode::<(f32, char, bool, u128)>(data).is_ok() {
        events.push(format!("{} decoded (f32, char, bool, u128)", C::NAME));
    }
    // What the host sends for a plugin's borrowed arguments must decode
    // as the guest reads them, to the same text and bytes.
    if let Ok((name, bytes, count)) = C::decode::<GuestArguments<'_>>(data) {
        events.push(format!("{} decoded guest arguments", C::NAME));
        let value = (&*name, &*bytes, count);
        let again = encoded::<C, _>(&value)?;
        let (name, bytes, count) = C::decode::<GuestArguments<'_>>(&again).map_err(|err| {
            Violation::new(format!(
                "{}: guest arguments {value:?} decoded, encoded as the host does, and failed \
                 to decode: {err}",
                C::NAME
            ))
        })?;
        same::<C, _>(&value, &(&*name, &*bytes, count))?;
    }
    Ok(())
}

/// If `data` decodes as `T`, the value encodes and decodes back to itself.
fn round_trip<C: Codec, T>(data: &[u8], shape: &str, events: &mut Events) -> Result<(), Violation>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value = match C::decode::<T>(data) {
        Ok(value) => value,
        Err(err) => {
            if err.to_string().contains("deep") {
                events.push(format!("{} stopped {shape} at the depth limit", C::NAME));
            }
            return Ok(());
        }
    };
    events.push(format!("{} decoded {shape}", C::NAME));
    let again = encoded::<C, T>(&value)?;
    match C::decode::<T>(&again) {
        Ok(reread) => same::<C, T>(&value, &reread),
        Err(err) => Err(Violation::new(format!(
            "{}: a {} decoded from the input, encoded again, does not decode: {err} \
             (depth limit {MAX_DEPTH})",
            C::NAME,
            std::any::type_name::<T>()
        ))),
    }
}

fn encoded<C: Codec, T: Serialize + Debug + ?Sized>(value: &T) -> Result<Vec<u8>, Violation> {
    let mut out = Vec::new();
    C::encode(value, &mut out).map_err(|err| {
        Violation::new(format!(
            "{}: {value:?}, which it decoded, does not encode: {err}",
            C::NAME
        ))
    })?;
    Ok(out)
}

fn same<C: Codec, T: PartialEq + Debug>(first: &T, second: &T) -> Result<(), Violation> {
    if first == second {
        Ok(())
    } else {
        Err(Violation::new(format!(
            "{}: {first:?} decoded, encoded and decoded again as {second:?}",
            C::NAME
        )))
    }
}
