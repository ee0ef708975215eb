//! Plugin functions as SQL functions, through DataFusion's SQL and its
//! parallel execution, against the test plugin `tests/plugins/sql`.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Float32Array, Float64Array, Int8Array,
    Int16Array, Int32Array, Int64Array, StringArray, UInt8Array, UInt16Array, UInt32Array,
    UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::{SessionConfig, SessionContext};
use wasmer_plugin_datafusion::{PluginFunctions, register_plugin, register_plugin_udfs};
use wasmer_plugin_host::{Bincode, HostPool, Plugin};

mod native;
use native::native_clean_email;

/// The rendezvous the `meet` function waits at: calls arrive, and each
/// waits until `peers` are there at once (or gives up after a while).
struct Rendezvous {
    arrived: Mutex<u32>,
    all_here: Condvar,
}

static RENDEZVOUS: Rendezvous = Rendezvous {
    arrived: Mutex::new(0),
    all_here: Condvar::new(),
};

fn rendezvous(peers: u32) -> bool {
    let mut arrived = RENDEZVOUS.arrived.lock().unwrap();
    *arrived += 1;
    RENDEZVOUS.all_here.notify_all();
    let (arrived, timeout) = RENDEZVOUS
        .all_here
        .wait_timeout_while(arrived, Duration::from_secs(20), |arrived| *arrived < peers)
        .unwrap();
    drop(arrived);
    !timeout.timed_out()
}

fn plugin() -> Plugin {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    let wasm = WASM.get_or_init(|| wasmer_plugin_tests::plugin("sql-plugin"));
    Plugin::builder()
        .host_fn("rendezvous", |_, peers: u32| rendezvous(peers))
        .build(wasm)
        .unwrap()
}

fn context() -> (SessionContext, PluginFunctions) {
    let ctx = SessionContext::new();
    let functions = register_plugin(&ctx, &plugin()).unwrap();
    (ctx, functions)
}

fn table(ctx: &SessionContext, name: &str, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
    ctx.register_table(name, Arc::new(table)).unwrap();
}

async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, DataFusionError> {
    ctx.sql(sql).await?.collect().await
}

/// The one column of the query's result, its batches concatenated.
async fn column(ctx: &SessionContext, sql: &str) -> ArrayRef {
    let batches = query(ctx, sql).await.unwrap();
    let arrays: Vec<&dyn Array> = batches.iter().map(|b| b.column(0).as_ref()).collect();
    datafusion::arrow::compute::concat(&arrays).unwrap()
}

#[tokio::test]
async fn mapped_functions_are_registered_and_the_others_listed() {
    let (ctx, functions) = context();
    let names = functions.names();
    for name in [
        "add",
        "clean_email",
        "describe",
        "id_i64",
        "id_string",
        "answer",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
        assert!(ctx.udf(name).is_ok(), "{name} not in the context");
    }
    let unmapped: Vec<&str> = functions
        .unmapped()
        .iter()
        .map(|unmapped| unmapped.function.as_str())
        .collect();
    assert_eq!(unmapped, ["norm", "split"]);
    let reason = functions.unmapped()[0].to_string();
    assert!(
        reason.contains("`norm`") && reason.contains("column types"),
        "{reason}"
    );
    // The signature is the plugin's.
    let add = ctx.udf("add").unwrap();
    assert_eq!(
        add.return_type(&[DataType::Int64, DataType::Int64])
            .unwrap(),
        DataType::Int64
    );
}

#[tokio::test]
async fn every_column_type_crosses_both_ways() {
    let (ctx, _) = context();
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "b",
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
        ),
        (
            "i8",
            Arc::new(Int8Array::from(vec![Some(-8), Some(i8::MAX), None])),
        ),
        (
            "i16",
            Arc::new(Int16Array::from(vec![Some(-16), None, Some(i16::MIN)])),
        ),
        (
            "i32",
            Arc::new(Int32Array::from(vec![None, Some(32), Some(i32::MAX)])),
        ),
        (
            "i64",
            Arc::new(Int64Array::from(vec![Some(i64::MIN), Some(64), None])),
        ),
        (
            "u8",
            Arc::new(UInt8Array::from(vec![Some(8), None, Some(u8::MAX)])),
        ),
        (
            "u16",
            Arc::new(UInt16Array::from(vec![Some(16), Some(u16::MAX), None])),
        ),
        (
            "u32",
            Arc::new(UInt32Array::from(vec![None, Some(32), Some(u32::MAX)])),
        ),
        (
            "u64",
            Arc::new(UInt64Array::from(vec![Some(u64::MAX), None, Some(64)])),
        ),
        (
            "f32",
            Arc::new(Float32Array::from(vec![Some(1.5), Some(-0.25), None])),
        ),
        (
            "f64",
            Arc::new(Float64Array::from(vec![None, Some(f64::MAX), Some(-2.5)])),
        ),
        (
            "s",
            Arc::new(StringArray::from(vec![Some("héllo"), None, Some("")])),
        ),
        (
            "by",
            Arc::new(BinaryArray::from(vec![
                Some(&b"\x00\xff"[..]),
                Some(&b""[..]),
                None,
            ])),
        ),
    ];
    table(&ctx, "t", columns.clone());
    let functions = [
        "id_bool",
        "id_i8",
        "id_i16",
        "id_i32",
        "id_i64",
        "id_u8",
        "id_u16",
        "id_u32",
        "id_u64",
        "id_f32",
        "id_f64",
        "id_string",
        "id_bytes",
    ];
    for ((name, input), function) in columns.iter().zip(functions) {
        let output = column(&ctx, &format!("SELECT {function}({name}) FROM t")).await;
        assert_eq!(&output.to_data(), &input.to_data(), "{function}");
    }
}

