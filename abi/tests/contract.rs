//! Guards the wire contract: the fingerprint of everything a host and a
//! guest must agree on is recorded per ABI version in `contract.lock`.
//! Changing the contract without bumping `ABI_VERSION` fails here.
//!
//! After a deliberate change: bump `ABI_VERSION`, update `docs/ABI.md`,
//! then run `WASMER_PLUGIN_BLESS=1 cargo test -p wasmer-plugin-abi --test contract`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use wasmer_plugin_abi::*;

/// Every observable fact of the contract, one per line.
fn contract_description() -> String {
    let mut text = String::new();
    let mut line = |key: &str, value: &dyn std::fmt::Display| {
        writeln!(text, "{key} = {value}").unwrap();
    };
    line("METADATA_SECTION", &METADATA_SECTION);
    line("MEMORY_EXPORT", &MEMORY_EXPORT);
    line("ALLOC_EXPORT", &ALLOC_EXPORT);
    line("FREE_EXPORT", &FREE_EXPORT);
    line("SLOT_EXPORT", &SLOT_EXPORT);
    line("FUNCTION_EXPORT_PREFIX", &FUNCTION_EXPORT_PREFIX);
    line("IMPORT_MODULE", &IMPORT_MODULE);
    line("HOST_FUNCTION_PREFIX", &HOST_FUNCTION_PREFIX);
    line("TAKE_REPLY_IMPORT", &TAKE_REPLY_IMPORT);
    line("CLOCK_WALL_IMPORT", &CLOCK_WALL_IMPORT);
    line("CLOCK_MONOTONIC_IMPORT", &CLOCK_MONOTONIC_IMPORT);
    line("RANDOM_FILL_IMPORT", &RANDOM_FILL_IMPORT);
    line("LOG_IMPORT", &LOG_IMPORT);
    line("GUEST_ALIGN", &GUEST_ALIGN);
    line("SLOT_SIZE", &SLOT_SIZE);
    line("SLOT_LEN_OFFSET", &SLOT_LEN_OFFSET);
    line("SLOT_STATUS_OFFSET", &SLOT_STATUS_OFFSET);
    line("SLOT_PTR_OFFSET", &SLOT_PTR_OFFSET);
    for status in Status::ALL {
        line(&format!("Status::{status:?}"), &status.code());
    }
    line("DIRECT_REPLY_VERSION", &DIRECT_REPLY_VERSION);
    line("DirectReply::IN_SLOT", &DirectReply::IN_SLOT);
    let reply = DirectReply {
        ptr: 0x0102_0304,
        len: 0x0506_0708,
    };
    line("direct reply", &format!("{:#018x}", reply.to_u64()));
    line("RECORD_HEADER_SIZE", &RECORD_HEADER_SIZE);
    line("RECORD_KIND_FUNCTION", &RECORD_KIND_FUNCTION);
    line("RECORD_KIND_IMPORT", &RECORD_KIND_IMPORT);
    let record = FunctionRecord {
        name: "name".into(),
        codec: "codec".into(),
        args: "(A, B)".into(),
        ret: "R".into(),
    };
    let mut bytes = record.to_bytes();
    // The version is recorded beside the fingerprint, not inside it.
    bytes[..4].fill(0);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    line("function record", &hex);
    let mut bytes = record.to_import_bytes();
    bytes[..4].fill(0);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    line("import record", &hex);
    line("OLDEST_ABI_VERSION", &OLDEST_ABI_VERSION);
    line("SCHEMA_EXPORT_PREFIX", &SCHEMA_EXPORT_PREFIX);
    line("IMPORT_SCHEMA_EXPORT_PREFIX", &IMPORT_SCHEMA_EXPORT_PREFIX);
    line("MAX_SCHEMA_BYTES", &MAX_SCHEMA_BYTES);
    line("MAX_SCHEMA_DEPTH", &MAX_SCHEMA_DEPTH);
    // Every tag of the schema bytes, in one schema.
    let hex: String = sample_schema()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    line("function schema", &hex);
    line("function export of `f`", &function_export_name("f"));
    line("schema export of `f`", &schema_export_name("f"));
    line(
        "host function schema export of `f`",
        &import_schema_export_name("f"),
    );
    line(
        "host function import of `f`",
        &host_function_import_name("f"),
    );
    line("batch export of `f`", &batch_export_name("f"));
    line("BATCH_HEADER_SIZE", &BATCH_HEADER_SIZE);
    line("BATCH_ROW_OFFSET", &BATCH_ROW_OFFSET);
    line("NO_ROW", &NO_ROW);
    line("BATCH_OUTPUT_HEADER_SIZE", &BATCH_OUTPUT_HEADER_SIZE);
    line("COLUMN_HEADER_SIZE", &COLUMN_HEADER_SIZE);
    line("COLUMN_HAS_VALIDITY", &COLUMN_HAS_VALIDITY);
    line("BATCH_ALIGN", &BATCH_ALIGN);
    for kind in ColumnKind::ALL {
        line(&format!("ColumnKind::{kind:?}"), &kind.code());
    }
    // Every section of the layout, in one batch.
    let mut ints = ColumnBuilder::new(ColumnKind::I32, 3);
    ints.push_fixed(&5i32.to_le_bytes());
    ints.push_null();
    ints.push_fixed(&(-5i32).to_le_bytes());
    let mut strings = ColumnBuilder::new(ColumnKind::Str, 3);
    for value in ["a", "bc", ""] {
        strings.push_bytes(value.as_bytes());
    }
    let mut bools = ColumnBuilder::new(ColumnKind::Bool, 3);
    bools.push_bool(true);
    bools.push_null();
    bools.push_bool(false);
    let mut batch = Vec::new();
    write_batch_header(&mut batch, 3, 3);
    for column in [ints.column(), strings.column(), bools.column()] {
        write_column(&mut batch, &column);
    }
    let hex: String = batch.iter().map(|b| format!("{b:02x}")).collect();
    line("batch", &hex);
    let mut output = Vec::new();
    write_output_header(&mut output, 3);
    write_column(&mut output, &strings.column());
    let hex: String = output.iter().map(|b| format!("{b:02x}")).collect();
    line("batch output", &hex);
    text
}

