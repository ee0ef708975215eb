//! Async calls and async host functions end to end: the host-calls test
//! plugins (unchanged: a plugin does not know whether the host implements
//! an import sync or async) called through `AsyncHostPool` from tokio
//! tasks, with host functions that await.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wasmer_plugin_host::{
    AsyncHostPool, Bincode, Builder, Codec, Error, Host, HostFunctionFailure, Json, MsgPack,
    Plugin, Postcard,
};
use wasmer_plugin_tests::common::{Order, Summary, summarize};
use wasmer_plugin_tests::plugin;

use crate::host_functions::{Journal, Refused, journal_functions, order};

fn wasm<C: Codec>() -> Vec<u8> {
    plugin(&format!("host-calls-{}", C::NAME))
}

/// What the async `ping` does, set by each test.
#[derive(Clone, Default)]
struct Ping {
    /// Sleeps this long (milliseconds) before answering.
    sleep_ms: Arc<AtomicUsize>,
    /// Never answers while set.
    hang: Arc<AtomicBool>,
    /// Futures made and not dropped.
    pending: Arc<AtomicUsize>,
}

/// Counts a future in `Ping::pending` until it is dropped, ready or not.
struct Pending(Arc<AtomicUsize>);

impl Pending {
    fn new(count: &Arc<AtomicUsize>) -> Pending {
        count.fetch_add(1, Ordering::SeqCst);
        Pending(count.clone())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Every import of the host-calls plugins as an async host function, in
/// codec `K`, each awaiting something before it answers.
fn async_functions<K: Codec>(ping: &Ping) -> Builder<Plugin<Journal>> {
    let ping = ping.clone();
    Plugin::builder()
        .state(Journal::default)
        .async_host_fn_in::<K, _, _, _, _>("log", |ctx, line: String| async move {
            tokio::task::yield_now().await;
            ctx.with_state(|journal| journal.lines.push(line)).await
        })
        .async_host_fn_in::<K, _, _, _, _>("config", |_, key: String| async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            (key == "name").then(|| "wasm".to_owned())
        })
        .async_host_fn_in::<K, _, _, _, _>("add", |ctx, amount: u64| async move {
            tokio::task::yield_now().await;
            ctx.with_state(|journal| {
                journal.total += amount;
                journal.total
            })
            .await
        })
        .async_host_fn_in::<K, _, _, _, _>(
            "divide",
            |_, (dividend, divisor): (i64, i64)| async move {
                tokio::task::yield_now().await;
                dividend
                    .checked_div(divisor)
                    .ok_or_else(|| format!("cannot divide {dividend} by {divisor}"))
            },
        )
        .try_async_host_fn_in::<K, _, _, _, _, _>("fail", |_, reason: String| async move {
            tokio::task::yield_now().await;
            Err::<(), _>(Refused(reason))
        })
        .async_host_fn_in::<K, _, _, _, _>("explode", |_, message: String| {
            // Either when the future is made or while it is polled.
            if message == "at once" {
                panic!("{message}");
            }
            async move {
                tokio::task::yield_now().await;
                if !message.is_empty() {
                    panic!("{message}");
                }
            }
        })
        .async_host_fn_in::<K, _, _, _, _>(
            "repeat",
            |_, (data, times): (Vec<u8>, u32)| async move {
                tokio::task::yield_now().await;
                data.repeat(times as usize)
            },
        )
        .async_host_fn_in::<K, _, _, _, _>(
            "strict",
            |_, text: String| async move { text.len() as u32 },
        )
        .async_host_fn_in::<K, _, _, _, _>("ping", move |ctx, (): ()| {
            let ping = ping.clone();
            async move {
                let _pending = Pending::new(&ping.pending);
                if ping.hang.load(Ordering::SeqCst) {
                    std::future::pending::<()>().await;
                }
                let sleep = ping.sleep_ms.load(Ordering::SeqCst) as u64;
                if sleep > 0 {
                    tokio::time::sleep(Duration::from_millis(sleep)).await;
                }
                ctx.with_state(|journal| journal.pings += 1).await
            }
        })
        .async_host_fn_in::<K, _, _, _, _>("summarize", |_, order: Order| async move {
            tokio::task::yield_now().await;
            summarize(&order)
        })
}

fn pool<C: Codec + 'static>(builder: Builder<Plugin<Journal>>) -> AsyncHostPool<C, Journal> {
    pool_of_threads(builder, 1)
}