#[tokio::test]
async fn nulls_follow_sql() {
    let (ctx, _) = context();
    table(
        &ctx,
        "t",
        vec![
            (
                "a",
                Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
            ),
            (
                "b",
                Arc::new(Int64Array::from(vec![Some(10), Some(20), None])),
            ),
            (
                "s",
                Arc::new(StringArray::from(vec![Some("ab"), None, Some("")])),
            ),
        ],
    );
    // A null where the parameter is not an `Option`: a null result.
    let sums = column(&ctx, "SELECT add(a, b) FROM t").await;
    assert_eq!(
        sums.as_primitive::<Int64Type>(),
        &Int64Array::from(vec![Some(11), None, None])
    );
    // An `Option` parameter gets `None`.
    let defaults = column(&ctx, "SELECT or_minus_one(a) FROM t").await;
    assert_eq!(
        defaults.as_primitive::<Int64Type>(),
        &Int64Array::from(vec![1, -1, 3])
    );
    // An `Option` result's `None` is a null.
    let counts = column(&ctx, "SELECT char_count(s) FROM t").await;
    assert_eq!(
        counts.as_primitive::<datafusion::arrow::datatypes::UInt32Type>(),
        &UInt32Array::from(vec![Some(2), None, None])
    );
}

#[tokio::test]
async fn batches_of_every_size_cross() {
    let (ctx, _) = context();
    for rows in [0usize, 1, 8191, 8192, 8193, 20_000] {
        let a: Int64Array = (0..rows as i64).collect();
        let b: Int64Array = (0..rows as i64).map(|x| x * 3).collect();
        let name = format!("t{rows}");
        table(
            &ctx,
            &name,
            vec![("a", Arc::new(a) as ArrayRef), ("b", Arc::new(b))],
        );
        let sums = column(&ctx, &format!("SELECT add(a, b) FROM {name}")).await;
        let expected: Int64Array = (0..rows as i64).map(|x| x * 4).collect();
        assert_eq!(sums.as_primitive::<Int64Type>(), &expected, "{rows} rows");
    }
    // No arguments: one value per row.
    let answers = column(&ctx, "SELECT answer() FROM t20000").await;
    assert_eq!(answers.len(), 20_000);
    assert!(
        answers
            .as_primitive::<datafusion::arrow::datatypes::Int32Type>()
            .values()
            .iter()
            .all(|&x| x == 42)
    );
}

#[tokio::test]
async fn several_columns_of_every_kind_reach_one_call() {
    let (ctx, _) = context();
    table(
        &ctx,
        "t",
        vec![
            ("a", Arc::new(BooleanArray::from(vec![true])) as ArrayRef),
            ("b", Arc::new(Int8Array::from(vec![-1]))),
            ("c", Arc::new(Int16Array::from(vec![-2]))),
            ("d", Arc::new(Int32Array::from(vec![-3]))),
            ("e", Arc::new(UInt8Array::from(vec![4]))),
            ("f", Arc::new(UInt16Array::from(vec![5]))),
            ("g", Arc::new(UInt32Array::from(vec![6]))),
            ("h", Arc::new(UInt64Array::from(vec![7]))),
            ("i", Arc::new(Float32Array::from(vec![0.5]))),
            ("j", Arc::new(Float64Array::from(vec![0.25]))),
            ("k", Arc::new(StringArray::from(vec!["text"]))),
            ("l", Arc::new(BinaryArray::from(vec![&b"\x01\x02"[..]]))),
        ],
    );
    let described = column(
        &ctx,
        "SELECT describe(a, b, c, d, e, f, g, h, i, j, k, l) FROM t",
    )
    .await;
    assert_eq!(
        described.as_string::<i32>().value(0),
        "true -1 -2 -3 4 5 6 7 0.5 0.25 text [1, 2]"
    );
}

#[tokio::test]
async fn a_million_rows_equal_a_native_udf() {
    let (ctx, _) = context();
    ctx.register_udf(native_clean_email());
    let rows = 1_000_000;
    let addresses: StringArray = (0..rows)
        .map(|i| match i % 5 {
            0 => Some(format!("  User{i}@Example.COM ")),
            1 => Some(format!("no-at-sign-{i}")),
            2 => None,
            3 => Some(format!("a{i}@b@c.d")),
            _ => Some(format!("x{i}@Y{i}.org")),
        })
        .collect();
    let a: Int64Array = (0..rows as i64).collect();
    table(
        &ctx,
        "m",
        vec![
            ("address", Arc::new(addresses) as ArrayRef),
            ("a", Arc::new(a)),
        ],
    );
    let plugin = column(&ctx, "SELECT clean_email(address) FROM m").await;
    let native = column(&ctx, "SELECT native_clean_email(address) FROM m").await;
    assert_eq!(plugin.len(), rows);
    assert_eq!(plugin.to_data(), native.to_data());
    let sums = column(&ctx, "SELECT add(a, a) - 2 * a FROM m").await;
    assert!(
        sums.as_primitive::<Int64Type>()
            .values()
            .iter()
            .all(|&x| x == 0)
    );
}

