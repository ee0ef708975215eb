//! Every shape of call, through every codec, on real wasm.

use std::collections::HashMap;

use wasmer_plugin_host::{Bincode, Codec, Host, Json, MsgPack, Postcard};
use wasmer_plugin_tests::common::{
    Customer, Line, MathError, Order, Priority, Summary, checksum, pattern, summarize,
};
use wasmer_plugin_tests::plugin;

fn host<C: Codec>() -> Host<C> {
    Host::<C>::new(plugin(&format!("{}-plugin", C::NAME))).expect("test plugin loads")
}

fn order() -> Order {
    Order {
        id: 7_000_000_001,
        customer: Customer {
            name: "Zoë \"quoted\" Müller".into(),
            email: None,
        },
        lines: vec![
            Line {
                sku: "A-1".into(),
                quantity: 3,
                unit_cents: 250,
            },
            Line {
                sku: "B-22".into(),
                quantity: 1,
                unit_cents: -100,
            },
        ],
        notes: Some("leave at the door".into()),
        tags: HashMap::from([("gift".into(), 1), ("fragile".into(), 2)]),
        priority: Priority::Rush { by_hour: 17 },
    }
}

fn arguments_and_returns<C: Codec>() {
    let mut host = host::<C>();
    assert_eq!(host.call::<_, u32>("answer", &()).unwrap(), 42);
    host.call::<_, ()>("nothing", &()).unwrap();
    assert_eq!(host.call::<_, i64>("double", &-21i64).unwrap(), -42);
    assert_eq!(
        host.call::<_, String>("describe", &("Ada", 36u8, vec![1.5f64, 2.25]))
            .unwrap(),
        "Ada (36) scored 3.75"
    );
    host.call::<_, ()>("ignore", &Some("x")).unwrap();
}

fn borrowed_arguments<C: Codec>() {
    let mut host = host::<C>();
    assert_eq!(
        host.call::<_, String>("repeat", &("ab", 3u32)).unwrap(),
        "ababab"
    );
    // Escapes and non-ASCII force JSON to copy; the answer is the same.
    assert_eq!(
        host.call::<_, String>("repeat", &("\"é\"\n", 2u32))
            .unwrap(),
        "\"é\"\n\"é\"\n"
    );
    let bytes: Vec<u8> = (0..=255).collect();
    assert_eq!(
        host.call::<_, u64>("checksum", bytes.as_slice()).unwrap(),
        checksum(&bytes)
    );
    // serde_bytes sends a byte string rather than a sequence of numbers.
    assert_eq!(
        host.call::<_, u64>("checksum", serde_bytes::Bytes::new(&bytes))
            .unwrap(),
        checksum(&bytes)
    );
    assert_eq!(
        host.call::<_, u64>("checksum", &[] as &[u8]).unwrap(),
        checksum(&[])
    );
}

fn results_are_values<C: Codec>() {
    let mut host = host::<C>();
    let divide = host
        .function::<(i64, i64), Result<i64, MathError>>("divide")
        .unwrap();
    assert_eq!(host.call_function(&divide, &(84, 2)).unwrap(), Ok(42));
    assert_eq!(
        host.call_function(&divide, &(5, 0)).unwrap(),
        Err(MathError::DivideByZero { dividend: 5 })
    );
    assert_eq!(
        host.call_function(&divide, &(i64::MIN, -1)).unwrap(),
        Err(MathError::Overflow)
    );
}

fn nested_values<C: Codec>() {
    let mut host = host::<C>();
    let order = order();
    let summary: Summary = host.call("summarize", &order).unwrap();
    assert_eq!(summary, summarize(&order));

    let map = HashMap::from([
        ("a".to_string(), 1u32),
        ("b".to_string(), 2),
        ("c".to_string(), 1),
    ]);
    let inverted: HashMap<u32, Vec<String>> = host.call("invert", &map).unwrap();
    assert_eq!(
        inverted,
        HashMap::from([(1, vec!["a".into(), "c".into()]), (2, vec!["b".into()])])
    );
}

fn large_input_and_output<C: Codec>() {
    let mut host = host::<C>();
    let big = pattern(2 * 1024 * 1024 + 17);
    let (len, sum): (u64, u64) = host.call("digest", &big).unwrap();
    assert_eq!((len, sum), (big.len() as u64, checksum(&big)));

    let len = 2 * 1024 * 1024 + 33;
    let out: Vec<u8> = host.call("generate", &len).unwrap();
    assert_eq!(out, pattern(len));
    // Small calls still work after the large ones.
    assert_eq!(host.call::<_, i64>("double", &4i64).unwrap(), 8);
}

for_every_codec!(
    arguments_and_returns,
    borrowed_arguments,
    results_are_values,
    nested_values,
    large_input_and_output,
);