/// A schema holding every format, shape and container kind.
fn sample_schema() -> FunctionSchema {
    use std::collections::BTreeMap;
    let simple = vec![
        Format::Unit,
        Format::Bool,
        Format::I8,
        Format::I16,
        Format::I32,
        Format::I64,
        Format::I128,
        Format::U8,
        Format::U16,
        Format::U32,
        Format::U64,
        Format::U128,
        Format::F32,
        Format::F64,
        Format::Char,
        Format::Str,
        Format::Bytes,
        Format::Option(Box::new(Format::Unknown)),
        Format::Seq(Box::new(Format::U8)),
        Format::Map(Box::new(Format::Str), Box::new(Format::Named("E".into()))),
        Format::Named("S".into()),
    ];
    let field = Field {
        name: "f".into(),
        format: Format::U32,
        optional: true,
    };
    let variant = |name: &str, shape| Variant {
        name: name.into(),
        shape,
    };
    let containers = BTreeMap::from([
        (
            "S".to_owned(),
            Container::Struct(Shape::Struct {
                fields: vec![field],
                closed: false,
            }),
        ),
        (
            "E".to_owned(),
            Container::Enum(vec![
                variant("U", Some(Shape::Unit)),
                variant("N", Some(Shape::Newtype(Format::I8))),
                variant("T", Some(Shape::Tuple(vec![Format::I8, Format::U8]))),
                variant("X", None),
            ]),
        ),
    ]);
    FunctionSchema {
        args: Ok(Schema {
            root: Format::Tuple(simple),
            containers,
        }),
        ret: Err("why".into()),
    }
}

fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn lock_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract.lock")
}

