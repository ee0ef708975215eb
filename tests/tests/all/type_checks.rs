//! Types across the boundary: the host's types checked against the
//! schemas the plugin exports, in every codec, before any byte is misread;
//! the compatible evolutions of docs/ABI.md's table, one test each; and
//! plugins of older ABI versions.

use serde::{Deserialize, Serialize};
use wasmer_plugin_host::{
    Bincode, Codec, Error, Format, Host, HostPool, Json, MsgPack, Plugin, Postcard,
};
use wasmer_plugin_tests::common::{Kind, Loose, Point, Settings};
use wasmer_plugin_tests::{append_custom_section, plugin};

fn host<C: Codec>() -> Host<C> {
    Host::<C>::new(plugin(&format!("{}-plugin", C::NAME))).expect("test plugin loads")
}

fn named<C: Codec>() -> bool {
    C::LAYOUT.named_fields
}

/// The `TypeMismatch` of `result`, as `(path, difference)`.
fn mismatch<T: std::fmt::Debug>(result: Result<T, Error>, function: &str) -> (String, String) {
    match result {
        Err(Error::TypeMismatch {
            function: name,
            path,
            difference,
        }) => {
            assert_eq!(name, function);
            (path, difference)
        }
        other => panic!("expected a type mismatch of `{function}`, got {other:?}"),
    }
}

#[derive(Debug, Serialize)]
struct PointYX {
    y: i32,
    x: i32,
}

#[derive(Debug, Serialize)]
struct PointXYZ {
    x: i32,
    y: i32,
    z: i32,
}

/// `Settings` with a number where the plugin has a string.
#[derive(Debug, Serialize)]
struct NumberedSettings {
    name: u32,
    retries: u32,
    comment: Option<String>,
}

/// `Settings` as an older host knows it: only the required field.
#[derive(Debug, Serialize)]
struct SettingsV0 {
    name: String,
}

/// `Settings` without its required field.
#[derive(Debug, Serialize)]
struct Nameless {
    retries: u32,
}

/// `Settings` as a newer host knows it: one more optional field.
#[derive(Debug, PartialEq, Deserialize)]
struct SettingsV2 {
    name: String,
    retries: u32,
    comment: Option<String>,
    color: Option<String>,
}

#[derive(Debug, Serialize)]
struct StrictPlus {
    level: u8,
    extra: u8,
}

#[derive(Debug, Serialize, Deserialize)]
enum KindRenamed {
    Circle(u32),
    Box { side: u32 },
}

#[derive(Debug, PartialEq, Deserialize)]
enum KindPlus {
    Circle(u32),
    Square { side: u32 },
    Triangle,
}

#[derive(Debug, PartialEq, Deserialize)]
struct OpaqueCopy {
    text: String,
}

fn mismatches_decoding_silently_today_are_caught<C: Codec>() {
    let mut host = host::<C>();

    // u64 against u32, in a return value: at lookup, and by name.
    let (path, difference) = mismatch(host.function::<(), u64>("answer"), "answer");
    assert_eq!(path, "return value");
    assert_eq!(difference, "the plugin has u32, the host has u64");
    mismatch(host.call::<_, u64>("answer", &()), "answer");

    // u32 against i32, in an argument: at the first call through a handle
    // (and again after a refusal), and by name.
    let repeat = host.function::<(&str, i32), String>("repeat").unwrap();
    for _ in 0..2 {
        let (path, difference) = mismatch(host.call_function(&repeat, &("ab", 2)), "repeat");
        assert_eq!(path, "argument 2");
        assert_eq!(difference, "the plugin has u32, the host has i32");
    }
    mismatch(host.call::<_, String>("repeat", &("ab", 2i32)), "repeat");

    // A field of the wrong type, named by its path.
    let settings = NumberedSettings {
        name: 7,
        retries: 0,
        comment: None,
    };
    let (path, difference) = mismatch(
        host.call::<_, Settings>("configure", &settings),
        "configure",
    );
    assert_eq!(path, "argument `.name`");
    assert_eq!(difference, "the plugin has String, the host has u32");

    // An extra tuple element.
    let frame = host.function::<(&str, &[u8], Vec<u8>, u8), (String, Vec<u8>, u64, u8)>("frame");
    let (path, difference) = mismatch(frame, "frame");
    assert_eq!(path, "return value");
    assert_eq!(
        difference,
        "the plugin has 3 elements, the host has 4 elements"
    );

    // `Vec<u8>` against `String`.
    let (path, difference) = mismatch(
        host.call::<_, (u64, u64)>("digest", &"text".to_owned()),
        "digest",
    );
    assert_eq!(path, "argument");
    assert_eq!(difference, "the plugin has Vec<u8>, the host has String");

    // `Option<T>` against `T`.
    let (_, difference) = mismatch(host.call::<_, ()>("ignore", &"text".to_owned()), "ignore");
    assert_eq!(
        difference,
        "the plugin has Option<String>, the host has String"
    );

    // A renamed variant, read back (at lookup) and sent (at the call).
    let (path, difference) = mismatch(host.function::<u32, KindRenamed>("kind_of"), "kind_of");
    assert_eq!(path, "return value");
    let expected = match C::LAYOUT.named_variants {
        true => "the plugin has variant `Square`, which the host does not",
        false => "variant 1 is `Square` in the plugin and `Box` in the host",
    };
    assert_eq!(difference, expected);
    let sent = KindRenamed::Box { side: 3 };
    let (_, difference) = mismatch(host.call::<_, u32>("kind_size", &sent), "kind_size");
    let expected = match C::LAYOUT.named_variants {
        true => "the host has variant `Box`, which the plugin does not",
        false => "variant 1 is `Box` in the host and `Square` in the plugin",
    };
    assert_eq!(difference, expected);

    // Swapped field order: positional codecs would swap the values.
    let swapped = PointYX { y: 2, x: 1 };
    match named::<C>() {
        true => assert_eq!(
            host.call::<_, Point>("shift", &swapped).unwrap(),
            Point { x: 2, y: 12 }
        ),
        false => {
            let (path, difference) = mismatch(host.call::<_, Point>("shift", &swapped), "shift");
            assert_eq!(path, "argument");
            assert_eq!(
                difference,
                "field 1 is `y` in the host and `x` in the plugin (this codec writes fields by position)"
            );
        }
    }

    // None of this spoiled the host, and the right types still work.
    assert_eq!(host.call::<_, u32>("answer", &()).unwrap(), 42);
    assert_eq!(
        host.call_function(
            &host.function::<(&str, u32), String>("repeat").unwrap(),
            &("ab", 2)
        )
        .unwrap(),
        "abab"
    );
}

