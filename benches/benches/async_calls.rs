//! Async calls (`async_calls/*`), issue 22's targets:
//!
//! - `async_calls/small`: the framework plugin's `small_bincode` (the small
//!   struct round trip), `sync` through `Host::call_function`, `async`
//!   through `AsyncHostPool::call_function` awaited in a tokio task: the
//!   difference is the hop to a plugin thread and back; `thread_hop` is
//!   that hop alone (a job sent to a current-thread runtime's thread that
//!   answers at once), its floor on this machine; `async_64_at_once` is
//!   64 calls in flight at once on a pool of 2 threads, per call;
//! - `async_calls/ping_1000`: a plugin call making 1,000 calls of an empty
//!   host function through an `AsyncHostPool`, registered with
//!   `async_host_fn` (a ready future: the plugin suspends and resumes at
//!   once) and with `host_fn`; a thousandth of it is one host call; and
//!   wasmer's floor, a bare module calling a bare import 1,000 times, sync
//!   (`wasmer_sync_import`) and async (`wasmer_async_import`);
//! - `async_calls/wait_20ms`: calls that each make one host call waiting
//!   20 ms, 1,000 at once: `async`, an async host function sleeping on
//!   tokio, on a pool of 2 plugin threads; `blocking`, a sync host function
//!   sleeping its thread, on a `HostPool` called from 2 threads. An
//!   iteration is 1,000 calls; the blocking side runs 100 of them and is
//!   scaled by 10 (it is 2 threads × one call per 20 ms, flat; 1,000 take
//!   10 s).

use std::hint::black_box;
use std::time::{Duration, Instant};

use wasmer_plugin_bench_payloads::{Rng, SEED, Small, Work};
use wasmer_plugin_benches::{bench_plugins, criterion};
use wasmer_plugin_host::{
    AsyncCall, AsyncHostPool, Bincode, Builder, Host, HostPool, Json, MsgPack, Plugin, Postcard,
};

/// Calls in flight per iteration of `async_calls/small/async_64_at_once`.
const AT_ONCE: usize = 64;
/// Empty host-function calls per iteration of `async_calls/ping_1000`.
const PINGS: u32 = 1000;
/// Calls in flight per iteration of `async_calls/wait_20ms`.
const WAITING_CALLS: usize = 1000;
/// How long each of them waits in its host function.
const WAIT: Duration = Duration::from_millis(20);
/// The blocking side's share of `WAITING_CALLS` that it really runs.
const BLOCKING_SCALE: usize = 10;

/// The host-calls plugin's relays, with sync transforms.
fn relays(builder: Builder<Plugin>) -> Builder<Plugin> {
    builder
        .host_fn_in::<Bincode, _, _, _>("transform_bincode", |_, value: Small| value.work())
        .host_fn_in::<MsgPack, _, _, _>("transform_msgpack", |_, value: Small| value.work())
        .host_fn_in::<Postcard, _, _, _>("transform_postcard", |_, value: Small| value.work())
        .host_fn_in::<Json, _, _, _>("transform_json", |_, value: Small| value.work())
}

fn pool(plugin: &Plugin, threads: usize) -> AsyncHostPool {
    AsyncHostPool::builder(plugin)
        .threads(threads)
        .build()
        .expect("pool starts")
}

/// A thread like a pool's plugin thread that answers at once: the floor
/// of a call sent to another thread and awaited.
fn thread_hop() -> tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>> {
    let (sender, mut receiver) =
        tokio::sync::mpsc::unbounded_channel::<tokio::sync::oneshot::Sender<()>>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async move {
            while let Some(answer) = receiver.recv().await {
                let _ = answer.send(());
            }
        });
    });
    sender
}

/// A bare module whose `run(n)` calls import `env.ping` `n` times, with
/// `ping` made by `import`, in a store of its own.
fn bare_pings(
    import: impl FnOnce(&mut wasmer::Store) -> wasmer::Function,
) -> (wasmer::Store, wasmer::TypedFunction<i32, ()>) {
    const WAT: &str = r#"(module
        (import "env" "ping" (func $ping))
        (func (export "run") (param $n i32)
            (loop $again
                (call $ping)
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br_if $again (local.get $n)))))"#;
    let mut store = wasmer::Store::default();
    let module = wasmer::Module::new(&store, WAT).unwrap();
    let ping = import(&mut store);
    let imports = wasmer::imports! { "env" => { "ping" => ping } };
    let instance = wasmer::Instance::new(&mut store, &module, &imports).unwrap();
    let run = instance.exports.get_typed_function(&store, "run").unwrap();
    (store, run)
}

/// `iters` rounds of `calls` calls made by `call`, each round all in
/// flight at once (a spawned task each); the time they took.
fn at_once<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    iters: u64,
    calls: usize,
    call: impl Fn() -> AsyncCall<T>,
) -> Duration {
    runtime.block_on(async {
        let started = Instant::now();
        for _ in 0..iters {
            let round: Vec<_> = (0..calls).map(|_| tokio::spawn(call())).collect();
            for call in round {
                call.await.unwrap().unwrap();
            }
        }
        started.elapsed()
    })
}

