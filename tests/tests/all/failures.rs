//! What a host reports when a call goes wrong, and that the next call
//! still works.

use wasmer_plugin_host::{ABI_VERSION, Bincode, Codec, Error, Host, OLDEST_ABI_VERSION, Postcard};
use wasmer_plugin_tests::{append_custom_section, plugin};

#[test]
fn panic_message_and_location_reach_the_host_and_the_next_call_works() {
    let mut host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    for round in 0..3 {
        let err = host
            .call::<_, u32>("fail", &format!("round {round}"))
            .unwrap_err();
        let Error::Panic { function, message } = &err else {
            panic!("expected a panic, got {err:?}");
        };
        assert_eq!(function, "fail");
        assert!(
            message.contains(&format!("plugin gave up: round {round}")),
            "{message}"
        );
        assert!(
            message.starts_with("src/lib.rs:") || message.contains("/src/lib.rs:"),
            "no location in {message}"
        );
        assert!(
            err.to_string()
                .starts_with("plugin function `fail` panicked: "),
            "{err}"
        );
        assert_eq!(host.call::<_, i64>("double", &21i64).unwrap(), 42);
    }
}

#[test]
fn unknown_function_is_named() {
    let mut host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    let err = host.call::<_, u32>("no_such_function", &()).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownFunction { name, .. } if name == "no_such_function"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("`no_such_function`"), "{text}");
    assert!(
        text.contains("`double`"),
        "the message lists what exists: {text}"
    );
    let Error::UnknownFunction { available, .. } = &err else {
        unreachable!()
    };
    // Sorted by name (the backticks aside: `echo` before `echo_bytes`).
    let listed: Vec<&str> = available
        .split(", ")
        .map(|name| name.trim_matches('`'))
        .collect();
    assert!(
        listed.len() > 1 && listed.is_sorted(),
        "not sorted: {available}"
    );
}

#[test]
fn codec_mismatch_names_both_codecs() {
    let mut host = Host::<Postcard>::new(plugin("bincode-plugin")).unwrap();
    let err = host.call::<_, i64>("double", &1i64).unwrap_err();
    let Error::CodecMismatch {
        function,
        plugin,
        host: host_codec,
    } = &err
    else {
        panic!("expected a codec mismatch, got {err:?}");
    };
    assert_eq!(
        (function.as_str(), plugin.as_str(), *host_codec),
        ("double", "bincode", "postcard")
    );
    let text = err.to_string();
    assert!(
        text.contains("bincode") && text.contains("postcard"),
        "{text}"
    );
}

#[test]
fn wrong_argument_type_is_a_clear_error_and_the_plugin_still_answers() {
    let mut host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    // `repeat` takes (&str, u32); a bare number is not that. The type
    // check finds it before anything is sent...
    let err = host.call::<_, String>("repeat", &7u8).unwrap_err();
    assert!(matches!(err, Error::TypeMismatch { .. }), "{err:?}");
    // ...and bytes that get past it (sent raw) the plugin's decoding.
    let mut seven = Vec::new();
    Bincode::encode(&7u8, &mut seven).unwrap();
    let err = host.call_raw("repeat", &seven).unwrap_err();
    let Error::GuestDecode { function, message } = &err else {
        panic!("expected a guest decode error, got {err:?}");
    };
    assert_eq!(function, "repeat");
    assert!(
        message.contains("(&str, u32)"),
        "names the expected type: {message}"
    );
    assert!(message.contains("bincode"), "names the codec: {message}");
    assert_eq!(
        host.call::<_, String>("repeat", &("x", 2u32)).unwrap(),
        "xx"
    );

    // Trailing bytes are rejected too: `double` takes one i64, not two.
    let mut two = Vec::new();
    Bincode::encode(&(1i64, 2i64), &mut two).unwrap();
    let err = host.call_raw("double", &two).unwrap_err();
    assert!(matches!(err, Error::GuestDecode { .. }), "{err:?}");
    assert_eq!(host.call::<_, i64>("double", &2i64).unwrap(), 4);
}

#[test]
fn wrong_return_type_is_a_host_decode_error() {
    let mut host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    // `opaque`'s return type cannot be described, so no check stops this.
    let err = host
        .call::<_, Vec<String>>("opaque", &"text".to_owned())
        .unwrap_err();
    let Error::Decode {
        function, expected, ..
    } = &err
    else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(function, "opaque");
    assert!(
        expected.contains("Vec<alloc::string::String>"),
        "{expected}"
    );
    assert_eq!(host.call::<_, u32>("answer", &()).unwrap(), 42);
}

