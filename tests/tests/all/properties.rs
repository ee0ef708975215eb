//! Properties over random inputs, through real plugins: any value of a
//! rich type survives the trip through every codec, and no byte string
//! sent as arguments crashes the host or stops the plugin from serving.

use std::cell::RefCell;
use std::collections::HashMap;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use wasmer_plugin_host::{Bincode, Codec, Host, Json, MsgPack, Postcard};
use wasmer_plugin_tests::common::{Customer, Line, Order, Priority};
use wasmer_plugin_tests::plugin;

/// Bounds for the byte-string property: random arguments can ask a plugin
/// for gigabytes or for endless work.
fn guarded_host<C: Codec>() -> Host<C> {
    Host::<C>::builder()
        .max_memory_bytes(64 << 20)
        .fuel_per_call(2_000_000_000)
        .build(plugin(&format!("{}-plugin", C::NAME)))
        .expect("test plugin loads")
}

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including quotes, escapes and astral characters.
    proptest::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter)
}

fn order() -> impl Strategy<Value = Order> {
    let customer =
        (text(), proptest::option::of(text())).prop_map(|(name, email)| Customer { name, email });
    let line = (text(), any::<u32>(), any::<i64>()).prop_map(|(sku, quantity, unit_cents)| Line {
        sku,
        quantity,
        unit_cents,
    });
    let priority = prop_oneof![
        Just(Priority::Low),
        any::<u8>().prop_map(|by_hour| Priority::Rush { by_hour }),
        text().prop_map(Priority::Custom),
    ];
    (
        any::<u64>(),
        customer,
        proptest::collection::vec(line, 0..8),
        proptest::option::of(text()),
        proptest::collection::hash_map(text(), any::<u32>(), 0..6),
        priority,
    )
        .prop_map(|(id, customer, lines, notes, tags, priority)| Order {
            id,
            customer,
            lines,
            notes,
            tags: HashMap::from_iter(tags),
            priority,
        })
}

fn random_orders_round_trip<C: Codec>() {
    let host = Host::<C>::new(plugin(&format!("{}-plugin", C::NAME))).unwrap();
    let echo = host.function::<Order, Order>("echo").unwrap();
    // The runner takes a `Fn`; calls need the host mutably.
    let host = RefCell::new(host);
    TestRunner::new(ProptestConfig::with_cases(200))
        .run(&order(), |order| {
            let echoed = host.borrow_mut().call_function(&echo, &order).unwrap();
            prop_assert_eq!(echoed, order);
            Ok(())
        })
        .unwrap();
}

fn same_bits<T: Copy, B: PartialEq>(sent: &[T], got: &[T], bits: impl Fn(T) -> B) -> bool {
    sent.len() == got.len() && sent.iter().zip(got).all(|(&a, &b)| bits(a) == bits(b))
}

/// Any finite `f64` and `f32`, subnormals among them, crosses to the
/// plugin and back unchanged to the bit: decoded and encoded again by the
/// plugin's codec and the host's.
fn random_floats_cross_unchanged<C: Codec>() {
    let host = Host::<C>::new(plugin(&format!("{}-plugin", C::NAME))).unwrap();
    let echo = host
        .function::<(Vec<f64>, Vec<f32>), (Vec<f64>, Vec<f32>)>("echo_floats")
        .unwrap();
    let host = RefCell::new(host);
    let f64s = any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |x| x.is_finite());
    let f32s = any::<u32>()
        .prop_map(f32::from_bits)
        .prop_filter("finite", |x| x.is_finite());
    let floats = (
        proptest::collection::vec(f64s, 0..256),
        proptest::collection::vec(f32s, 0..256),
    );
    TestRunner::new(ProptestConfig::with_cases(200))
        .run(&floats, |floats| {
            let (f64s, f32s) = host.borrow_mut().call_function(&echo, &floats).unwrap();
            prop_assert!(
                same_bits(&floats.0, &f64s, f64::to_bits),
                "{} changed {:?} to {f64s:?}",
                C::NAME,
                floats.0
            );
            prop_assert!(
                same_bits(&floats.1, &f32s, f32::to_bits),
                "{} changed {:?} to {f32s:?}",
                C::NAME,
                floats.1
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_floats_cross_every_codec_unchanged() {
    random_floats_cross_unchanged::<Bincode>();
    random_floats_cross_unchanged::<MsgPack>();
    random_floats_cross_unchanged::<Postcard>();
    random_floats_cross_unchanged::<Json>();
}

/// Every coordinate of a GeoJSON polygon collection, as canada.json holds
/// them (full-precision decimals), comes back from a JSON plugin to the
/// bit: generated ones always, and the real canada.json when it is found
/// (`WASMER_PLUGIN_CORPUS`, or `../shared/data` beside the repository).
#[test]
fn canada_coordinates_cross_json_unchanged() {
    use wasmer_plugin_bench_payloads::{FeatureCollection, Rng};

    let generated = FeatureCollection::full_precision(&mut Rng::new(7), 20, 500);
    let mut collections = vec![("generated", generated)];
    let corpus = std::env::var_os("WASMER_PLUGIN_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
        });
    match std::fs::read(corpus.join("canada.json")) {
        Ok(text) => collections.push(("canada.json", serde_json::from_slice(&text).unwrap())),
        Err(err) => eprintln!(
            "canada.json not found in {}: {err}; generated coordinates only",
            corpus.display()
        ),
    }

    let mut host = Host::<Json>::new(plugin("json-plugin")).unwrap();
    for (name, collection) in collections {
        let sent: Vec<f64> = collection.coordinates().collect();
        let echoed: FeatureCollection = host.call("echo_geometry", &collection).unwrap();
        let got: Vec<f64> = echoed.coordinates().collect();
        let changed = sent
            .iter()
            .zip(&got)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(sent.len(), got.len(), "{name}");
        assert_eq!(
            changed,
            0,
            "{name}: {changed} of {} coordinates changed",
            sent.len()
        );
        assert!(sent.len() >= 10_000, "{name}: {}", sent.len());
    }
}

/// The functions of the test plugins that take arguments, each of which
/// gets the random bytes.
const TAKES_ARGUMENTS: [&str; 11] = [
    "echo",
    "echo_floats",
    "double",
    "describe",
    "repeat",
    "checksum",
    "ignore",
    "divide",
    "summarize",
    "invert",
    "generate",
];

fn random_arguments_never_crash<C: Codec>() {
    let host = RefCell::new(guarded_host::<C>());
    let bytes = proptest::collection::vec(any::<u8>(), 0..256);
    TestRunner::new(ProptestConfig::with_cases(64))
        .run(&bytes, |bytes| {
            for function in TAKES_ARGUMENTS {
                // Success and every error are both fine; a host panic or
                // a plugin that stops answering is not.
                let mut host = host.borrow_mut();
                let _ = host.call_raw(function, &bytes);
                prop_assert_eq!(host.call::<_, u32>("answer", &()).unwrap(), 42);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_orders_round_trip_through_every_codec() {
    random_orders_round_trip::<Bincode>();
    random_orders_round_trip::<MsgPack>();
    random_orders_round_trip::<Postcard>();
    random_orders_round_trip::<Json>();
}

#[test]
fn random_argument_bytes_never_crash_host_or_plugin() {
    random_arguments_never_crash::<Bincode>();
    random_arguments_never_crash::<MsgPack>();
    random_arguments_never_crash::<Postcard>();
    random_arguments_never_crash::<Json>();
}