fn main() {
    let plugins = bench_plugins();
    let value = Small::generate(&mut Rng::new(SEED));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut c = criterion().configure_from_args();

    let mut group = c.benchmark_group("async_calls/small");
    let mut host = Host::<Bincode>::new(&plugins.framework).unwrap();
    let small = host.function::<Small, Small>("small_bincode").unwrap();
    let expected = host.call_function(&small, &value).unwrap();
    let framework = Plugin::new(&plugins.framework).unwrap();
    let async_pool = pool(&framework, 1);
    let async_small = async_pool
        .function::<Small, Small>("small_bincode")
        .unwrap();
    let answer = runtime.block_on(async_pool.call_function(&async_small, &value));
    assert_eq!(answer.unwrap(), expected);
    group.bench_function("sync", |b| {
        b.iter(|| host.call_function(&small, black_box(&value)).unwrap())
    });
    // Many calls at once: the threads stay awake, and the hop's cost is
    // shared. The time is per call.
    let shared_pool = pool(&framework, 2);
    group.bench_function("async_64_at_once", |b| {
        b.iter_custom(|iters| {
            at_once(&runtime, iters, AT_ONCE, || {
                shared_pool.call_function(&async_small, &value)
            }) / AT_ONCE as u32
        })
    });
    let hop = thread_hop();
    group.bench_function("thread_hop", |b| {
        b.iter_custom(|iters| {
            let hop = &hop;
            runtime.block_on(async move {
                let started = Instant::now();
                for _ in 0..iters {
                    let (answer, answered) = tokio::sync::oneshot::channel();
                    hop.send(answer).unwrap();
                    answered.await.unwrap();
                }
                started.elapsed()
            })
        })
    });
    group.bench_function("async", |b| {
        b.iter_custom(|iters| {
            let (pool, function, value) = (&async_pool, &async_small, &value);
            runtime.block_on(async move {
                let started = Instant::now();
                for _ in 0..iters {
                    pool.call_function(function, black_box(value))
                        .await
                        .unwrap();
                }
                started.elapsed()
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("async_calls/ping_1000");
    let ready = relays(Plugin::builder())
        .async_host_fn("ping", |_, (): ()| async {})
        .build(&plugins.host_calls)
        .unwrap();
    let sync = relays(Plugin::builder())
        .host_fn("ping", |_, (): ()| {})
        .build(&plugins.host_calls)
        .unwrap();
    for (name, plugin) in [("async_host_fn", &ready), ("host_fn", &sync)] {
        let pool = pool(plugin, 1);
        let ping = pool.function::<u32, ()>("ping_host").unwrap();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let (pool, ping) = (&pool, &ping);
                runtime.block_on(async move {
                    let started = Instant::now();
                    for _ in 0..iters {
                        pool.call_function(ping, black_box(&PINGS)).await.unwrap();
                    }
                    started.elapsed()
                })
            })
        });
    }
    // The floor: wasmer alone, a bare import called 1,000 times, sync and
    // async (a ready future: suspended and resumed each time).
    let (mut sync_store, sync_run) = bare_pings(|store| wasmer::Function::new_typed(store, || {}));
    group.bench_function("wasmer_sync_import", |b| {
        b.iter(|| {
            sync_run
                .call(&mut sync_store, black_box(PINGS as i32))
                .unwrap()
        })
    });
    let (async_store, async_run) =
        bare_pings(|store| wasmer::Function::new_typed_async(store, || async {}));
    let async_store = async_store.into_async();
    group.bench_function("wasmer_async_import", |b| {
        b.iter(|| {
            runtime
                .block_on(async_run.call_async(&async_store, black_box(PINGS as i32)))
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("async_calls/wait_20ms");
    group.sample_size(10);
    let waiting = relays(Plugin::builder())
        .async_host_fn("ping", |_, (): ()| tokio::time::sleep(WAIT))
        .build(&plugins.host_calls)
        .unwrap();
    let waiting = pool(&waiting, 2);
    let ping = waiting.function::<u32, ()>("ping_host").unwrap();
    group.bench_function("async", |b| {
        b.iter_custom(|iters| {
            at_once(&runtime, iters, WAITING_CALLS, || {
                waiting.call_function(&ping, &1)
            })
        })
    });
    let blocking = relays(Plugin::builder())
        .host_fn("ping", |_, (): ()| std::thread::sleep(WAIT))
        .build(&plugins.host_calls)
        .unwrap();
    let blocking = HostPool::<Bincode>::new(&blocking);
    let ping = blocking.function::<u32, ()>("ping_host").unwrap();
    group.bench_function("blocking", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                std::thread::scope(|scope| {
                    for _ in 0..2 {
                        scope.spawn(|| {
                            for _ in 0..WAITING_CALLS / BLOCKING_SCALE / 2 {
                                blocking.call_function(&ping, &1).unwrap();
                            }
                        });
                    }
                });
            }
            started.elapsed() * BLOCKING_SCALE as u32
        })
    });
    group.finish();
    c.final_summary();
}
