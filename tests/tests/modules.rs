//! Module-level behaviour: metadata, mixed codecs, handles, and a long run
//! on one instance.

use wasmer_plugin_host::{Bincode, Error, FunctionRecord, Host, Postcard};
use wasmer_plugin_tests::common::CustomJson;
use wasmer_plugin_tests::plugin;

fn record(name: &str, codec: &str, args: &str, ret: &str) -> FunctionRecord {
    FunctionRecord {
        name: name.into(),
        codec: codec.into(),
        args: args.into(),
        ret: ret.into(),
    }
}

#[test]
fn metadata_lists_every_function_with_codec_and_types() {
    let host = Host::<Bincode>::new(plugin("mixed-plugin")).unwrap();
    let mut functions = host.functions().to_vec();
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        functions,
        [
            record("input", "bincode", "u32", "u32"),
            record("type", "bincode", "&str", "String"),
            record("via_bincode", "bincode", "u32", "u32"),
            record("via_custom", "custom-json", "u32", "u32"),
            record("via_postcard", "postcard", "u32", "u32"),
        ]
    );

    let host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    let find = |name: &str| {
        host.functions()
            .iter()
            .find(|function| function.name == name)
            .unwrap_or_else(|| panic!("no `{name}` in {:?}", host.functions()))
            .clone()
    };
    assert_eq!(find("answer"), record("answer", "bincode", "()", "u32"));
    assert_eq!(find("nothing"), record("nothing", "bincode", "()", "()"));
    assert_eq!(
        find("describe"),
        record("describe", "bincode", "(String, u8, Vec<f64>)", "String")
    );
    assert_eq!(
        find("divide"),
        record("divide", "bincode", "(i64, i64)", "Result<i64, MathError>")
    );
    assert_eq!(
        find("summarize"),
        record("summarize", "bincode", "&Order", "Summary")
    );
    assert_eq!(host.functions().len(), 15);
}

#[test]
fn one_module_mixes_codecs_function_by_function() {
    let wasm = plugin("mixed-plugin");
    let mut bincode = Host::<Bincode>::new(&wasm).unwrap();
    let mut postcard = Host::<Postcard>::new(&wasm).unwrap();
    let mut custom = Host::<CustomJson>::new(&wasm).unwrap();
    assert_eq!(bincode.call::<_, u32>("via_bincode", &1u32).unwrap(), 2);
    assert_eq!(postcard.call::<_, u32>("via_postcard", &1u32).unwrap(), 3);
    assert_eq!(custom.call::<_, u32>("via_custom", &1u32).unwrap(), 4);
    assert_eq!(bincode.call::<_, String>("type", "x").unwrap(), "type x");
    assert_eq!(bincode.call::<_, u32>("input", &4u32).unwrap(), 40);

    let err = bincode.call::<_, u32>("via_custom", &1u32).unwrap_err();
    assert!(
        matches!(&err, Error::CodecMismatch { plugin, host, .. } if plugin == "custom-json" && *host == "bincode"),
        "{err:?}"
    );
}

#[test]
fn function_handles_work_only_on_their_own_host() {
    let wasm = plugin("bincode-plugin");
    let mut first = Host::<Bincode>::new(&wasm).unwrap();
    let mut second = Host::<Bincode>::new(&wasm).unwrap();
    let double = first.function::<i64, i64>("double").unwrap();
    assert_eq!(first.call_function(&double, &5).unwrap(), 10);
    let err = second.call_function(&double, &5).unwrap_err();
    assert!(matches!(err, Error::ForeignFunction { .. }), "{err:?}");
}

#[test]
fn many_calls_on_one_instance_leave_guest_memory_unchanged() {
    let mut host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    let repeat = host.function::<(&str, u32), String>("repeat").unwrap();
    let describe = host
        .function::<(String, u8, Vec<f64>), String>("describe")
        .unwrap();
    // Warm up: the allocator and the reused buffers reach their size.
    for i in 0..100u32 {
        host.call_function(&repeat, &("warm", i % 50)).unwrap();
    }
    let before = host.memory_size().unwrap();
    for i in 0..100_000u32 {
        let text = host.call_function(&repeat, &("ab", i % 50)).unwrap();
        assert_eq!(text.len(), 2 * (i % 50) as usize);
        if i % 1000 == 0 {
            let scores = vec![1.0; (i / 1000) as usize];
            host.call_function(&describe, &("n".to_string(), 1, scores))
                .unwrap();
        }
    }
    assert_eq!(host.memory_size().unwrap(), before, "guest memory grew");
}