/// `(abi_version, fingerprint)` from `contract.lock`.
fn read_lock() -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(lock_path()).ok()?;
    let value = |key: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
            Some(rest.trim().to_owned())
        })
    };
    let version = value("abi_version")?.parse().ok()?;
    let fingerprint =
        u64::from_str_radix(value("fingerprint")?.trim_start_matches("0x"), 16).ok()?;
    Some((version, fingerprint))
}

#[test]
fn contract_changes_come_with_a_version_bump() {
    let description = contract_description();
    let current = fingerprint(&description);
    let bless = std::env::var_os("WASMER_PLUGIN_BLESS").is_some();
    match read_lock() {
        Some((version, recorded)) if version == ABI_VERSION => assert_eq!(
            recorded, current,
            "the wire contract changed but ABI_VERSION is still {ABI_VERSION}: bump ABI_VERSION, \
             update docs/ABI.md, then run `WASMER_PLUGIN_BLESS=1 cargo test -p wasmer-plugin-abi --test contract`.\n\
             The contract now reads:\n{description}"
        ),
        recorded if bless => {
            let lock = format!(
                "# The wire contract's fingerprint for the current ABI version, written by\n\
                 # abi/tests/contract.rs. Never edit by hand: bump ABI_VERSION instead.\n\
                 abi_version = {ABI_VERSION}\nfingerprint = {current:#018x}\n"
            );
            std::fs::write(lock_path(), lock).unwrap();
            eprintln!("recorded the contract of ABI version {ABI_VERSION} (was {recorded:?})");
        }
        recorded => panic!(
            "ABI_VERSION is {ABI_VERSION} but contract.lock records {recorded:?}: after checking docs/ABI.md, \
             record the new version with `WASMER_PLUGIN_BLESS=1 cargo test -p wasmer-plugin-abi --test contract`"
        ),
    }
}

#[test]
fn the_spec_names_every_part_of_the_contract() {
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ABI.md");
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    assert!(
        spec.contains(&format!("ABI version {ABI_VERSION}")),
        "docs/ABI.md does not describe ABI version {ABI_VERSION}"
    );
    let mut facts = vec![
        format!("`{METADATA_SECTION}`"),
        format!("`{MEMORY_EXPORT}`"),
        format!("`{ALLOC_EXPORT}`"),
        format!("`{FREE_EXPORT}`"),
        format!("`{SLOT_EXPORT}`"),
        format!("`{FUNCTION_EXPORT_PREFIX}<name>`"),
        format!("`{IMPORT_MODULE}`"),
        format!("`{HOST_FUNCTION_PREFIX}<name>`"),
        format!("`{TAKE_REPLY_IMPORT}`"),
        format!("{RECORD_KIND_IMPORT} (`RECORD_KIND_IMPORT`)"),
        format!("aligned to {GUEST_ALIGN}"),
        format!("{SLOT_SIZE} (`SLOT_SIZE`)"),
        format!("{SLOT_LEN_OFFSET} (`SLOT_LEN_OFFSET`)"),
        format!("{SLOT_STATUS_OFFSET} (`SLOT_STATUS_OFFSET`)"),
        format!("{SLOT_PTR_OFFSET} (`SLOT_PTR_OFFSET`)"),
        format!("{RECORD_KIND_FUNCTION} (`RECORD_KIND_FUNCTION`)"),
        format!("{RECORD_HEADER_SIZE}-byte header"),
        format!("`{SCHEMA_EXPORT_PREFIX}<name>`"),
        format!("(`SCHEMA_EXPORT_PREFIX`)"),
        format!("`OLDEST_ABI_VERSION` ({OLDEST_ABI_VERSION})"),
        format!("`ABI_VERSION` is {ABI_VERSION}"),
        format!("version {DIRECT_REPLY_VERSION} (`DIRECT_REPLY_VERSION`)"),
        format!("{} (`DirectReply::IN_SLOT`)", DirectReply::IN_SLOT),
        format!("1 MiB (`MAX_SCHEMA_BYTES`)"),
        format!("{MAX_SCHEMA_DEPTH} nested formats"),
        format!("`{BATCH_EXPORT_PREFIX}<name>`"),
        format!("{BATCH_HEADER_SIZE} (`BATCH_HEADER_SIZE`)"),
        format!("{BATCH_ROW_OFFSET} (`BATCH_ROW_OFFSET`)"),
        format!("{NO_ROW:#x} (`NO_ROW`)"),
        format!("{BATCH_OUTPUT_HEADER_SIZE} (`BATCH_OUTPUT_HEADER_SIZE`)"),
        format!("{COLUMN_HEADER_SIZE} (`COLUMN_HEADER_SIZE`)"),
        format!("{COLUMN_HAS_VALIDITY} (`COLUMN_HAS_VALIDITY`)"),
        format!("{BATCH_ALIGN} (`BATCH_ALIGN`)"),
    ];
    for kind in ColumnKind::ALL {
        facts.push(format!("| {} | `{}` |", kind.code(), kind.type_name()));
    }
    for status in Status::ALL {
        facts.push(format!("| {} | `{status:?}` |", status.code()));
    }
    for fact in facts {
        assert!(spec.contains(&fact), "docs/ABI.md does not say {fact}");
    }
}