fn pool_of_threads<C: Codec + 'static>(
    builder: Builder<Plugin<Journal>>,
    threads: usize,
) -> AsyncHostPool<C, Journal> {
    let plugin = builder.build(wasm::<C>()).expect("test plugin loads");
    AsyncHostPool::builder(&plugin)
        .threads(threads)
        .build()
        .expect("pool starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Waits (up to 5 s) until `done` holds, for what a plugin thread does
/// after the caller has its answer (or has gone).
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(5), "never: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn every_path_works_through_the_async_api<C: Codec + 'static>() {
    let pool = pool::<C>(async_functions::<C>(&Ping::default()));
    runtime().block_on(async {
        // Typed calls, awaited in a spawned task (the future is `Send`).
        let greeting = {
            let call = pool.call::<_, String>("greeting", "name");
            tokio::spawn(call).await.unwrap().unwrap()
        };
        assert_eq!(greeting, "hello, wasm");
        // State lives across calls of the instance (one thread, one call
        // at a time: the same instance).
        assert_eq!(
            pool.call::<_, u64>("add_all", &vec![1u64, 2, 3])
                .await
                .unwrap(),
            6
        );
        assert_eq!(
            pool.call::<_, u64>("add_all", &vec![4u64]).await.unwrap(),
            10
        );
        let lines = vec!["first".to_owned(), "zweite Zeile ✓".to_owned()];
        assert_eq!(pool.call::<_, u32>("log_lines", &lines).await.unwrap(), 2);
        // A result as a value, a struct each way.
        let divided: Result<i64, String> = pool.call("host_divide", &(7i64, 0i64)).await.unwrap();
        assert_eq!(divided.unwrap_err(), "host says: cannot divide 7 by 0");
        let summary: Summary = pool.call("summarize_on_host", &order()).await.unwrap();
        assert_eq!(summary, summarize(&order()));
        // Replies larger than the plugin's first buffer.
        for (len, times) in [(1, 1), (100, 100), (4096, 64)] {
            let got: u64 = pool
                .call("repeat_checked", &(len as u32, times as u32))
                .await
                .unwrap();
            assert_eq!(got, len * times);
        }
        // A handle looked up once; call_in with the codec named; raw bytes.
        let add_all = pool.function::<Vec<u64>, u64>("add_all").unwrap();
        assert_eq!(pool.call_function(&add_all, &vec![5]).await.unwrap(), 15);
        let pings: u32 = pool.call_in::<C, _, _>("ping_many", &3u32).await.unwrap();
        assert_eq!(pings, 3);
        let mut input = Vec::new();
        C::encode(&2u32, &mut input).unwrap();
        let raw = pool.call_raw("ping_many", &input).await.unwrap();
        assert_eq!(C::decode::<u32>(&raw).unwrap(), 2);
        // Lookup errors come back as in the sync API.
        let err = pool.call::<_, u32>("nope", &()).await.unwrap_err();
        assert!(matches!(err, Error::UnknownFunction { .. }), "{err:?}");
    });
    assert_eq!(pool.instances(), 1);
}

fn async_host_function_errors_and_panics_end_the_call_and_the_next_works<C: Codec + 'static>() {
    let pool = pool::<C>(async_functions::<C>(&Ping::default()));
    runtime().block_on(async {
        pool.call::<_, u32>("log_lines", &vec!["before"])
            .await
            .unwrap();
        let err = pool
            .call::<_, u32>("call_fail", "no reason")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::HostFunction { function, host_function, failure: HostFunctionFailure::Returned(_) }
                if function == "call_fail" && host_function == "fail"),
            "{err:?}"
        );
        let refused = err
            .host_error()
            .and_then(|error| error.downcast_ref::<Refused>())
            .expect("the host function's error keeps its type");
        assert_eq!(refused.0, "no reason");
        for message in ["later", "at once"] {
            let err = pool
                .call::<_, u32>("call_explode", message)
                .await
                .unwrap_err();
            match &err {
                Error::HostFunction {
                    host_function,
                    failure: HostFunctionFailure::Panicked { message: panic },
                    ..
                } => {
                    assert_eq!(host_function, "explode");
                    assert!(
                        panic.starts_with("tests/tests/all/async_calls.rs:"),
                        "{panic}"
                    );
                    assert!(panic.ends_with(&format!(": {message}")), "{panic}");
                }
                other => panic!("expected a panicked host function, got {other:?}"),
            }
        }
        let greeting: String = pool.call("greeting", "name").await.unwrap();
        assert_eq!(greeting, "hello, wasm");
    });
}

for_every_codec!(
    every_path_works_through_the_async_api,
    async_host_function_errors_and_panics_end_the_call_and_the_next_works,
);

