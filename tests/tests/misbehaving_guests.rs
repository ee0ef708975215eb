//! Hand-written modules that break the contract: the host reports each
//! breach as an error, never panics or reads out of bounds, and serves the
//! next call.

use wasmer_plugin_abi::FunctionRecord;
use wasmer_plugin_host::{Bincode, Error, Host};
use wasmer_plugin_tests::append_custom_section;

/// The contract's exports around `functions` (WAT), with a metadata record
/// for each name in `names`. The slot is at address 16; `good` answers the
/// bincode encoding of 7u32 from address 64.
fn module(imports: &str, functions: &str, names: &[&str]) -> Vec<u8> {
    let text = format!(
        r#"(module
             {imports}
             (memory (export "memory") 1)
             (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
             (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 1024))
             (func (export "__wasmer_plugin_free") (param i32 i32))
             (data (i32.const 64) "\07")
             (func $answer (param $ptr i32) (param $len i32) (param $status i32) (result i32)
               (i32.store (i32.const 16) (local.get $len))
               (i32.store (i32.const 20) (local.get $status))
               (i32.store (i32.const 24) (local.get $ptr))
               (local.get $ptr))
             (func (export "__wasmer_plugin_fn_good") (param i32 i32) (result i32)
               (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))
             {functions})"#
    );
    let mut wasm = wasmer::wat2wasm(text.as_bytes()).unwrap().into_owned();
    let mut section = Vec::new();
    for name in ["good"].iter().chain(names) {
        section.extend(
            FunctionRecord {
                name: name.to_string(),
                codec: "bincode".into(),
                args: "()".into(),
                ret: "u32".into(),
            }
            .to_bytes(),
        );
    }
    append_custom_section(&mut wasm, "wasmer-plugin", &section);
    wasm
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

#[test]
fn allocator_failures_are_reported() {
    let wasm = {
        // The contract's exports, but the allocator always answers 0.
        let wat = r#"(module
              (memory (export "memory") 1)
              (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
              (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 0))
              (func (export "__wasmer_plugin_free") (param i32 i32))
              (func (export "__wasmer_plugin_fn_good") (param i32 i32) (result i32) (i32.const 0)))"#;
        let mut wasm = wasmer::wat2wasm(wat.as_bytes()).unwrap().into_owned();
        let record = FunctionRecord {
            name: "good".into(),
            codec: "bincode".into(),
            args: "u32".into(),
            ret: "u32".into(),
        };
        append_custom_section(&mut wasm, "wasmer-plugin", &record.to_bytes());
        wasm
    };
    let mut host = Host::<Bincode>::new(wasm).unwrap();
    let err = host.call::<_, u32>("good", &5u32).unwrap_err();
    assert!(
        matches!(&err, Error::GuestAlloc { reason, .. } if reason.contains("returned 0")),
        "{err:?}"
    );
}

#[test]
fn missing_import_fails_instantiation_with_its_name() {
    let wasm = module(r#"(import "env" "host_log" (func))"#, "", &[]);
    let err = Host::<Bincode>::new(wasm).unwrap_err();
    assert!(matches!(err, Error::Instantiate(_)), "{err:?}");
    assert!(err.to_string().contains("host_log"), "{err}");
}

#[test]
fn metadata_naming_a_missing_export_fails_at_load() {
    let wasm = module("", "", &["ghost"]);
    let err = Host::<Bincode>::new(wasm).unwrap_err();
    assert!(
        matches!(&err, Error::BadExport { export, reason } if export == "__wasmer_plugin_fn_ghost" && reason.contains("`ghost`")),
        "{err:?}"
    );
}
