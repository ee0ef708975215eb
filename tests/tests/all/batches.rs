//! Batch calls (docs/ABI.md, "Batches"): a plugin function on every row
//! of a batch of columns in one call, through `Host::call_batch`, against
//! the `sql` test plugin.

use wasmer_plugin_abi::{
    Column, ColumnBuilder, ColumnKind, Values, write_batch_header, write_column,
};
use wasmer_plugin_host::{Bincode, Error, Host, Plugin};
use wasmer_plugin_tests::plugin;

fn sql_plugin() -> Plugin {
    Plugin::builder()
        .host_fn("rendezvous", |_, _peers: u32| true)
        .build(plugin("sql-plugin"))
        .unwrap()
}

fn host() -> Host<Bincode> {
    Host::from_plugin(&sql_plugin()).unwrap()
}

fn batch(columns: &[Column<'_>], rows: usize) -> Vec<u8> {
    let mut batch = Vec::new();
    write_batch_header(&mut batch, rows, columns.len());
    for column in columns {
        write_column(&mut batch, column);
    }
    batch
}

fn i64s(values: &[Option<i64>]) -> ColumnBuilder {
    let mut column = ColumnBuilder::new(ColumnKind::I64, values.len());
    for value in values {
        match value {
            Some(value) => column.push_fixed(&value.to_le_bytes()),
            None => column.push_null(),
        }
    }
    column
}

fn strings(values: &[&[u8]]) -> ColumnBuilder {
    let mut column = ColumnBuilder::new(ColumnKind::Str, values.len());
    for value in values {
        column.push_bytes(value);
    }
    column
}

/// The rows of an `i64` result column, nulls as `None`.
fn read_i64s(column: Column<'_>) -> Vec<Option<i64>> {
    assert_eq!(column.kind, ColumnKind::I64);
    (0..column.rows)
        .map(|row| {
            column
                .is_valid(row)
                .then(|| i64::from_le_bytes(column.fixed(row)))
        })
        .collect()
}

#[test]
fn a_batch_runs_every_row_in_one_call() {
    let mut host = host();
    let a = i64s(&[Some(1), None, Some(i64::MAX), Some(-4)]);
    let b = i64s(&[Some(2), Some(3), Some(1), None]);
    let sums = host
        .call_batch("add", &batch(&[a.column(), b.column()], 4), read_i64s)
        .unwrap();
    // A null argument to a non-`Option` parameter: a null result.
    assert_eq!(sums, [Some(3), None, Some(i64::MIN), None]);
    // An `Option` parameter gets `None`.
    let defaults = host
        .call_batch("or_minus_one", &batch(&[a.column()], 4), read_i64s)
        .unwrap();
    assert_eq!(defaults, [Some(1), Some(-1), Some(i64::MAX), Some(-4)]);
    // An empty batch is an empty column.
    let empty = host
        .call_batch(
            "add",
            &batch(&[i64s(&[]).column(), i64s(&[]).column()], 0),
            read_i64s,
        )
        .unwrap();
    assert!(empty.is_empty());
}

#[test]
fn only_functions_of_column_types_have_batch_exports() {
    let plugin = sql_plugin();
    for name in ["add", "clean_email", "answer", "char_count", "id_bytes"] {
        assert!(plugin.has_batch_export(name), "{name}");
    }
    for name in ["norm", "split", "no_such_function"] {
        assert!(!plugin.has_batch_export(name), "{name}");
    }
    let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
    let error = host.call_batch("norm", &batch(&[], 0), |_| ()).unwrap_err();
    assert!(
        matches!(&error, Error::NoBatchExport { function } if function == "norm"),
        "{error:?}"
    );
    assert!(error.to_string().contains("call it row by row"), "{error}");
    let error = host.call_batch("nope", &batch(&[], 0), |_| ()).unwrap_err();
    assert!(matches!(error, Error::UnknownFunction { .. }), "{error:?}");
}

#[test]
fn a_batch_the_function_cannot_read_is_refused_before_any_row_runs() {
    let mut host = host();
    let text = strings(&[b"1", b"2"]);
    let refused = |host: &mut Host<Bincode>, name: &str, batch: &[u8]| match host
        .call_batch(name, batch, |_| ())
        .unwrap_err()
    {
        Error::GuestDecode { message, .. } => message,
        other => panic!("{other:?}"),
    };
    let message = refused(&mut host, "add", &batch(&[text.column(), text.column()], 2));
    assert!(
        message.contains("column 0 holds `String` values where the function takes `i64`"),
        "{message}"
    );
    let message = refused(&mut host, "add", &batch(&[i64s(&[Some(1)]).column()], 1));
    assert!(message.contains("expected 2 columns, found 1"), "{message}");
    let message = refused(&mut host, "add", &batch(&[], 0)[..10]);
    assert!(message.contains("the batch header"), "{message}");
    let whole = batch(
        &[
            i64s(&[Some(1), Some(2)]).column(),
            i64s(&[Some(1), Some(2)]).column(),
        ],
        2,
    );
    let message = refused(&mut host, "add", &whole[..whole.len() - 4]);
    assert!(message.contains("ends inside"), "{message}");
    // A string that is not UTF-8 is found at its row.
    let bad = strings(&[b"fine", b"\xff\xfe"]);
    let error = host
        .call_batch("clean_email", &batch(&[bad.column()], 2), |_| ())
        .unwrap_err();
    match error.batch_row() {
        Some((1, Error::GuestDecode { message, .. })) => {
            assert!(
                message.contains("row 1 of string column 0 is not UTF-8"),
                "{message}"
            )
        }
        _ => panic!("{error:?}"),
    }
    // So is one whose ends split a character of data that is UTF-8 as a
    // whole.
    let split = strings(&[b"x", "é".as_bytes().split_at(1).0, b"\xa9"]);
    let error = host
        .call_batch("clean_email", &batch(&[split.column()], 3), |_| ())
        .unwrap_err();
    assert!(matches!(error.batch_row(), Some((1, _))), "{error:?}");
    // Bytes under a null row are not read, UTF-8 or not.
    let offsets: Vec<u8> = [0u32, 5, 6].iter().flat_map(|o| o.to_le_bytes()).collect();
    let under_null = Column {
        kind: ColumnKind::Str,
        rows: 2,
        validity: Some(&[0b01u8][..]),
        values: Values::Variable {
            offsets: &offsets,
            data: b"a@b.c\xff",
        },
    };
    let cleaned = host
        .call_batch("clean_email", &batch(&[under_null], 2), |column| {
            (column.bytes(0).to_vec(), column.is_valid(1))
        })
        .unwrap();
    assert_eq!(cleaned, (b"a@b.c".to_vec(), false));
    // None of it cost the instance.
    let sums = host.call_batch("add", &whole, read_i64s).unwrap();
    assert_eq!(sums, [Some(2), Some(4)]);
}

#[test]
fn a_panic_on_a_row_names_the_row_and_discards_the_instance() {
    let mut host = host();
    let input = strings(&[b"a", b"bb", b"boom", b"never"]);
    let error = host
        .call_batch("explode_on_boom", &batch(&[input.column()], 4), read_i64s)
        .unwrap_err();
    let Error::BatchRow {
        function,
        row,
        rows,
        source,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((function.as_str(), *row, *rows), ("explode_on_boom", 2, 4));
    assert!(
        matches!(&**source, Error::Panic { message, .. } if message.contains("boom is not allowed here")),
        "{source:?}"
    );
    assert!(error.discards_instance());
    assert_eq!(error.batch_row().map(|(row, _)| row), Some(2));
    assert!(
        error.report().to_string().contains(
            "failed on row 2 of a batch of 4: plugin function `explode_on_boom` panicked"
        ),
        "{}",
        error.report()
    );
    assert_eq!(host.memory_size(), None, "the instance went with the panic");
    let fine = strings(&[b"a", b"bb"]);
    let lengths = host
        .call_batch("explode_on_boom", &batch(&[fine.column()], 2), read_i64s)
        .unwrap();
    assert_eq!(lengths, [Some(1), Some(2)]);
}

#[test]
fn the_limits_apply_to_each_batch() {
    let mut host = Host::<Bincode>::builder()
        .host_fn("rendezvous", |_, _peers: u32| true)
        .max_output_bytes(16 * 1024)
        .build(plugin("sql-plugin"))
        .unwrap();
    let rows: Vec<Option<i64>> = (0..4096).map(Some).collect();
    let small = i64s(&rows[..1000]);
    let large = i64s(&rows);
    host.call_batch("id_i64", &batch(&[small.column()], 1000), read_i64s)
        .unwrap();
    let error = host
        .call_batch("id_i64", &batch(&[large.column()], 4096), |_| ())
        .unwrap_err();
    // Found after every row ran: no row's failure.
    assert!(matches!(error, Error::OutputTooLarge { .. }), "{error:?}");
}

#[test]
fn every_column_type_round_trips_and_the_memory_stays_put() {
    let mut host = host();
    let kinds = [
        ("id_bool", ColumnKind::Bool),
        ("id_i8", ColumnKind::I8),
        ("id_i16", ColumnKind::I16),
        ("id_i32", ColumnKind::I32),
        ("id_i64", ColumnKind::I64),
        ("id_u8", ColumnKind::U8),
        ("id_u16", ColumnKind::U16),
        ("id_u32", ColumnKind::U32),
        ("id_u64", ColumnKind::U64),
        ("id_f32", ColumnKind::F32),
        ("id_f64", ColumnKind::F64),
        ("id_string", ColumnKind::Str),
        ("id_bytes", ColumnKind::Bytes),
    ];
    let columns: Vec<ColumnBuilder> = kinds
        .iter()
        .map(|&(_, kind)| {
            let mut column = ColumnBuilder::new(kind, 300);
            for row in 0..300u32 {
                if row % 7 == 3 {
                    column.push_null();
                    continue;
                }
                match kind {
                    ColumnKind::Bool => column.push_bool(row % 3 == 0),
                    ColumnKind::Str | ColumnKind::Bytes => {
                        column.push_bytes(format!("row {row} ✓").as_bytes())
                    }
                    ColumnKind::F32 => column.push_fixed(&(row as f32 * -1.5).to_le_bytes()),
                    ColumnKind::F64 => column.push_fixed(&(f64::from(row) / 7.0).to_le_bytes()),
                    _ => {
                        let width = kind.width().unwrap();
                        let bits = u64::from(row).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                        column.push_fixed(&bits.to_le_bytes()[..width])
                    }
                }
            }
            column
        })
        .collect();
    let mut sizes = Vec::new();
    for round in 0..3 {
        for ((name, _), column) in kinds.iter().zip(&columns) {
            let echoed = host
                .call_batch(name, &batch(&[column.column()], 300), |out| {
                    // Only a column with nulls carries its bitmap; the
                    // values of null rows are placeholders either way.
                    assert_eq!(out.validity, column.column().validity, "{name}");
                    match (out.values, column.column().values) {
                        (Values::Fixed(out), Values::Fixed(sent)) if out.len() == sent.len() => (0
                            ..300)
                            .filter(|row| row % 7 != 3)
                            .all(|row| match column.kind().width() {
                                Some(width) => {
                                    out[row * width..][..width] == sent[row * width..][..width]
                                }
                                None => {
                                    (out[row / 8] >> (row % 8)) & 1
                                        == (sent[row / 8] >> (row % 8)) & 1
                                }
                            }),
                        (Values::Variable { .. }, Values::Variable { .. }) => {
                            (0..300).all(|row| out.bytes(row) == column.column().bytes(row))
                        }
                        _ => false,
                    }
                })
                .unwrap();
            assert!(echoed, "{name} echoed other values (round {round})");
        }
        sizes.push(host.memory_size().unwrap());
    }
    assert_eq!(
        sizes[1], sizes[2],
        "the plugin's memory grew between rounds"
    );
}