/// Threads of this process now.
fn os_threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .and_then(|count| count.trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn dropping_a_call_suspended_on_a_host_future_abandons_it() {
    let ping = Ping::default();
    let pool = pool::<Bincode>(async_functions::<Bincode>(&ping));
    runtime().block_on(async {
        assert_eq!(pool.call::<_, u32>("ping_many", &1u32).await.unwrap(), 1);
        // The idle instance the next call takes.
        assert_eq!(pool.instances(), 1);
        ping.hang.store(true, Ordering::SeqCst);
        // By `tokio::time::timeout`, and by dropping the future.
        let call = pool.call::<_, u32>("ping_many", &1u32);
        let outcome = tokio::time::timeout(Duration::from_millis(50), call).await;
        assert!(outcome.is_err(), "{outcome:?}");
        let task = tokio::spawn(pool.call::<_, u32>("ping_many", &1u32));
        eventually("the second call is suspended", || {
            ping.pending.load(Ordering::SeqCst) == 1
        })
        .await;
        task.abort();
        // The abandoned host futures are dropped, with their instances.
        eventually("the host futures are dropped", || {
            ping.pending.load(Ordering::SeqCst) == 0
        })
        .await;
        eventually("the instances are dropped", || pool.instances() == 0).await;
        ping.hang.store(false, Ordering::SeqCst);
        assert_eq!(pool.call::<_, u32>("ping_many", &2u32).await.unwrap(), 2);
        assert_eq!(pool.instances(), 1);
    });
}

#[test]
fn dropping_a_call_running_wasm_stops_it() {
    // With async host functions (the call runs on wasmer's coroutine) and
    // with sync ones only (it runs as a sync call on the plugin thread).
    let sync_functions =
        journal_functions!(@but_ping Plugin::builder().state(Journal::default), Bincode)
            .host_fn("ping", |ctx, (): ()| ctx.state_mut().pings += 1)
            .host_fn("strict", |_, text: String| text.len() as u32)
            .host_fn("summarize", |_, order: Order| summarize(&order));
    for builder in [async_functions::<Bincode>(&Ping::default()), sync_functions] {
        // A deadline long enough that the test would notice it instead.
        let pool = pool::<Bincode>(builder.timeout(Duration::from_secs(60)));
        runtime().block_on(async {
            // The idle instance the call takes.
            assert_eq!(pool.instances(), 1);
            let started = Instant::now();
            let call = pool.call::<_, ()>("spin_forever", &());
            let outcome = tokio::time::timeout(Duration::from_millis(100), call).await;
            assert!(outcome.is_err(), "{outcome:?}");
            eventually("the spinning instance is dropped", || pool.instances() == 0).await;
            assert!(started.elapsed() < Duration::from_secs(30));
            assert_eq!(pool.call::<_, u32>("ping_many", &2u32).await.unwrap(), 2);
            assert_eq!(pool.instances(), 1);
        });
    }
}

#[test]
fn the_deadline_counts_the_time_a_call_is_suspended() {
    let ping = Ping::default();
    let builder = async_functions::<Bincode>(&ping).timeout(Duration::from_millis(200));
    let pool = pool::<Bincode>(builder);
    runtime().block_on(async {
        // A host future slower than the deadline, and one that never ends.
        ping.sleep_ms.store(10_000, Ordering::SeqCst);
        let started = Instant::now();
        let err = pool.call::<_, u32>("ping_many", &1u32).await.unwrap_err();
        assert!(
            matches!(&err, Error::Timeout { function, limit } if function == "ping_many" && *limit == Duration::from_millis(200)),
            "{err:?}"
        );
        ping.sleep_ms.store(0, Ordering::SeqCst);
        ping.hang.store(true, Ordering::SeqCst);
        let err = pool.call::<_, u32>("ping_many", &1u32).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        ping.hang.store(false, Ordering::SeqCst);
        eventually("the hanging future is dropped", || {
            ping.pending.load(Ordering::SeqCst) == 0
        })
        .await;
        // Running code is stopped as in a sync call; the next call works.
        let err = pool.call::<_, ()>("spin_forever", &()).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert_eq!(pool.call::<_, u32>("ping_many", &3u32).await.unwrap(), 3);
    });
}

#[test]
fn fuel_and_memory_limits_hold_across_suspensions() {
    let fuelled =
        pool::<Bincode>(async_functions::<Bincode>(&Ping::default()).fuel_per_call(1_000_000));
    let small =
        pool::<Bincode>(async_functions::<Bincode>(&Ping::default()).max_memory_bytes(4 << 20));
    runtime().block_on(async {
        let err = fuelled.call::<_, ()>("ping_forever", &()).await.unwrap_err();
        assert!(matches!(err, Error::OutOfFuel { .. }), "{err:?}");
        assert_eq!(fuelled.call::<_, u32>("ping_many", &10u32).await.unwrap(), 10);
        // The plugin allocates the 8 MiB reply after the host future.
        let err = small
            .call::<_, u64>("repeat_checked", &(1024u32, 8192u32))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::MemoryLimit { function, limit } if function == "repeat_checked" && *limit == 4 << 20),
            "{err:?}"
        );
        assert_eq!(
            small.call::<_, u64>("repeat_checked", &(1024u32, 64u32)).await.unwrap(),
            65536
        );
    });
}

