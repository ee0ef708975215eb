//! The promises of docs/SECURITY.md, one hand-written hostile module (or
//! plugin call) each: the exact error, then a good call on the same host.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmer_plugin_abi::MAX_FUNCTIONS;
use wasmer_plugin_host::{
    Bincode, Codec, Error, Host, HostBuilder, Json, MsgPack, Postcard, TrapCode,
};
use wasmer_plugin_tests::common::{Nested, nested_bytes};
use wasmer_plugin_tests::plugin;
use wasmer_plugin_tests::{PluginWat, append_custom_section, record, wat_record_bytes, wat_string};

fn assert_recovers<C: Codec, S: Send + 'static>(host: &mut Host<C, S>) {
    assert_eq!(host.call::<_, u32>("good", &()).unwrap(), 7);
}

// 1. Decoding is bounded in depth on both sides.

const DEEP: usize = 100_000;

fn a_deep_reply_is_a_decode_error<C: Codec>() {
    let deep = nested_bytes::<C>(DEEP);
    let functions = format!(
        r#"(data (i32.const 4096) "{}")
           (func (export "__wasmer_plugin_fn_deep") (param i32 i32) (result i32)
             (call $answer (i32.const 4096) (i32.const {}) (i32.const 0)))"#,
        wat_string(&deep),
        deep.len()
    );
    let mut good_reply = Vec::new();
    C::encode(&7u32, &mut good_reply).unwrap();
    let wat = PluginWat {
        memory: r#"(memory (export "memory") 16)"#,
        codec: C::NAME,
        good_reply,
        ..PluginWat::new(&functions, &["deep"])
    };
    let mut host = Host::<C>::new(wat.wasm()).unwrap();
    let err = host.call::<_, Nested>("deep", &()).unwrap_err();
    assert!(
        matches!(&err, Error::Decode { function, message, .. }
            if function == "deep" && too_deep::<C>(message)),
        "{}: {err:?}",
        C::NAME
    );
    assert_recovers(&mut host);
}

/// The depth limit's message, or for JSON serde_json's own (128 levels),
/// which comes first.
fn too_deep<C: Codec>(message: &str) -> bool {
    message.contains("nested more than 256 levels deep")
        || (C::NAME == "json" && message.contains("recursion limit"))
}

#[test]
fn a_deep_reply_is_a_decode_error_in_every_codec() {
    a_deep_reply_is_a_decode_error::<Bincode>();
    a_deep_reply_is_a_decode_error::<Postcard>();
    a_deep_reply_is_a_decode_error::<MsgPack>();
    a_deep_reply_is_a_decode_error::<Json>();
}

fn a_deep_argument_is_a_guest_decode_error<C: Codec>() {
    let mut host = Host::<C>::new(plugin(&format!("{}-plugin", C::NAME))).unwrap();
    let shallow = Nested::levels(100);
    assert_eq!(host.call::<_, u32>("depth", &shallow).unwrap(), 100);
    let err = host
        .call_raw("depth", &nested_bytes::<C>(DEEP))
        .unwrap_err();
    assert!(
        matches!(&err, Error::GuestDecode { function, message } if function == "depth" && too_deep::<C>(message)),
        "{}: {err:?}",
        C::NAME
    );
    assert_eq!(host.call::<_, u32>("answer", &()).unwrap(), 42);
}

#[test]
fn a_deep_argument_is_a_guest_decode_error_in_every_codec() {
    a_deep_argument_is_a_guest_decode_error::<Bincode>();
    a_deep_argument_is_a_guest_decode_error::<Postcard>();
    a_deep_argument_is_a_guest_decode_error::<MsgPack>();
    a_deep_argument_is_a_guest_decode_error::<Json>();
}

// 2, 4, 5. Features plugins do not need are refused at load, by name.

fn refused(memory: &str, functions: &str) -> Error {
    let wat = PluginWat {
        memory,
        ..PluginWat::new(functions, &[])
    };
    Host::<Bincode>::builder()
        .fuel_per_call(1_000_000)
        .build(wat.wasm())
        .unwrap_err()
}