#[tokio::test]
async fn a_panic_fails_the_query_naming_the_function_row_and_message() {
    let (ctx, _) = context();
    table(
        &ctx,
        "t",
        vec![(
            "s",
            Arc::new(StringArray::from(vec![
                "fine",
                "also fine",
                "boom",
                "never",
            ])) as ArrayRef,
        )],
    );
    let error = query(&ctx, "SELECT explode_on_boom(s) FROM t")
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("`explode_on_boom` failed on row 2 of its batch of 4"),
        "{text}"
    );
    assert!(text.contains("called with (boom)"), "{text}");
    assert!(text.contains("`explode_on_boom` panicked: "), "{text}");
    assert!(text.contains("boom is not allowed here"), "{text}");
    // The host's error is in the chain, to downcast.
    let host_error = std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source())
        .find_map(|e| e.downcast_ref::<wasmer_plugin_datafusion::Error>())
        .and_then(wasmer_plugin_datafusion::Error::host_error)
        .expect("the plugin host's error in the chain");
    assert!(
        matches!(host_error, wasmer_plugin_host::Error::Panic { .. }),
        "{host_error:?}"
    );
    // The next query runs on a fresh instance.
    let lengths = column(&ctx, "SELECT explode_on_boom(s) FROM t WHERE s <> 'boom'").await;
    assert_eq!(
        lengths.as_primitive::<Int64Type>(),
        &Int64Array::from(vec![4, 9, 5])
    );
}

#[test]
fn four_partitions_run_on_four_instances() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(4));
        let pool = Arc::new(HostPool::<Bincode>::new(&plugin()));
        let functions = PluginFunctions::new(pool.clone()).unwrap();
        functions.register(&ctx);
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let partitions: Vec<Vec<RecordBatch>> = (0..4)
            .map(|p| {
                let x: Int64Array = (p * 10..p * 10 + 10).collect();
                vec![RecordBatch::try_new(schema.clone(), vec![Arc::new(x)]).unwrap()]
            })
            .collect();
        let table = MemTable::try_new(schema, partitions).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        // Each partition's batch waits in the plugin until all four are
        // there: only four instances on four threads can answer.
        let met = column(&ctx, "SELECT meet(x, CAST(4 AS INT UNSIGNED)) FROM t").await;
        let mut values: Vec<i64> = met.as_primitive::<Int64Type>().values().to_vec();
        values.sort_unstable();
        assert_eq!(
            values,
            (0..40).collect::<Vec<_>>(),
            "every batch met the others"
        );
        assert_eq!(pool.instances(), 4);
    });
}

/// On tokio's current-thread runtime (`#[tokio::test]`'s), every
/// partition runs on the test's thread, on its one instance.
#[tokio::test]
async fn repeated_queries_leave_the_plugin_memory_as_it_was() {
    let ctx = SessionContext::new();
    let pool = Arc::new(HostPool::<Bincode>::new(&plugin()));
    PluginFunctions::new(pool.clone()).unwrap().register(&ctx);
    let addresses: StringArray = (0..50_000)
        .map(|i| Some(format!("User{i}@Example.com")))
        .collect();
    table(
        &ctx,
        "t",
        vec![("address", Arc::new(addresses) as ArrayRef)],
    );
    let sql = "SELECT clean_email(address) FROM t";
    // The first queries grow the plugin's buffers to the largest batch.
    for _ in 0..3 {
        column(&ctx, sql).await;
    }
    let first = pool.memory_size().expect("this thread's instance");
    for _ in 0..20 {
        column(&ctx, sql).await;
    }
    assert_eq!(pool.memory_size(), Some(first), "the plugin's memory grew");
    assert_eq!(pool.instances(), 1);
}

#[tokio::test]
async fn a_ballista_style_registry_gets_the_same_functions() {
    // Ballista's executors and scheduler build their sessions from a
    // `SessionState`: the functions register into it as into any
    // `FunctionRegistry`.
    let mut state = SessionContext::new().state();
    let functions = register_plugin_udfs(&mut state, &plugin()).unwrap();
    assert!(FunctionRegistry::udfs(&state).contains("clean_email"));
    let ctx = SessionContext::new_with_state(state);
    table(
        &ctx,
        "t",
        vec![(
            "s",
            Arc::new(StringArray::from(vec![" A@B.io "])) as ArrayRef,
        )],
    );
    let cleaned = column(&ctx, "SELECT clean_email(s) FROM t").await;
    assert_eq!(cleaned.as_string::<i32>().value(0), "a@b.io");
    assert!(functions.names().contains(&"clean_email"));
}