#[test]
fn a_sync_call_that_reaches_an_async_host_function_fails_naming_it() {
    let builder = Host::<Bincode>::builder().state(Journal::default);
    let mut host = journal_functions!(@but_ping builder, Bincode)
        .async_host_fn("ping", |ctx, (): ()| async move {
            ctx.with_state(|journal| journal.pings += 1).await
        })
        .host_fn("strict", |_, text: String| text.len() as u32)
        .host_fn("summarize", |_, order: Order| summarize(&order))
        .build(wasm::<Bincode>())
        .unwrap();
    let err = host.call::<_, u32>("ping_many", &1u32).unwrap_err();
    match &err {
        Error::HostFunction {
            host_function,
            failure: HostFunctionFailure::BadCall { reason },
            ..
        } => {
            assert_eq!(host_function, "ping");
            assert!(reason.contains("AsyncHostPool"), "{reason}");
        }
        other => panic!("expected a bad call, got {other:?}"),
    }
    assert_eq!(host.state().pings, 0);
}

#[test]
fn an_async_host_function_registered_before_the_state_sees_its_own() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let builder = Plugin::builder()
        .async_host_fn("ping", move |ctx, (): ()| {
            let counted = counted.clone();
            async move {
                assert_eq!(ctx.name(), "ping");
                // Its state is its own `()`, not the instances' journal.
                ctx.with_state(|(): &mut ()| ()).await;
                tokio::task::yield_now().await;
                counted.fetch_add(1, Ordering::SeqCst);
            }
        })
        .state(Journal::default);
    let builder = journal_functions!(@but_ping builder, Bincode)
        .host_fn("strict", |_, text: String| text.len() as u32)
        .host_fn("summarize", |_, order: Order| summarize(&order));
    let pool = pool::<Bincode>(builder);
    runtime().block_on(async {
        assert_eq!(pool.call::<_, u32>("ping_many", &3u32).await.unwrap(), 3);
        // The functions registered after the state still see the journal.
        assert_eq!(
            pool.call::<_, u64>("add_all", &vec![2u64, 3])
                .await
                .unwrap(),
            5
        );
    });
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn one_pool_serves_64_tasks_at_once() {
    let _exclusive = crate::exclusive();
    let pool = Arc::new(pool_of_threads::<Bincode>(
        async_functions::<Bincode>(&Ping::default()),
        2,
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..64u64)
            .map(|task| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let summary: Summary = pool.call("summarize_on_host", &order()).await?;
                    let greeting: String = pool.call("greeting", "name").await?;
                    let lines = vec![format!("task {task}"); (task % 4 + 1) as usize];
                    let logged: u32 = pool.call("log_lines", &lines).await?;
                    Ok::<_, Error>((summary, greeting, logged, task))
                })
            })
            .collect();
        for task in tasks {
            let (summary, greeting, logged, task) = task.await.unwrap().unwrap();
            assert_eq!(summary, summarize(&order()));
            assert_eq!(greeting, "hello, wasm");
            assert_eq!(logged as u64, task % 4 + 1);
        }
    });
    assert!(pool.instances() <= 2 * wasmer_plugin_host::DEFAULT_MAX_IDLE_INSTANCES);
}

/// The evidence that a waiting call holds no thread: 1,000 calls
/// each awaiting a 20 ms host future, on a pool of 2 threads. Blocking
/// calls on 2 threads would take 10 s; the bound here is loose for
/// shared machines, and the benchmark (`async_calls`) measures it.
#[test]
fn a_thousand_suspended_calls_share_two_threads() {
    let _exclusive = crate::exclusive();
    let ping = Ping::default();
    ping.sleep_ms.store(20, Ordering::SeqCst);
    let pool = Arc::new(pool_of_threads::<Bincode>(
        async_functions::<Bincode>(&ping),
        2,
    ));
    let runtime = runtime();
    let threads_before = os_threads();
    let (elapsed, threads_during) = runtime.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..1000)
            .map(|_| tokio::spawn(pool.call::<_, u32>("ping_many", &1u32)))
            .collect();
        let mut threads_during = 0;
        for (n, task) in tasks.into_iter().enumerate() {
            if n == 500 {
                threads_during = os_threads();
            }
            assert_eq!(task.await.unwrap().unwrap(), 1);
        }
        (started.elapsed(), threads_during)
    });
    eprintln!(
        "1,000 calls awaiting 20 ms each on 2 plugin threads: {elapsed:?}; OS threads {threads_before} before, {threads_during} during"
    );
    // Other tests run threads of their own meanwhile: the counts are
    // reported, not compared.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(pool.threads(), 2);
}
