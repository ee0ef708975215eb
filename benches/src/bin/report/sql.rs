//! The "SQL functions in DataFusion" section: plugin functions as
//! DataFusion UDFs against native ones and against a call per row, and
//! two threads against one (`datafusion/benches/sql.rs`).

use std::fmt::Write;

use crate::measurements::Measurements;
use crate::{ratio_value, time, verdict};

/// Target: the string UDF at most this many times the native one.
const STRING_OVER_NATIVE: f64 = 2.0;
/// Target: the numeric UDF at least this many times faster than calling
/// the plugin once per row.
const BATCH_OVER_PER_ROW: f64 = 20.0;
/// Target: two partitions on two threads at least this many times the
/// throughput of one thread.
const TWO_THREADS_THROUGHPUT: f64 = 1.8;

/// The measured ratios: (string over native, per row over batch, numeric
/// over native, one thread over two, the same for the native UDF).
fn ratios(m: &Measurements) -> [Option<f64>; 5] {
    let email = |name: &str| m.get("sql/clean_email", name);
    let add = |name: &str| m.get("sql/add", name);
    let threads = |name: &str| m.get("sql/threads", name);
    [
        ratio_value(email("plugin"), email("native")),
        ratio_value(add("plugin_per_row"), add("plugin")),
        ratio_value(add("plugin"), add("native")),
        ratio_value(threads("one"), threads("two")),
        ratio_value(threads("native_one"), threads("native_two")),
    ]
}

pub fn section(w: &mut String, m: &Measurements) {
    let _ = writeln!(w, "## SQL functions in DataFusion\n");
    let _ = writeln!(
        w,
        "`SELECT f(…) FROM t` over 1,000,000 rows in batches of 8,192, collected \
         (`datafusion/benches/sql.rs`, the `sql` test plugin). **plugin**: the plugin \
         function registered by `wasmer-plugin-datafusion`, one call into the plugin per \
         batch, as columns; **plugin_per_row**: a UDF calling the same plugin function \
         once per row through `HostPool::call_function`; **native**: a DataFusion UDF of \
         the same logic in Rust. `clean_email` trims and lowercases an address (or \
         gives null); `add` is `a + b` on two `i64` columns. The thread rows run \
         `clean_email` over two partitions on tokio's current-thread runtime (**one**) \
         and on two worker threads (**two**); **native_one** and **native_two** run the \
         native UDF the same way, to show how far two threads go on this machine \
         without the plugin.\n"
    );
    let _ = writeln!(w, "| measurement | median |");
    let _ = writeln!(w, "|---|---:|");
    for (group, names) in [
        ("sql/clean_email", &["plugin", "native"][..]),
        ("sql/add", &["plugin", "plugin_per_row", "native"][..]),
        (
            "sql/threads",
            &["one", "two", "native_one", "native_two"][..],
        ),
    ] {
        for name in names {
            let _ = writeln!(w, "| {group}/{name} | {} |", time(m.get(group, name)));
        }
    }
    let _ = writeln!(w);
}

pub fn target_rows(w: &mut String, m: &Measurements) {
    let [string, per_row, numeric, threads, native_threads] = ratios(m);
    let shown =
        |r: Option<f64>, digits: usize| r.map_or("—".into(), |r| format!("{r:.digits$}×"));
    let _ = writeln!(
        w,
        "| SQL: a string UDF over 1,000,000 rows ≤ {STRING_OVER_NATIVE} × a native `ScalarUDF` | {} | {} |",
        shown(string, 2),
        verdict(string.map(|r| r <= STRING_OVER_NATIVE)),
    );
    let _ = writeln!(
        w,
        "| SQL: `a + b` on two `i64` columns over 1,000,000 rows ≥ {BATCH_OVER_PER_ROW} × faster than a call per row | {} ({} the native UDF) | {} |",
        shown(per_row, 1),
        shown(numeric, 2),
        verdict(per_row.map(|r| r >= BATCH_OVER_PER_ROW)),
    );
    let _ = writeln!(
        w,
        "| SQL: two partitions on two threads ≥ {TWO_THREADS_THROUGHPUT} × the throughput of one | {} (the native UDF: {}) | {} |",
        shown(threads, 2),
        shown(native_threads, 2),
        verdict(threads.map(|r| r >= TWO_THREADS_THROUGHPUT)),
    );
}
