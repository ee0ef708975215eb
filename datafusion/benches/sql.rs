//! Plugin SQL functions against native DataFusion UDFs of the same logic
//! (docs/BENCHMARKS.md, "SQL functions in DataFusion"), over a table of
//! 1,000,000 rows in batches of DataFusion's default 8,192:
//!
//! - `sql/clean_email`: normalising an e-mail address (`&str ->
//!   Option<String>`): `plugin` (one call per batch) and `native`;
//! - `sql/add`: `a + b` on two `i64` columns: `plugin` (one call per
//!   batch), `plugin_per_row` (a UDF that calls the plugin once per row,
//!   through `HostPool::call`, as a framework without batch calls must)
//!   and `native`;
//! - `sql/threads`: `clean_email` over two partitions, on one thread
//!   (`one`, tokio's current-thread runtime) and on two (`two`); the
//!   native UDF the same way (`native_one`, `native_two`), the control.
//!
//! In criterion's test mode (`cargo test`) the table has 10,000 rows.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use tokio::runtime::Runtime;
use wasmer_plugin_datafusion::PluginFunctions;
use wasmer_plugin_host::{Bincode, HostPool, Plugin};

#[path = "../tests/native/mod.rs"]
mod native;
use native::{native_add, native_clean_email};

/// `add` called once per row, through the pool's typed call.
fn per_row_add(pool: Arc<HostPool<Bincode>>) -> ScalarUDF {
    create_udf(
        "per_row_add",
        vec![DataType::Int64, DataType::Int64],
        DataType::Int64,
        Volatility::Volatile,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let (a, b) = (
                arrays[0].as_primitive::<Int64Type>(),
                arrays[1].as_primitive::<Int64Type>(),
            );
            let function = pool
                .function::<(i64, i64), i64>("add")
                .map_err(|err| datafusion::error::DataFusionError::External(Box::new(err)))?;
            let output = a
                .iter()
                .zip(b.iter())
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => pool.call_function(&function, &(a, b)).map(Some),
                    _ => Ok(None),
                })
                .collect::<Result<Int64Array, _>>()
                .map_err(|err| datafusion::error::DataFusionError::External(Box::new(err)))?;
            Ok(ColumnarValue::Array(Arc::new(output)))
        }),
    )
}

fn plugin() -> Plugin {
    Plugin::builder()
        .host_fn("rendezvous", |_, _peers: u32| true)
        .build(wasmer_plugin_tests::plugin("sql-plugin"))
        .expect("the sql test plugin loads")
}

/// The table, as `partitions` partitions of batches of 8,192 rows.
fn table(rows: usize, partitions: usize) -> MemTable {
    let addresses: StringArray = (0..rows)
        .map(|i| match i % 4 {
            0 => Some(format!("  User{i}@Example.COM ")),
            1 => Some(format!("no-at-sign-{i}")),
            2 => None,
            _ => Some(format!("x{i}@Y{i}.org")),
        })
        .collect();
    let a: Int64Array = (0..rows as i64).collect();
    let b: Int64Array = (0..rows as i64).map(|x| x * 7).collect();
    let batch = RecordBatch::try_from_iter([
        ("address", Arc::new(addresses) as ArrayRef),
        ("a", Arc::new(a)),
        ("b", Arc::new(b)),
    ])
    .unwrap();
    let per_partition = rows.div_ceil(partitions);
    let parts = (0..partitions)
        .map(|p| {
            let start = (p * per_partition).min(rows);
            let len = per_partition.min(rows - start);
            let part = batch.slice(start, len);
            (0..len)
                .step_by(8192)
                .map(|offset| part.slice(offset, 8192.min(len - offset)))
                .collect()
        })
        .collect();
    MemTable::try_new(batch.schema(), parts).unwrap()
}

/// A context over the table with the plugin's functions and the native
/// ones; one partition per core unless `partitions` says otherwise.
fn context(pool: &Arc<HostPool<Bincode>>, rows: usize, partitions: usize) -> SessionContext {
    let ctx = SessionContext::new();
    PluginFunctions::new(pool.clone()).unwrap().register(&ctx);
    ctx.register_udf(native_clean_email());
    ctx.register_udf(native_add());
    ctx.register_udf(per_row_add(pool.clone()));
    ctx.register_table("t", Arc::new(table(rows, partitions)))
        .unwrap();
    ctx
}

/// Runs `sql` and returns its one column, concatenated.
fn run(runtime: &Runtime, ctx: &SessionContext, sql: &str) -> ArrayRef {
    runtime.block_on(async {
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let arrays: Vec<&dyn Array> = batches.iter().map(|b| b.column(0).as_ref()).collect();
        datafusion::arrow::compute::concat(&arrays).unwrap()
    })
}

fn main() {
    let mut c = wasmer_plugin_benches::criterion().configure_from_args();
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let rows = if measuring { 1_000_000 } else { 10_000 };
    let pool = Arc::new(HostPool::<Bincode>::new(&plugin()));
    let single = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let double = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();

    // One partition on one thread: the functions' own cost.
    let ctx = context(&pool, rows, 1);
    let plugin_emails = run(&single, &ctx, "SELECT clean_email(address) FROM t");
    let native_emails = run(&single, &ctx, "SELECT native_clean_email(address) FROM t");
    assert_eq!(
        plugin_emails.to_data(),
        native_emails.to_data(),
        "the two UDFs differ"
    );
    let mut group = c.benchmark_group("sql/clean_email");
    group.sample_size(10);
    group.bench_function("plugin", |b| {
        b.iter(|| run(&single, &ctx, "SELECT clean_email(address) FROM t"))
    });
    group.bench_function("native", |b| {
        b.iter(|| run(&single, &ctx, "SELECT native_clean_email(address) FROM t"))
    });
    group.finish();

    let sums = run(&single, &ctx, "SELECT add(a, b) FROM t");
    assert_eq!(
        sums.to_data(),
        run(&single, &ctx, "SELECT native_add(a, b) FROM t").to_data()
    );
    assert_eq!(
        sums.to_data(),
        run(&single, &ctx, "SELECT per_row_add(a, b) FROM t").to_data()
    );
    let mut group = c.benchmark_group("sql/add");
    group.sample_size(10);
    group.bench_function("plugin", |b| {
        b.iter(|| run(&single, &ctx, "SELECT add(a, b) FROM t"))
    });
    group.bench_function("plugin_per_row", |b| {
        b.iter(|| run(&single, &ctx, "SELECT per_row_add(a, b) FROM t"))
    });
    group.bench_function("native", |b| {
        b.iter(|| run(&single, &ctx, "SELECT native_add(a, b) FROM t"))
    });
    group.finish();

    // Two partitions, on one thread and on two.
    let ctx = context(&pool, rows, 2);
    let sql = "SELECT clean_email(address) FROM t";
    assert_eq!(run(&single, &ctx, sql).len(), rows);
    assert_eq!(run(&double, &ctx, sql).len(), rows);
    // The same query with the native UDF: how far two threads go on
    // this machine and in DataFusion without the plugin.
    let native_sql = "SELECT native_clean_email(address) FROM t";
    let mut group = c.benchmark_group("sql/threads");
    group.sample_size(10);
    group.bench_function("one", |b| b.iter(|| run(&single, &ctx, sql)));
    group.bench_function("two", |b| b.iter(|| run(&double, &ctx, sql)));
    group.bench_function("native_one", |b| b.iter(|| run(&single, &ctx, native_sql)));
    group.bench_function("native_two", |b| b.iter(|| run(&double, &ctx, native_sql)));
    group.finish();
    c.final_summary();
}