fn compatible_evolutions_work_and_the_rest_are_named<C: Codec>() {
    let mut host = host::<C>();
    let v0 = SettingsV0 { name: "old".into() };
    let v2 = Settings {
        name: "new".into(),
        retries: 1,
        comment: None,
    };
    let with_extra = PointXYZ { x: 1, y: 2, z: 3 };
    let nameless = Nameless { retries: 1 };
    let strict = StrictPlus { level: 1, extra: 2 };
    if named::<C>() {
        // The host leaves out an `Option` and a `#[serde(default)]` field.
        assert_eq!(
            host.call::<_, Settings>("configure", &v0).unwrap(),
            Settings {
                name: "old".into(),
                retries: 1,
                comment: None
            }
        );
        // The host reads a return value with a field the plugin lacks.
        assert_eq!(
            host.call::<_, SettingsV2>("configure", &v2).unwrap(),
            SettingsV2 {
                name: "new".into(),
                retries: 2,
                comment: None,
                color: None
            }
        );
        // A field the plugin does not know is ignored...
        assert_eq!(
            host.call::<_, Point>("shift", &with_extra).unwrap(),
            Point { x: 2, y: 12 }
        );
        // ...unless it denies unknown fields.
        let (path, difference) =
            mismatch(host.call::<_, u8>("strict_level", &strict), "strict_level");
        assert_eq!(path, "argument");
        assert_eq!(
            difference,
            "the host has field `extra`, which the plugin refuses (it denies unknown fields)"
        );
        // A required field may not go missing.
        let (_, difference) = mismatch(
            host.call::<_, Settings>("configure", &nameless),
            "configure",
        );
        assert_eq!(
            difference,
            "the plugin requires field `name`, which the host does not have"
        );
    } else {
        let cases: [(&str, Result<(), Error>, &str); 5] = [
            (
                "configure",
                host.call::<_, Settings>("configure", &v0).map(drop),
                "the plugin has 3 fields, the host has 1 field",
            ),
            (
                "configure",
                host.call::<_, SettingsV2>("configure", &v2).map(drop),
                "the plugin has 3 fields, the host has 4 fields",
            ),
            (
                "shift",
                host.call::<_, Point>("shift", &with_extra).map(drop),
                "the plugin has 2 fields, the host has 3 fields",
            ),
            (
                "strict_level",
                host.call::<_, u8>("strict_level", &strict).map(drop),
                "the plugin has 1 field, the host has 2 fields",
            ),
            (
                "configure",
                host.call::<_, Settings>("configure", &nameless).map(drop),
                "the plugin has 3 fields, the host has 1 field",
            ),
        ];
        for (function, result, expected) in cases {
            let (_, difference) = mismatch(result, function);
            assert_eq!(difference, expected);
        }
    }
    // In every codec, the reader may have variants the writer never sends.
    assert_eq!(
        host.call::<_, KindPlus>("kind_of", &3u32).unwrap(),
        KindPlus::Square { side: 3 }
    );
    assert_eq!(
        host.call::<_, u32>("kind_size", &Kind::Circle(4)).unwrap(),
        4
    );
}

