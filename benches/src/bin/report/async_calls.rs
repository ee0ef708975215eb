//! The async section of the report (`benches/async_calls.rs`, run with
//! the `async` feature): a small call through `AsyncHostPool` against the
//! sync call, an async host function's round trip against a sync one's,
//! and 1,000 calls waiting 20 ms each, suspended against blocking.

use std::fmt::Write as _;

use crate::measurements::Measurements;
use crate::{ratio_value, time, verdict};

/// Target: a small bincode call awaited through the async API costs at
/// most this times the sync `call_function`.
const ASYNC_OVER_SYNC: f64 = 2.0;
/// Target: an async host function with a ready future costs at most this
/// times a sync host function, per host call.
const ASYNC_HOST_FN_OVER_SYNC: f64 = 1.5;
/// Target: 1,000 suspended calls finish at least this many times faster
/// than the same calls blocking 2 threads.
const SUSPENDED_OVER_BLOCKING: f64 = 20.0;

/// Empty host calls per iteration of `async_calls/ping_1000`, and calls
/// per iteration of `async_calls/wait_20ms`.
const PINGS: f64 = 1000.0;
const WAITING_CALLS: f64 = 1000.0;

fn small(m: &Measurements, kind: &str) -> Option<f64> {
    m.get("async_calls/small", kind)
}

fn per_ping(m: &Measurements, kind: &str) -> Option<f64> {
    m.get("async_calls/ping_1000", kind).map(|ns| ns / PINGS)
}

fn waiting(m: &Measurements, kind: &str) -> Option<f64> {
    m.get("async_calls/wait_20ms", kind)
}

/// The section's text.
pub fn section(w: &mut String, m: &Measurements) {
    let _ = writeln!(w, "## Async hosts\n");
    let (sync, asynchronous) = (small(m, "sync"), small(m, "async"));
    let _ = writeln!(
        w,
        "The small struct's round trip (`small_bincode`): **sync** `Host::call_function`, \
         **async** `AsyncHostPool::call_function` awaited in a tokio task, which sends the \
         call to a plugin thread and waits for the answer: {} against {} ({} of overhead, {}). \
         The hop alone, a job sent to a current-thread runtime's thread that answers at once \
         and awaited, costs {} here: two threads woken, which no design that keeps wasm off \
         the caller's executor avoids. With 64 calls in flight at once on a pool of 2 plugin \
         threads, which then stay awake, a call costs {} of the caller's wall time.\n",
        time(asynchronous),
        time(sync),
        time(asynchronous.zip(sync).map(|(a, s)| a - s)),
        ratio_text(ratio_value(asynchronous, sync)),
        time(small(m, "thread_hop")),
        time(small(m, "async_64_at_once")),
    );
    let _ = writeln!(
        w,
        "One host-function call, a thousandth of a plugin call making 1,000 through an \
         `AsyncHostPool`: {} for an `async_host_fn` whose future is ready at once (the plugin \
         suspends and resumes), {} for a `host_fn`. wasmer's own floor, a bare import called \
         from a bare module: {} async (a ready future; wasmer suspends the wasm stack, polls \
         the future outside it and resumes), {} sync.\n",
        time(per_ping(m, "async_host_fn")),
        time(per_ping(m, "host_fn")),
        time(per_ping(m, "wasmer_async_import")),
        time(per_ping(m, "wasmer_sync_import")),
    );
    let (suspended, blocking) = (waiting(m, "async"), waiting(m, "blocking"));
    let per_second = |ns: Option<f64>| {
        ns.map_or("—".into(), |ns| {
            format!("{:.0}", WAITING_CALLS / (ns / 1e9))
        })
    };
    let _ = writeln!(
        w,
        "1,000 calls at once, each making one host call that waits 20 ms: {} ({} calls/s) with \
         an async host function sleeping on tokio, on 2 plugin threads; {} ({} calls/s) with a \
         sync one sleeping its thread, on a `HostPool` called from 2 threads (run for 100 calls \
         and scaled: it is one call per thread per 20 ms).\n",
        time(suspended),
        per_second(suspended),
        time(blocking),
        per_second(blocking),
    );
}

fn ratio_text(ratio: Option<f64>) -> String {
    ratio.map_or("—".into(), |r| format!("{r:.2}×"))
}

/// The section's rows of the targets table.
pub fn target_rows(w: &mut String, m: &Measurements) {
    let call = ratio_value(small(m, "async"), small(m, "sync"));
    let _ = writeln!(
        w,
        "| small struct, bincode: a call awaited through `AsyncHostPool` ≤ {ASYNC_OVER_SYNC} × the sync `call_function` | {} | {} |",
        ratio_text(call),
        verdict(call.map(|r| r <= ASYNC_OVER_SYNC)),
    );
    let host_fn = ratio_value(per_ping(m, "async_host_fn"), per_ping(m, "host_fn"));
    let _ = writeln!(
        w,
        "| an async host function's round trip (ready future) ≤ {ASYNC_HOST_FN_OVER_SYNC} × a sync host function's | {} | {} |",
        ratio_text(host_fn),
        verdict(host_fn.map(|r| r <= ASYNC_HOST_FN_OVER_SYNC)),
    );
    let throughput = ratio_value(waiting(m, "blocking"), waiting(m, "async"));
    let _ = writeln!(
        w,
        "| 1,000 calls each waiting 20 ms on a host function: suspended ≥ {SUSPENDED_OVER_BLOCKING} × the throughput of blocking 2 threads | {} | {} |",
        ratio_text(throughput),
        verdict(throughput.map(|r| r >= SUSPENDED_OVER_BLOCKING)),
    );
}
