//! Hand-written modules that break the contract: the host reports each
//! breach as an error, never panics or reads out of bounds, and serves the
//! next call.

use wasmer_plugin_host::{Bincode, Error, Host};
use wasmer_plugin_tests::{PluginWat, append_custom_section, record, wat_record_bytes};

/// The contract's exports around `functions` (see [`PluginWat`]), with
/// `imports` and a metadata record for each name in `names`.
fn module(imports: &str, functions: &str, names: &[&str]) -> Vec<u8> {
    PluginWat {
        imports,
        ..PluginWat::new(functions, names)
    }
    .wasm()
}

/// Like [`module`], with `alloc` (WAT instructions that see the requested
/// size as `(local.get 0)`) as the allocator's body.
fn module_with_alloc(imports: &str, alloc: &str, functions: &str, names: &[&str]) -> Vec<u8> {
    PluginWat {
        imports,
        alloc,
        ..PluginWat::new(functions, names)
    }
    .wasm()
}

fn assert_recovers(host: &mut Host<Bincode>) {
    assert_eq!(host.call::<_, u32>("good", &()).unwrap(), 7);
}

/// Exported functions that answer `(ptr, len, status)`, and what the
/// host's error must say about each.
const BAD_OUTPUTS: [(&str, [i32; 3], &str); 4] = [
    ("past_the_end", [65530, 100, 0], "outside"),
    ("wrapping", [-16, 32, 0], "outside"),
    ("unknown_status", [64, 1, 9], "status 9"),
    ("panic_status", [64, 1, 3], "status 3"),
];

#[test]
fn bad_outputs_are_reported_and_the_next_call_works() {
    let functions: String = BAD_OUTPUTS
        .iter()
        .map(|(name, [ptr, len, status], _)| {
            format!(
                r#"(func (export "__wasmer_plugin_fn_{name}") (param i32 i32) (result i32)
                     (call $answer (i32.const {ptr}) (i32.const {len}) (i32.const {status})))"#
            )
        })
        .collect();
    let names: Vec<&str> = BAD_OUTPUTS.iter().map(|(name, ..)| *name).collect();
    let mut host = Host::<Bincode>::new(module("", &functions, &names)).unwrap();
    for (name, _, says) in BAD_OUTPUTS {
        let err = host.call::<_, u32>(name, &()).unwrap_err();
        assert!(
            matches!(&err, Error::BadOutput { function, reason } if function == name && reason.contains(says)),
            "{name}: {err:?}"
        );
        assert_recovers(&mut host);
    }
}