fn untraceable_types_are_reported_and_not_checked<C: Codec>() {
    let mut host = host::<C>();
    let opaque = host.schema("opaque").unwrap();
    assert_eq!(opaque.args.as_ref().unwrap().root, Format::Str);
    let reason = opaque.ret.as_ref().unwrap_err();
    assert!(
        reason.contains("Opaque") && reason.contains("Deserialize"),
        "{reason}"
    );
    assert_eq!(
        host.call::<_, OpaqueCopy>("opaque", &"text".to_owned())
            .unwrap(),
        OpaqueCopy {
            text: "text".into()
        }
    );
    let reason = host.schema("loose").unwrap().args.as_ref().unwrap_err();
    assert!(
        reason.contains("Loose") && reason.contains("deserialize_any"),
        "{reason}"
    );
    if C::NAME == "json" {
        assert_eq!(
            host.call::<_, String>("loose", &Loose::Number(3)).unwrap(),
            "Number(3)"
        );
    }
}

fn every_function_of_the_test_plugins_is_described<C: Codec>() {
    let host = host::<C>();
    for function in host.functions() {
        let schema = host.schema(&function.name).unwrap();
        if function.name == "opaque" || function.name == "loose" {
            continue;
        }
        assert!(
            schema.args.is_ok() && schema.ret.is_ok(),
            "`{}`: {schema:?}",
            function.name
        );
    }
    let shift = host.schema("shift").unwrap();
    assert_eq!(
        shift.args.as_ref().unwrap().to_string(),
        "Point\n  struct Point { x: i32, y: i32 }"
    );
}

for_every_codec!(
    mismatches_decoding_silently_today_are_caught,
    compatible_evolutions_work_and_the_rest_are_named,
    untraceable_types_are_reported_and_not_checked,
    every_function_of_the_test_plugins_is_described,
);

#[test]
fn pools_check_at_lookup_too() {
    let plugin = Plugin::new(plugin("bincode-plugin")).unwrap();
    assert!(plugin.schemas().is_none(), "read by the first instance");
    let pool = HostPool::<Bincode>::new(&plugin);
    mismatch(pool.function::<(), u64>("answer"), "answer");
    assert!(plugin.schemas().is_some());
    let answer = pool.function::<(), u32>("answer").unwrap();
    assert_eq!(pool.call_function(&answer, &()).unwrap(), 42);
    // A handle checked once serves every thread.
    std::thread::scope(|scope| {
        scope.spawn(|| assert_eq!(pool.call_function(&answer, &()).unwrap(), 42));
    });
}

/// A plugin built for ABI version 1, by hand: no import records, no schema
/// exports. `answer` writes the bincode `u32` 42 at address 100 and
/// reports it in the slot at 16.
fn version_1_plugin() -> Vec<u8> {
    let mut wasm = wasmer::wat2wasm(
        br#"(module
              (memory (export "memory") 1)
              (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
              (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 64))
              (func (export "__wasmer_plugin_free") (param i32 i32))
              (func (export "__wasmer_plugin_fn_answer") (param i32 i32) (result i32)
                (i32.store8 (i32.const 100) (i32.const 42))
                (i32.store (i32.const 16) (i32.const 1))
                (i32.store (i32.const 20) (i32.const 0))
                (i32.store (i32.const 24) (i32.const 100))
                (i32.const 100)))"#,
    )
    .unwrap()
    .into_owned();
    let mut record = wasmer_plugin_abi::FunctionRecord {
        name: "answer".into(),
        codec: "bincode".into(),
        args: "()".into(),
        ret: "u32".into(),
    }
    .to_bytes();
    record[..4].copy_from_slice(&1u32.to_le_bytes());
    append_custom_section(&mut wasm, "wasmer-plugin", &record);
    wasm
}

#[test]
fn version_1_plugins_load_and_answer_unchecked() {
    let mut host = Host::<Bincode>::new(version_1_plugin()).unwrap();
    assert_eq!(host.call::<_, u32>("answer", &()).unwrap(), 42);
    let schema = host.schema("answer").unwrap();
    let reason = schema.ret.as_ref().unwrap_err();
    assert!(reason.contains("no schema export"), "{reason}");
    // Unchecked: any type goes, as before schemas.
    assert_eq!(host.call::<_, u8>("answer", &()).unwrap(), 42);
}

#[test]
fn a_checked_handle_keeps_working_after_a_failed_call() {
    let mut host = host::<Postcard>();
    let fail = host.function::<String, u32>("fail").unwrap();
    assert!(matches!(
        host.call_function(&fail, &"once".to_owned()),
        Err(Error::Panic { .. })
    ));
    let shift = host.function::<Point, Point>("shift").unwrap();
    assert_eq!(
        host.call_function(&shift, &Point { x: 0, y: 0 }).unwrap(),
        Point { x: 1, y: 10 }
    );
}