const MEMORY: &str = r#"(memory (export "memory") 1)"#;

#[test]
fn each_disabled_feature_is_refused_with_its_name() {
    let cases = [
        (
            "threads (shared memory and atomics)",
            r#"(memory (export "memory") 1 1 shared)"#,
            "",
        ),
        (
            "threads (shared memory and atomics)",
            MEMORY,
            r#"(func (export "wait") (result i32)
                 (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))"#,
        ),
        (
            "exception handling",
            MEMORY,
            r#"(tag $oops) (func (export "throw") (throw $oops))"#,
        ),
        (
            "multiple memories",
            r#"(memory (export "memory") 1) (memory $second 1)"#,
            "",
        ),
        ("64-bit memory", r#"(memory (export "memory") i64 1)"#, ""),
        (
            "tail calls",
            MEMORY,
            r#"(func $f (return_call $f)) (export "loop" (func $f))"#,
        ),
        (
            "exception handling (legacy)",
            MEMORY,
            r#"(func (export "catch") try catch_all end)"#,
        ),
        (
            "relaxed SIMD",
            MEMORY,
            r#"(func (export "relaxed") (result v128)
                 (i32x4.relaxed_trunc_f32x4_s (v128.const f32x4 1 2 3 4)))"#,
        ),
        (
            "extended constant expressions",
            MEMORY,
            r#"(global (export "sum") i32 (i32.add (i32.const 1) (i32.const 2)))"#,
        ),
        (
            "wide arithmetic",
            MEMORY,
            r#"(func (export "wide") (result i64 i64)
                 (i64.add128 (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)))"#,
        ),
        (
            "typed function references",
            MEMORY,
            r#"(type $f (func)) (func $g) (elem declare func $g)
               (func (export "typed") (call_ref $f (ref.func $g)))"#,
        ),
        (
            "garbage collection",
            MEMORY,
            r#"(type $point (struct (field i32)))
               (func (export "gc") (result i32)
                 (struct.get $point 0 (struct.new $point (i32.const 1))))"#,
        ),
        (
            "custom page sizes",
            r#"(memory (export "memory") 1 (pagesize 1))"#,
            "",
        ),
    ];
    for (name, memory, functions) in cases {
        let err = refused(memory, functions);
        assert!(
            matches!(&err, Error::UnsupportedFeature { feature, .. } if *feature == name),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn what_rust_plugins_use_is_allowed() {
    // Bulk memory, reference types, multi-value, sign extension,
    // non-trapping float-to-int and SIMD.
    let functions = r#"
        (table $t 1 funcref)
        (func (export "features") (result i32 i32)
          (memory.fill (i32.const 100) (i32.const 1) (i32.const 8))
          (drop (ref.is_null (table.get $t (i32.const 0))))
          (drop (i32.extend8_s (i32.const 255)))
          (drop (i32.trunc_sat_f32_s (f32.const 1e30)))
          (drop (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))
          (i32.const 1) (i32.const 2))"#;
    let mut host = Host::<Bincode>::builder()
        .fuel_per_call(1_000_000)
        .build(PluginWat::new(functions, &[]).wasm())
        .unwrap();
    assert_recovers(&mut host);
}

// 3. Fuel charges bulk instructions for what they touch.

#[test]
fn bulk_instructions_pay_for_every_byte_and_element() {
    const BUDGET: u64 = 10_000;
    let functions = r#"
        (memory (export "memory") 8)
        (table $t 0 200000 funcref)
        (table $u 100000 100000 funcref)
        (elem $e funcref (ref.null func))
        (data $d "{data}")
        (func $bulk (param $op i32) (param $n i32)
          (block $done
            (block $tgrow (block $tcopy (block $tfill (block $minit (block $mcopy (block $mfill
              (br_table $mfill $mcopy $minit $tfill $tcopy $tgrow (local.get $op)))
              (memory.fill (i32.const 0) (i32.const 0) (local.get $n)) (br $done))
              (memory.copy (i32.const 0) (i32.const 1) (local.get $n)) (br $done))
              (memory.init $d (i32.const 0) (i32.const 0) (local.get $n)) (br $done))
              (table.fill $u (i32.const 0) (ref.null func) (local.get $n)) (br $done))
              (table.copy $u $u (i32.const 0) (i32.const 1) (local.get $n)) (br $done))
            (drop (table.grow $t (ref.null func) (local.get $n)))))
    "#;
    // Each operation twice: a count the budget covers, and one it does
    // not (a few instructions but far more bytes or elements).
    let cases: [(&str, i32, i32, i32); 6] = [
        ("memory_fill", 0, 64, 400_000),
        ("memory_copy", 1, 64, 400_000),
        ("memory_init", 2, 64, 131_072),
        ("table_fill", 3, 64, 99_999),
        ("table_copy", 4, 64, 99_999),
        ("table_grow", 5, 64, 200_000),
    ];
    let mut text = functions.replace("{data}", &"a".repeat(131_072));
    let mut names = Vec::new();
    for (name, op, small, large) in cases {
        for (suffix, n) in [("small", small), ("large", large)] {
            text.push_str(&format!(
                r#"(func (export "__wasmer_plugin_fn_{name}_{suffix}") (param i32 i32) (result i32)
                     (call $bulk (i32.const {op}) (i32.const {n}))
                     (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))"#
            ));
            names.push(format!("{name}_{suffix}"));
        }
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut host = Host::<Bincode>::builder()
        .fuel_per_call(BUDGET)
        .build(
            PluginWat {
                memory: "",
                ..PluginWat::new(&text, &names)
            }
            .wasm(),
        )
        .unwrap();
    for (name, ..) in cases {
        let small = format!("{name}_small");
        assert_eq!(host.call::<_, u32>(&small, &()).unwrap(), 7, "{small}");
        let large = format!("{name}_large");
        let err = host.call::<_, u32>(&large, &()).unwrap_err();
        assert!(
            matches!(&err, Error::OutOfFuel { function, budget } if *function == large && *budget == BUDGET),
            "{large}: {err:?}"
        );
        assert_recovers(&mut host);
    }
}

#[test]
fn fuel_covers_the_allocator_the_host_calls() {
    let wasm = PluginWat {
        alloc: "(loop $l (br $l)) (i32.const 1024)",
        ..PluginWat::new("", &[])
    }
    .wasm();
    let mut host = Host::<Bincode>::builder()
        .fuel_per_call(10_000)
        .build(wasm)
        .unwrap();
    // Arguments need an input buffer, from the looping allocator.
    let err = host.call::<_, u32>("good", &5u32).unwrap_err();
    assert!(
        matches!(&err, Error::OutOfFuel { function, .. } if function == "good"),
        "{err:?}"
    );
    // No arguments, no allocator: the call works.
    assert_recovers(&mut host);
}

// 5. The memory limit covers an instance's memory and tables together.

const SMALL_MEMORY: u64 = 16 << 20;

#[test]
fn tables_and_memory_share_one_limit() {
    // A hundred tables of the largest size would take 1.6 GB.
    let tables: String = (0..100)
        .map(|i| format!("(table $t{i} 1048576 1048576 funcref)"))
        .collect();
    let err = Host::<Bincode>::builder()
        .max_memory_bytes(SMALL_MEMORY)
        .build(PluginWat::new(&tables, &[]).wasm())
        .unwrap_err();
    assert!(
        matches!(&err, Error::LoadLimit { limit: "max_memory_bytes", reason } if reason.contains("tables")),
        "{err:?}"
    );

    // An initial memory of 2^48 pages (a 64-bit memory, refused anyway)
    // is over the limit, said without overflowing.
    let err = Host::<Bincode>::new(
        PluginWat {
            memory: r#"(memory (export "memory") i64 0x1000000000000)"#,
            ..PluginWat::new("", &[])
        }
        .wasm(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::LoadLimit { limit: "max_memory_bytes", reason } if reason.contains("281474976710656 pages")),
        "{err:?}"
    );

    // One table over the per-table cap, whatever the limit.
    let err =
        Host::<Bincode>::new(PluginWat::new("(table 1048577 funcref)", &[]).wasm()).unwrap_err();
    assert!(
        matches!(&err, Error::LoadLimit { limit: "max_memory_bytes", reason } if reason.contains("1048576 per table")),
        "{err:?}"
    );

    // A table that may grow to 8 MB leaves the memory the other 8.7 MB,
    // 133 pages: growing to them works, growing to 200 pages is refused.
    let functions = r#"
        (table $t 0 500000 funcref)
        (func (export "__wasmer_plugin_fn_grow_to_budget") (param i32 i32) (result i32)
          (if (i32.eq (memory.grow (i32.const 132)) (i32.const -1)) (then unreachable))
          (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))
        (func (export "__wasmer_plugin_fn_grow") (param i32 i32) (result i32)
          (if (i32.eq (memory.grow (i32.const 199)) (i32.const -1)) (then unreachable))
          (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))
        (func (export "__wasmer_plugin_fn_fill_table") (param i32 i32) (result i32)
          (if (i32.eq (table.grow $t (ref.null func) (i32.const 500001)) (i32.const -1))
            (then unreachable))
          (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))"#;
    let mut host = Host::<Bincode>::builder()
        .max_memory_bytes(SMALL_MEMORY)
        .build(PluginWat::new(functions, &["grow_to_budget", "grow", "fill_table"]).wasm())
        .unwrap();
    assert_eq!(host.call::<_, u32>("grow_to_budget", &()).unwrap(), 7);
    let memory = host.memory_size().unwrap();
    assert_eq!(memory, 133 * 65536);
    assert!(memory + 500_000 * 16 <= SMALL_MEMORY);
    let err = host.call::<_, u32>("grow", &()).unwrap_err();
    assert!(
        matches!(&err, Error::MemoryLimit { function, limit } if function == "grow" && *limit == SMALL_MEMORY),
        "{err:?}"
    );
    assert_recovers(&mut host);
    let err = host.call::<_, u32>("fill_table", &()).unwrap_err();
    assert!(
        matches!(&err, Error::Trap { function, code: Some(code), .. } if function == "fill_table" && *code == TrapCode::Unreachable),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn a_table_without_a_maximum_does_not_grow() {
    let functions = r#"
        (table $t 10 funcref)
        (func (export "__wasmer_plugin_fn_grow_table") (param i32 i32) (result i32)
          (drop (table.grow $t (ref.null func) (i32.const 1)))
          (i32.store (i32.const 64) (i32.add (i32.const 1) (table.grow $t (ref.null func) (i32.const 1))))
          (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))"#;
    let mut host = Host::<Bincode>::new(PluginWat::new(functions, &["grow_table"]).wasm()).unwrap();
    // table.grow answers -1, so the function answers 0.
    assert_eq!(host.call::<_, u32>("grow_table", &()).unwrap(), 0);
}

// 6. Every metadata section is read, in order.

#[test]
fn every_metadata_section_is_read_in_order() {
    let functions = r#"
        (func (export "__wasmer_plugin_fn_second") (param i32 i32) (result i32)
          (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))"#;
    let wat = PluginWat::new(functions, &[]);
    let sections = |parts: &[&[u8]]| {
        let mut wasm = wat.bare_wasm();
        for part in parts {
            append_custom_section(&mut wasm, "wasmer-plugin", part);
        }
        wasm
    };
    let good = wat_record_bytes(&record("good", "bincode"));
    let second = wat_record_bytes(&record("second", "bincode"));

    let mut host = Host::<Bincode>::new(sections(&[&good, &second])).unwrap();
    assert_eq!(host.call::<_, u32>("second", &()).unwrap(), 7);
    assert_recovers(&mut host);

    // A record split across two sections is one record.
    let (head, tail) = second.split_at(7);
    let mut host = Host::<Bincode>::new(sections(&[&good, head, tail])).unwrap();
    assert_eq!(host.call::<_, u32>("second", &()).unwrap(), 7);

    let err = Host::<Bincode>::new(sections(&[&good, &second, &good])).unwrap_err();
    assert!(
        matches!(&err, Error::Metadata(wasmer_plugin_abi::MetadataError::DuplicateFunction { name }) if name == "good"),
        "{err:?}"
    );

    // An empty section describes no function: not a plugin.
    let err = Host::<Bincode>::new(sections(&[&[]])).unwrap_err();
    assert!(matches!(err, Error::NotAPlugin), "{err:?}");
}

// 7. Loading is bounded.

#[test]
fn metadata_is_read_in_linear_time_and_bounded() {
    let wat = PluginWat::new("", &[]);
    let with_records = |count: usize| {
        let mut wasm = wat.bare_wasm();
        let mut section = wat_record_bytes(&record("good", "bincode"));
        for i in 1..count {
            section.extend(wat_record_bytes(&record(&format!("f{i}"), "bincode")));
        }
        append_custom_section(&mut wasm, "wasmer-plugin", &section);
        wasm
    };
    // The most records a host reads: 65,536 (quadratic reading took
    // minutes at this size).
    let mut host = Host::<Bincode>::new(with_records(MAX_FUNCTIONS)).unwrap();
    assert_eq!(host.functions().len(), MAX_FUNCTIONS);
    assert_recovers(&mut host);
    // The list of functions an unknown name's error gives is cut too.
    let err = host.call::<_, u32>("missing", &()).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownFunction { available, .. } if available.ends_with("bytes in all)") && available.len() < 16 << 10),
        "{err:?}"
    );
    let err = Host::<Bincode>::new(with_records(MAX_FUNCTIONS + 1)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Metadata(wasmer_plugin_abi::MetadataError::TooManyFunctions)
        ),
        "{err:?}"
    );
}

#[test]
fn a_module_over_the_size_limit_is_refused_before_compiling() {
    let wasm = PluginWat::new("", &[]).wasm();
    // What counts is the module without its custom sections but the
    // metadata (the text format adds a name section).
    let err = Host::<Bincode>::builder()
        .max_module_bytes(64)
        .build(&wasm)
        .unwrap_err();
    assert!(
        matches!(&err, Error::LoadLimit { limit: "max_module_bytes", reason }
            if reason.contains("bytes to compile, over the 64-byte limit")),
        "{err:?}"
    );
    let mut host = Host::<Bincode>::builder()
        .max_module_bytes(wasm.len() as u64)
        .build(&wasm)
        .unwrap();
    assert_recovers(&mut host);
}

#[test]
fn code_that_costs_too_much_to_compile_is_refused_before_compiling() {
    // Six functions (the allocator, free, `$answer`, `good`, `$blocks`
    // and `$invalid`), three control-flow blocks, two calls (`good`'s of
    // `$answer`, and one in `$blocks`), and a last function that does not
    // validate: a refusal names the limit, not the invalid code, because
    // nothing was compiled.
    let functions = r#"
        (func $blocks (block (loop (if (i32.const 0) (then (call $blocks))))))
        (func $invalid (drop))"#;
    let wasm = PluginWat::new(functions, &[]).wasm();
    let refusal = |builder: HostBuilder| match builder.build(&wasm) {
        Err(Error::LoadLimit { limit, reason }) => Some((limit, reason)),
        Err(Error::Compile(_)) => None,
        other => panic!("expected a refusal or the invalid code's error, got {other:?}"),
    };
    let builder = Host::<Bincode>::builder;

    assert!(refusal(builder().max_functions(6)).is_none());
    let (limit, reason) = refusal(builder().max_functions(5)).unwrap();
    assert_eq!(limit, "max_functions");
    assert_eq!(
        reason,
        "the module defines 6 functions, over the limit of 5"
    );

    assert!(refusal(builder().max_control_blocks(3)).is_none());
    let (limit, reason) = refusal(builder().max_control_blocks(2)).unwrap();
    assert_eq!(limit, "max_control_blocks");
    assert!(
        reason.starts_with("the module holds more than 2 control-flow blocks"),
        "{reason}"
    );

    assert!(refusal(builder().max_calls(2)).is_none());
    let (limit, reason) = refusal(builder().max_calls(1)).unwrap();
    assert_eq!(limit, "max_calls");
    assert!(
        reason.starts_with("the module holds more than 1 calls"),
        "{reason}"
    );

    // The largest body, as the refusal at 0 bytes names the first one.
    let body_bytes = |limit: u32| refusal(builder().max_function_bytes(limit));
    let (limit, reason) = body_bytes(0).unwrap();
    assert_eq!(limit, "max_function_bytes");
    assert!(
        reason.starts_with("function 0 of the code section has a "),
        "{reason}"
    );
    let largest = (1..64)
        .find(|&bytes| body_bytes(bytes).is_none())
        .expect("the test's bodies are small");
    let (_, reason) = body_bytes(largest - 1).unwrap();
    assert!(
        reason.ends_with(&format!("-byte body, over the {}-byte limit", largest - 1)),
        "{reason}"
    );

    // With the defaults, the same module fails only for its invalid code.
    assert!(matches!(
        builder().build(&wasm).unwrap_err(),
        Error::Compile(_)
    ));
}

#[test]
fn custom_sections_count_toward_the_file_limit_only() {
    let plain = PluginWat::new("", &[]).wasm();
    // A debug build's DWARF, as far as the host can tell: 1 MiB in a
    // custom section of its own.
    let mut debug = plain.clone();
    append_custom_section(&mut debug, ".debug_info", &vec![7u8; 1 << 20]);
    let builder = || {
        Host::<Bincode>::builder()
            .max_module_bytes(plain.len() as u64)
            .max_file_bytes(debug.len() as u64)
    };
    assert_recovers(&mut builder().build(&debug).unwrap());
    let err = builder()
        .max_file_bytes(debug.len() as u64 - 1)
        .build(&debug)
        .unwrap_err();
    assert!(
        matches!(&err, Error::LoadLimit { limit: "max_file_bytes", reason } if reason.contains(&debug.len().to_string())),
        "{err:?}"
    );
    // What counts is what compiles: the plain module, give or take the
    // few bytes of the added section's header (and without any name
    // section the text format left in it).
    let compiled_bytes = |max: u64| match builder().max_module_bytes(max).build(&debug) {
        Err(Error::LoadLimit {
            limit: "max_module_bytes",
            reason,
        }) => Some(reason),
        Err(other) => panic!("{other:?}"),
        Ok(_) => None,
    };
    let reason = compiled_bytes(0).expect("refused at 0");
    let compiled: u64 = reason
        .strip_prefix("the module is ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("{reason}"));
    assert!(compiled <= plain.len() as u64 + 8, "{reason}");
    assert!(
        reason.contains("bytes of custom sections besides do not count"),
        "{reason}"
    );
    assert!(compiled_bytes(compiled).is_none());
    assert!(compiled_bytes(compiled - 1).is_some());
}

// 8. Start functions run under the call's fuel budget.

const STARTED: &str = r#"
    (global $started (mut i32) (i32.const 0))
    (func (export "__wasmer_plugin_fn_started") (param i32 i32) (result i32)
      (i32.store (i32.const 128) (global.get $started))
      (call $answer (i32.const 128) (i32.const 1) (i32.const 0)))"#;

#[test]
fn a_benign_start_function_runs_with_and_without_fuel() {
    let functions =
        format!(r#"{STARTED} (func $start (global.set $started (i32.const 5))) (start $start)"#);
    let wasm = PluginWat::new(&functions, &["started"]).wasm();
    for fuel in [Some(1_000), None] {
        let mut builder = Host::<Bincode>::builder();
        if let Some(fuel) = fuel {
            builder = builder.fuel_per_call(fuel);
        }
        let mut host = builder.build(&wasm).unwrap();
        assert_eq!(host.call::<_, u32>("started", &()).unwrap(), 5, "{fuel:?}");
        assert_recovers(&mut host);
    }
}

#[test]
fn a_start_function_calls_host_functions_with_and_without_limits() {
    // The start function sends the bincode string "hi" (at address 200)
    // to host function `probe`, then records that it ran.
    let functions = format!(
        r#"{STARTED}
           (func $start
             (i64.store (i32.const 200) (i64.const 0x6968_02))
             (drop (call $probe (i32.const 200) (i32.const 3) (i32.const 16)))
             (global.set $started (i32.const 5)))
           (start $start)"#
    );
    let mut wat = PluginWat::new(&functions, &["started"]);
    wat.imports = r#"(import "wasmer-plugin" "__wasmer_plugin_host_probe" (func $probe (param i32 i32 i32) (result i32)))"#;
    let wasm = wat.wasm_importing("probe", "String", "u32");
    type Limit = fn(HostBuilder<Bincode, u32>) -> HostBuilder<Bincode, u32>;
    let limits: [(&str, Limit); 4] = [
        ("no limits", |builder| builder),
        ("fuel", |builder| builder.fuel_per_call(1_000_000)),
        ("timeout", |builder| {
            builder.timeout(Duration::from_secs(10))
        }),
        ("fuel and timeout", |builder| {
            builder
                .fuel_per_call(1_000_000)
                .timeout(Duration::from_secs(10))
        }),
    ];
    for (name, limit) in limits {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let builder = Host::<Bincode>::builder()
            .state(|| 40u32)
            .host_fn("probe", {
                let heard = heard.clone();
                move |ctx, text: String| {
                    // The instance's state is lent to the start function's
                    // host calls as to a call's.
                    *ctx.state_mut() += 1;
                    heard.lock().unwrap().push((text.clone(), *ctx.state()));
                    text.len() as u32
                }
            });
        let mut host = limit(builder)
            .build(&wasm)
            .unwrap_or_else(|err| panic!("{name}: {}", err.report()));
        assert_eq!(host.call::<_, u32>("started", &()).unwrap(), 5, "{name}");
        assert_eq!(*heard.lock().unwrap(), [("hi".to_owned(), 41)], "{name}");
        assert_eq!(*host.state(), 41, "{name}");
        assert_recovers(&mut host);
    }
}

#[test]
fn a_looping_start_function_runs_out_of_fuel_at_load() {
    let functions = format!(r#"{STARTED} (func $start (loop $l (br $l))) (start $start)"#);
    let err = Host::<Bincode>::builder()
        .fuel_per_call(100_000)
        .build(PluginWat::new(&functions, &["started"]).wasm())
        .unwrap_err();
    assert!(
        matches!(&err, Error::OutOfFuel { function, budget: 100_000 } if function == "(start function)"),
        "{err:?}"
    );
}

// 9. Messages from the guest are capped.

#[test]
fn long_guest_messages_are_cut() {
    const LONG: u32 = 64 << 20;
    // 64 MiB of invalid UTF-8 as a decoding error, and as a panic message.
    let functions = format!(
        r#"(func (export "__wasmer_plugin_fn_rejects") (param i32 i32) (result i32)
             (memory.fill (i32.const 65536) (i32.const 255) (i32.const {LONG}))
             (call $answer (i32.const 65536) (i32.const {LONG}) (i32.const 1)))
           (func (export "__wasmer_plugin_fn_panics") (param i32 i32) (result i32)
             (memory.fill (i32.const 65536) (i32.const 255) (i32.const {LONG}))
             (drop (call $answer (i32.const 65536) (i32.const {LONG}) (i32.const 3)))
             unreachable)"#
    );
    let wat = PluginWat {
        memory: r#"(memory (export "memory") 1100)"#,
        ..PluginWat::new(&functions, &["rejects", "panics"])
    };
    let mut host = Host::<Bincode>::new(wat.wasm()).unwrap();
    let cut = |message: &str| {
        message.len() < 16 << 10 && message.ends_with(&format!("(cut: {LONG} bytes in all)"))
    };
    let err = host.call::<_, u32>("rejects", &()).unwrap_err();
    assert!(
        matches!(&err, Error::GuestDecode { message, .. } if cut(message)),
        "{}",
        err.to_string().chars().take(200).collect::<String>()
    );
    assert_recovers(&mut host);
    let err = host.call::<_, u32>("panics", &()).unwrap_err();
    assert!(
        matches!(&err, Error::Panic { message, .. } if cut(message)),
        "{}",
        err.to_string().chars().take(200).collect::<String>()
    );
    assert_recovers(&mut host);
}
