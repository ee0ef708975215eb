//! Module-level behaviour: metadata, mixed codecs, handles, and a long run
//! on one instance.

use wasmer_plugin_host::{Bincode, Error, FunctionRecord, Host, Json, Postcard};
use wasmer_plugin_tests::common::CustomJson;
use wasmer_plugin_tests::{c_plugin, debug_json_plugin, plugin};

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
    // The 28 shared functions and the bincode plugin's own `count`.
    assert_eq!(host.functions().len(), 29);
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

/// `examples/c-plugin/plugin.c`, written from docs/ABI.md without Rust:
/// the contract is enough for another language.
#[test]
fn a_plugin_written_in_c_is_called_like_any_other() {
    let Some(wasm) = c_plugin() else {
        return;
    };
    let mut host = Host::<Json>::new(&wasm).unwrap();
    assert_eq!(
        host.functions(),
        [record("add", "json", "(i64, i64)", "i64")]
    );
    assert_eq!(host.call::<_, i64>("add", &(2i64, 40i64)).unwrap(), 42);
    assert_eq!(
        host.call::<_, i64>("add", &(i64::MIN, 0i64)).unwrap(),
        i64::MIN
    );
    // Bad input gets the contract's DecodeError status and the C side's
    // message; the instance is kept.
    for bad in [&(i64::MAX, 1i64) as &dyn erased::Args, &"two", &(1i64,)] {
        let err = bad.call(&mut host).unwrap_err();
        assert!(
            matches!(&err, Error::GuestDecode { function, message } if function == "add" && message.contains("expected an array of two integers")),
            "{err:?}"
        );
    }
    // No growth over many calls.
    let before = host.memory_size().unwrap();
    for i in 0..1000i64 {
        assert_eq!(host.call::<_, i64>("add", &(i, -i)).unwrap(), 0);
    }
    assert_eq!(host.memory_size().unwrap(), before);
    // Its allocator takes back the input buffer the host frees to take a
    // larger one: inputs growing to 1 MiB (buffers to 2 MiB, powers of
    // two) grow memory by about 2 MiB, not by the 4 MiB of every buffer.
    for kib in [1, 4, 16, 64, 256, 1024] {
        let input = format!("{}[20, 22]", " ".repeat(kib * 1024));
        assert_eq!(host.call_raw("add", input.as_bytes()).unwrap(), b"42");
    }
    assert!(
        host.memory_size().unwrap() <= before + (3 << 20),
        "{} -> {}",
        before,
        host.memory_size().unwrap()
    );
    // A bincode host gets the codec named.
    let err = Host::<Bincode>::new(&wasm)
        .unwrap()
        .call::<_, i64>("add", &(1i64, 2i64))
        .unwrap_err();
    assert!(matches!(err, Error::CodecMismatch { .. }), "{err:?}");
}

/// Arguments of several types through one loop.
mod erased {
    use wasmer_plugin_host::{Error, Host, Json};

    pub trait Args {
        fn call(&self, host: &mut Host<Json>) -> Result<i64, Error>;
    }

    impl<T: serde::Serialize> Args for T {
        fn call(&self, host: &mut Host<Json>) -> Result<i64, Error> {
            host.call::<_, i64>("add", self)
        }
    }
}

#[test]
fn a_debug_build_loads_with_the_default_limits_and_its_panics_name_the_source() {
    let wasm = debug_json_plugin();
    // Most of a debug build is DWARF, which is not compiled: it counts
    // toward `max_file_bytes` only. The whole file is over the compiled
    // limit, so this load fails if custom sections count.
    assert!(
        wasm.len() as u64 > wasmer_plugin_host::DEFAULT_MAX_MODULE_BYTES,
        "a debug build of only {} bytes does not test the limit",
        wasm.len()
    );
    let mut host = Host::<Json>::new(&wasm).unwrap();
    assert_eq!(host.call::<_, i64>("double", &21i64).unwrap(), 42);
    match host.call::<_, u32>("fail", "on purpose").unwrap_err() {
        Error::Panic { message, .. } => {
            assert!(message.contains("src/lib.rs:"), "{message}");
            assert!(message.ends_with("plugin gave up: on purpose"), "{message}");
        }
        other => panic!("expected a panic, got {other:?}"),
    }
}