#[test]
fn trap_without_a_recorded_panic_is_a_trap() {
    let wasm = module(
        "",
        r#"(func (export "__wasmer_plugin_fn_trap") (param i32 i32) (result i32)
             (unreachable))"#,
        &["trap"],
    );
    let mut host = Host::<Bincode>::new(wasm).unwrap();
    // A successful call first, so that the slot holds an old status.
    assert_recovers(&mut host);
    let err = host.call::<_, u32>("trap", &()).unwrap_err();
    assert!(
        matches!(&err, Error::Trap { function, code: Some(_), .. } if function == "trap"),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

/// Allocator bodies that misbehave for buffers over 1 KiB (the host asks
/// for at least 1 KiB), and what the host must say about each.
const BAD_ALLOCATORS: [(&str, &str); 3] = [
    (
        "(if (result i32) (i32.gt_u (local.get 0) (i32.const 1024)) (then (i32.const 0)) (else (i32.const 1024)))",
        "returned 0",
    ),
    (
        "(if (result i32) (i32.gt_u (local.get 0) (i32.const 1024)) (then (i32.const 65000)) (else (i32.const 1024)))",
        "outside",
    ),
    (
        "(if (result i32) (i32.gt_u (local.get 0) (i32.const 1024)) (then (unreachable)) (else (i32.const 1024)))",
        "trapped",
    ),
];

#[test]
fn allocator_failures_are_reported_and_the_next_call_works() {
    for (alloc, says) in BAD_ALLOCATORS {
        let mut host = Host::<Bincode>::new(module_with_alloc("", alloc, "", &[])).unwrap();
        // `good` ignores its arguments; these need a 2 KiB buffer.
        let err = host.call::<_, u32>("good", &vec![0u8; 1500]).unwrap_err();
        assert!(
            matches!(&err, Error::GuestAlloc { function, reason, .. } if function == "good" && reason.contains(says)),
            "{alloc}: {err:?}"
        );
        // Small arguments fit the allocator's good branch.
        assert_eq!(host.call::<_, u32>("good", &5u32).unwrap(), 7);
    }
}

#[test]
fn an_output_length_over_the_limit_is_refused_before_reading() {
    let functions = r#"(func (export "__wasmer_plugin_fn_huge") (param i32 i32) (result i32)
                         (call $answer (i32.const 64) (i32.const 0x7fffff00) (i32.const 0)))"#;
    let mut host = Host::<Bincode>::new(module("", functions, &["huge"])).unwrap();
    let err = host.call::<_, u32>("huge", &()).unwrap_err();
    assert!(
        matches!(&err, Error::OutputTooLarge { function, len: 0x7fffff00, .. } if function == "huge"),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn unbounded_memory_grow_hits_the_memory_limit() {
    // Grows a page at a time, and traps when the engine says no.
    let functions = r#"(func (export "__wasmer_plugin_fn_grow") (param i32 i32) (result i32)
                         (loop $more
                           (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
                         (unreachable))"#;
    let limit: u64 = 4 << 20;
    let mut host = Host::<Bincode>::builder()
        .max_memory_bytes(limit)
        .build(module("", functions, &["grow"]))
        .unwrap();
    let err = host.call::<_, u32>("grow", &()).unwrap_err();
    assert!(
        matches!(&err, Error::MemoryLimit { function, limit: reported } if function == "grow" && *reported == limit),
        "{err:?}"
    );
    assert_recovers(&mut host);
    assert_eq!(host.memory_size(), Some(64 * 1024), "a fresh instance");
}

#[test]
fn initial_memory_over_the_limit_fails_to_load() {
    let wasm = module("", "", &[]);
    let err = Host::<Bincode>::builder()
        .max_memory_bytes(0)
        .build(&wasm)
        .unwrap_err();
    assert!(
        matches!(&err, Error::LoadLimit { limit: "max_memory_bytes", reason } if reason.contains("memory")),
        "{err:?}"
    );
    // The same module loads under the default limit.
    assert_recovers(&mut Host::<Bincode>::new(&wasm).unwrap());
}

#[test]
fn an_endless_wat_loop_runs_out_of_fuel() {
    let functions = r#"(func (export "__wasmer_plugin_fn_spin") (param i32 i32) (result i32)
                         (loop $forever (br $forever))
                         (i32.const 0))"#;
    let mut host = Host::<Bincode>::builder()
        .fuel_per_call(1_000_000)
        .build(module("", functions, &["spin"]))
        .unwrap();
    let err = host.call::<_, u32>("spin", &()).unwrap_err();
    assert!(
        matches!(&err, Error::OutOfFuel { function, budget: 1_000_000 } if function == "spin"),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn an_undeclared_import_is_refused_at_load_with_its_name() {
    let wasm = module(r#"(import "env" "host_log" (func))"#, "", &[]);
    let err = Host::<Bincode>::new(wasm).unwrap_err();
    assert!(matches!(err, Error::UnknownImport { .. }), "{err:?}");
    assert!(err.to_string().contains("host_log"), "{err}");
}

#[test]
fn a_module_without_memory_fails_to_load() {
    let wat = r#"(module
          (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
          (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 0))
          (func (export "__wasmer_plugin_free") (param i32 i32)))"#;
    let mut wasm = wasmer::wat2wasm(wat.as_bytes()).unwrap().into_owned();
    append_custom_section(
        &mut wasm,
        "wasmer-plugin",
        &wat_record_bytes(&record("f", "bincode")),
    );
    let err = Host::<Bincode>::new(wasm).unwrap_err();
    assert!(
        matches!(&err, Error::BadExport { export, .. } if export == "memory"),
        "{err:?}"
    );
}

#[test]
fn metadata_naming_a_missing_export_fails_that_function_only() {
    let mut host = Host::<Bincode>::new(module("", "", &["ghost"])).unwrap();
    let err = host.call::<_, u32>("ghost", &()).unwrap_err();
    assert!(
        matches!(&err, Error::BadExport { export, reason } if export == "__wasmer_plugin_fn_ghost" && reason.contains("`ghost`")),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn a_plugin_export_with_the_wrong_signature_fails_that_function_only() {
    let functions = r#"(func (export "__wasmer_plugin_fn_skewed") (param i64) (result i32)
                         (i32.const 0))"#;
    let mut host = Host::<Bincode>::new(module("", functions, &["skewed"])).unwrap();
    let err = host.call::<_, u32>("skewed", &()).unwrap_err();
    assert!(
        matches!(&err, Error::BadExport { export, reason } if export == "__wasmer_plugin_fn_skewed" && reason.contains("`skewed`")),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn truncated_metadata_fails_to_load() {
    let record = wat_record_bytes(&record("good", "bincode"));
    for cut in [1, 5, record.len() - 1] {
        let wat = r#"(module (memory (export "memory") 1))"#;
        let mut wasm = wasmer::wat2wasm(wat.as_bytes()).unwrap().into_owned();
        append_custom_section(&mut wasm, "wasmer-plugin", &record[..cut]);
        let err = Host::<Bincode>::new(wasm).unwrap_err();
        assert!(matches!(err, Error::Metadata(_)), "cut at {cut}: {err:?}");
    }
}

#[test]
fn an_output_whose_length_prefix_lies_is_a_decode_error() {
    // A bincode string claiming 2^56 bytes, in nine bytes.
    let functions = r#"(data (i32.const 128) "\fd\f9\fe\00\00\00\00\ff\00")
                       (func (export "__wasmer_plugin_fn_liar") (param i32 i32) (result i32)
                         (call $answer (i32.const 128) (i32.const 9) (i32.const 0)))"#;
    let mut host = Host::<Bincode>::new(module("", functions, &["liar"])).unwrap();
    let err = host.call::<_, String>("liar", &()).unwrap_err();
    assert!(
        matches!(&err, Error::Decode { function, .. } if function == "liar"),
        "{err:?}"
    );
    assert_recovers(&mut host);
}