#[test]
fn output_over_the_limit_is_refused_and_the_host_recovers() {
    let mut host = Host::<Bincode>::builder()
        .max_output_bytes(1000)
        .build(plugin("bincode-plugin"))
        .unwrap();
    let err = host.call::<_, Vec<u8>>("generate", &5000u32).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutputTooLarge {
                len: 5003,
                limit: 1000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        host.call::<_, Vec<u8>>("generate", &3u32).unwrap(),
        [0, 1, 2]
    );
}

#[test]
fn input_over_the_limit_is_refused_before_the_call() {
    let mut host = Host::<Bincode>::builder()
        .max_input_bytes(100)
        .build(plugin("bincode-plugin"))
        .unwrap();
    let err = host
        .call::<_, (u64, u64)>("digest", &vec![0u8; 200])
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InputTooLarge {
                len: 201,
                limit: 100,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(host.call::<_, (u64, u64)>("digest", &vec![0u8; 10]).is_ok());
}

/// A minimal module with the contract's exports and `section` as its
/// metadata: what a plugin built for another ABI version looks like.
fn module_with_metadata(section: &[u8]) -> Vec<u8> {
    let mut wasm = wasmer::wat2wasm(
        br#"(module
              (memory (export "memory") 1)
              (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
              (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 64))
              (func (export "__wasmer_plugin_free") (param i32 i32))
              (func (export "__wasmer_plugin_fn_answer") (param i32 i32) (result i64) (i64.const 0)))"#,
    )
    .unwrap()
    .into_owned();
    append_custom_section(&mut wasm, "wasmer-plugin", section);
    wasm
}

/// A version-7 module by hand, each function answering another way. The
/// slot is at 16; every function writes it, as the contract asks, and
/// `direct` writes one that disagrees with what it returns, so that only
/// a host that reads the returned value answers 42.
fn direct_reply_module() -> Vec<u8> {
    let mut wasm = wasmer::wat2wasm(
        br#"(module
              (memory (export "memory") 1)
              (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
              (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 64))
              (func (export "__wasmer_plugin_free") (param i32 i32))
              (func $slot (param $len i32) (param $status i32) (param $ptr i32)
                (i32.store (i32.const 16) (local.get $len))
                (i32.store (i32.const 20) (local.get $status))
                (i32.store (i32.const 24) (local.get $ptr)))
              (func (export "__wasmer_plugin_fn_direct") (param i32 i32) (result i64)
                (i32.store8 (i32.const 100) (i32.const 42))
                (i32.store8 (i32.const 200) (i32.const 7))
                (call $slot (i32.const 1) (i32.const 0) (i32.const 200))
                ;; ptr 100, len 1
                (i64.const 4294967396))
              (func (export "__wasmer_plugin_fn_in_slot") (param i32 i32) (result i64)
                (i32.store8 (i32.const 100) (i32.const 42))
                (call $slot (i32.const 1) (i32.const 0) (i32.const 100))
                (i64.const 0))
              (func (export "__wasmer_plugin_fn_refused") (param i32 i32) (result i64)
                ;; "bad" as a decoding error, which only the slot can say
                (i32.store8 (i32.const 100) (i32.const 98))
                (i32.store8 (i32.const 101) (i32.const 97))
                (i32.store8 (i32.const 102) (i32.const 100))
                (call $slot (i32.const 3) (i32.const 1) (i32.const 100))
                (i64.const 0))
              (func (export "__wasmer_plugin_fn_outside") (param i32 i32) (result i64)
                (call $slot (i32.const 100) (i32.const 0) (i32.const 65530))
                ;; ptr 65530, len 100: past the end of the 64 KiB memory
                (i64.const 429496795130))
              (func (export "__wasmer_plugin_fn_empty") (param i32 i32) (result i64)
                (call $slot (i32.const 0) (i32.const 0) (i32.const -16))
                ;; ptr 0xfffffff0, len 0: nothing to read
                (i64.const 4294967280))
              (func (export "__wasmer_plugin_fn_old_style") (param i32 i32) (result i32)
                (i32.store8 (i32.const 100) (i32.const 42))
                (call $slot (i32.const 1) (i32.const 0) (i32.const 100))
                (i32.const 100)))"#,
    )
    .unwrap()
    .into_owned();
    let mut section = Vec::new();
    for (name, ret) in [
        ("direct", "u32"),
        ("in_slot", "u32"),
        ("refused", "u32"),
        ("outside", "u32"),
        ("empty", "()"),
        ("old_style", "u32"),
    ] {
        let mut record = wasmer_plugin_tests::record(name, "bincode");
        record.ret = ret.into();
        let mut bytes = record.to_bytes();
        bytes[..4].copy_from_slice(&7u32.to_le_bytes());
        section.extend(bytes);
    }
    append_custom_section(&mut wasm, "wasmer-plugin", &section);
    wasm
}