/// The attribute and the guest runtime spell some names as literals
/// (attributes and proc-macro crates cannot use the constants); they must
/// match the constants.
#[test]
fn literal_copies_of_the_names_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    for (file, export) in [
        ("wasmer-plugin/src/guest/exports.rs", ALLOC_EXPORT),
        ("wasmer-plugin/src/guest/exports.rs", FREE_EXPORT),
        ("wasmer-plugin/src/guest/slot.rs", SLOT_EXPORT),
    ] {
        assert!(
            read(file).contains(&format!("export_name = \"{export}\"")),
            "{file} does not export `{export}`"
        );
    }
    let imports = read("wasmer-plugin/src/guest/imports.rs");
    assert!(
        imports.contains(&format!("wasm_import_module = \"{IMPORT_MODULE}\""))
            && imports.contains(&format!("link_name = \"{TAKE_REPLY_IMPORT}\"")),
        "wasmer-plugin/src/guest/imports.rs does not import `{IMPORT_MODULE}`.`{TAKE_REPLY_IMPORT}`"
    );
    for (file, name, value) in [
        (
            "macros/src/expand.rs",
            "FUNCTION_EXPORT_PREFIX",
            FUNCTION_EXPORT_PREFIX,
        ),
        ("macros/src/expand.rs", "METADATA_SECTION", METADATA_SECTION),
        (
            "macros/src/expand.rs",
            "SCHEMA_EXPORT_PREFIX",
            SCHEMA_EXPORT_PREFIX,
        ),
        (
            "macros/src/batch.rs",
            "BATCH_EXPORT_PREFIX",
            BATCH_EXPORT_PREFIX,
        ),
        ("macros/src/imports.rs", "IMPORT_MODULE", IMPORT_MODULE),
        (
            "macros/src/imports.rs",
            "HOST_FUNCTION_PREFIX",
            HOST_FUNCTION_PREFIX,
        ),
    ] {
        assert!(
            read(file).contains(&format!("const {name}: &str = \"{value}\";")),
            "{file} disagrees with {name} = {value:?}"
        );
    }
}

/// The slot's byte layout, as the guest writes it and the host reads it.
#[test]
fn the_slot_round_trips_through_its_bytes() {
    let slot = Slot {
        len: 0x0403_0201,
        status: Status::Panic.code(),
        ptr: 0x0c0b_0a09,
    };
    let bytes = slot.to_le_bytes();
    assert_eq!(bytes, [1, 2, 3, 4, 3, 0, 0, 0, 9, 10, 11, 12]);
    assert_eq!(Slot::from_le_bytes(bytes), slot);
    assert_eq!(slot.status(), Some(Status::Panic));
    assert_eq!(Slot { status: 9, ..slot }.status(), None);
}