#[test]
fn a_version_7_export_answers_in_its_return_value_or_in_the_slot() {
    let mut host = Host::<Bincode>::new(direct_reply_module()).unwrap();
    // The returned value wins over the slot; 0 sends the host to the slot.
    assert_eq!(host.call::<_, u32>("direct", &()).unwrap(), 42);
    assert_eq!(host.call::<_, u32>("in_slot", &()).unwrap(), 42);
    let err = host.call::<_, u32>("refused", &()).unwrap_err();
    assert!(
        matches!(&err, Error::GuestDecode { function, message } if function == "refused" && message == "bad"),
        "{err:?}"
    );
    // A returned output is checked as one in the slot is.
    let err = host.call::<_, u32>("outside", &()).unwrap_err();
    assert!(
        matches!(&err, Error::BadOutput { reason, .. } if reason.contains("lie outside the 65536-byte memory")),
        "{err:?}"
    );
    assert!(err.discards_instance());
    let mut limited = Host::<Bincode>::builder()
        .max_output_bytes(0)
        .build(direct_reply_module())
        .unwrap();
    let err = limited.call::<_, u32>("direct", &()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutputTooLarge {
                len: 1,
                limit: 0,
                ..
            }
        ),
        "{err:?}"
    );
    // An empty output is not read, wherever it points.
    host.call::<_, ()>("empty", &()).unwrap();
    // The record's version says what the export returns, not its type.
    let err = host.call::<_, u32>("old_style", &()).unwrap_err();
    assert!(
        matches!(&err, Error::BadExport { export, reason } if export == "__wasmer_plugin_fn_old_style" && reason.contains("ABI version 7")),
        "{err:?}"
    );
    assert_eq!(host.call::<_, u32>("direct", &()).unwrap(), 42);
}

fn record(version: u32) -> Vec<u8> {
    let mut record = wasmer_plugin_abi::FunctionRecord {
        name: "answer".into(),
        codec: "bincode".into(),
        args: "()".into(),
        ret: "u32".into(),
    }
    .to_bytes();
    record[..4].copy_from_slice(&version.to_le_bytes());
    record
}

#[test]
fn module_of_another_abi_version_is_refused_at_load() {
    let err = Host::<Bincode>::new(module_with_metadata(&record(ABI_VERSION + 1))).unwrap_err();
    assert!(
        matches!(err, Error::AbiMismatch { plugin, host } if plugin == ABI_VERSION + 1 && host == ABI_VERSION),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("version {}", ABI_VERSION + 1)),
        "{text}"
    );
    assert!(
        text.contains(&format!("versions {OLDEST_ABI_VERSION} to {ABI_VERSION}")),
        "{text}"
    );

    // The same module with a record of this version loads and answers.
    let host = Host::<Bincode>::new(module_with_metadata(&record(ABI_VERSION))).unwrap();
    assert_eq!(host.functions().len(), 1);
}

#[test]
fn module_without_metadata_is_not_a_plugin() {
    let wasm = wasmer::wat2wasm(br#"(module (memory (export "memory") 1))"#).unwrap();
    let err = Host::<Bincode>::new(&wasm).unwrap_err();
    assert!(matches!(err, Error::NotAPlugin), "{err:?}");
    assert!(err.to_string().contains("wasmer-plugin"), "{err}");
}

#[test]
fn bytes_that_are_not_wasm_do_not_compile() {
    let err = Host::<Bincode>::new(b"definitely not wasm").unwrap_err();
    assert!(matches!(err, Error::Compile(_)), "{err:?}");
}

#[test]
fn missing_plugin_file_names_the_path() {
    let err = Host::<Bincode>::from_file("/nonexistent/plugin.wasm").unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/plugin.wasm"),
        "{err}"
    );
}
