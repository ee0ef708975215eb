//! Hot reload of a `HostPool`: the plugin replaced while threads call,
//! without a failed call; handles looked up before checked against the
//! new version; a version that cannot serve refused, the old one kept.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmer_plugin_host::{Bincode, Error, HostPool, Plugin, PluginBuilder};
use wasmer_plugin_tests::common::Order;
use wasmer_plugin_tests::{PluginWat, plugin};

use crate::host_functions::{
    Journal, host_calls_wasm, order, plugin_builder, plugin_builder_without_strict,
};

/// The two versions the tests swap between: the shared-functions plugin
/// and the host-calls plugin, both with a `plugin_name` answering its
/// crate's name, built by one builder (so with one state type).
struct Versions {
    builder: PluginBuilder<Journal>,
    wasm: [Vec<u8>; 2],
}

const NAMES: [&str; 2] = ["bincode-plugin", "host-calls-bincode"];

impl Versions {
    fn new(builder: PluginBuilder<Journal>) -> Self {
        Versions {
            builder,
            wasm: [plugin(NAMES[0]), host_calls_wasm::<Bincode>()],
        }
    }

    /// A new `Plugin` of version `which` (0 or 1).
    fn build(&self, which: usize) -> Plugin<Journal> {
        self.builder
            .clone()
            .build(&self.wasm[which])
            .expect("test plugin loads")
    }
}

/// This process's resident memory, in bytes (Linux), or `None`.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[test]
fn a_pool_reloaded_100_times_under_4_calling_threads_fails_no_call() {
    let _alone = crate::exclusive();
    let cache = tempfile::tempdir().unwrap();
    let versions = Versions::new(plugin_builder::<Bincode>().cache(cache.path()));
    let pool = HostPool::<Bincode, Journal>::new(&versions.build(0));
    let name = pool.function::<(), String>("plugin_name").unwrap();
    // Even while no swap runs, `2 × swaps done`; odd during one. A call
    // that saw the same even value before and after it ran on the version
    // that value installed.
    let sequence = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let swaps = 100;
    let (calls, resident) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (pool, sequence, stop) = (&pool, &sequence, &stop);
                scope.spawn(move || {
                    let mut calls = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let before = sequence.load(Ordering::SeqCst);
                        let answer = match calls % 2 {
                            0 => pool.call_function(&name, &()),
                            _ => pool.call::<_, String>("plugin_name", &()),
                        }
                        .unwrap_or_else(|err| panic!("call {calls}: {}", err.report()));
                        let after = sequence.load(Ordering::SeqCst);
                        if before == after && before % 2 == 0 {
                            let serving = NAMES[(before / 2 % 2) as usize];
                            assert_eq!(answer, serving, "call {calls} after {} swaps", before / 2);
                        } else {
                            assert!(NAMES.contains(&answer.as_str()), "{answer}");
                        }
                        calls += 1;
                    }
                    calls
                })
            })
            .collect();
        let mut resident_after_first = None;
        let mut slowest = Duration::ZERO;
        for swap in 1..=swaps {
            let plugin = versions.build(swap % 2);
            sequence.fetch_add(1, Ordering::SeqCst);
            let started = Instant::now();
            pool.reload(&plugin).unwrap();
            slowest = slowest.max(started.elapsed());
            sequence.fetch_add(1, Ordering::SeqCst);
            drop(plugin);
            // Let the threads call the new version for a while.
            std::thread::sleep(Duration::from_millis(2));
            if swap == 2 {
                resident_after_first = resident_bytes();
            }
        }
        stop.store(true, Ordering::Relaxed);
        let calls: Vec<u64> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        eprintln!("slowest reload: {slowest:?}");
        (calls, (resident_after_first, resident_bytes()))
    });
    assert!(
        calls.iter().all(|&n| n > 0),
        "every thread called: {calls:?}"
    );
    // 100 swaps leave at most one instance per thread that called (and
    // none of an old version: each was replaced at its thread's next
    // call, and the threads are gone).
    assert!(pool.instances() <= 4, "{}", pool.instances());
    if let (Some(first), Some(end)) = resident {
        eprintln!(
            "resident after the first swaps: {} MiB, after {swaps}: {} MiB; calls per thread: {calls:?}",
            first >> 20,
            end >> 20
        );
        assert!(
            end <= first + (16 << 20),
            "resident memory grew from {first} to {end} bytes over {swaps} swaps"
        );
    }
}

#[test]
fn a_handle_whose_function_changed_type_gives_type_mismatch_and_a_removed_one_unknown_function() {
    let versions = Versions::new(plugin_builder::<Bincode>());
    let pool = HostPool::<Bincode, Journal>::new(&versions.build(0));
    let double = pool.function::<i64, i64>("double").unwrap();
    let echo = pool.function::<Order, Order>("echo").unwrap();
    let name = pool.function::<(), String>("plugin_name").unwrap();
    assert_eq!(pool.call_function(&double, &21).unwrap(), 42);

    pool.reload(&versions.build(1)).unwrap();
    // host-calls' `double` takes and returns a `String`.
    let err = pool.call_function(&double, &21).unwrap_err();
    assert!(
        matches!(&err, Error::TypeMismatch { function, .. } if function == "double"),
        "{}",
        err.report()
    );
    let err = pool.call_function(&echo, &order()).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownFunction { name, .. } if name == "echo"),
        "{}",
        err.report()
    );
    assert_eq!(pool.call_function(&name, &()).unwrap(), NAMES[1]);
    let doubled = pool.function::<String, String>("double").unwrap();
    assert_eq!(pool.call_function(&doubled, &"ab".into()).unwrap(), "abab");

    // Back to the first version: the old handles work again, and the new
    // one does not.
    pool.reload(&versions.build(0)).unwrap();
    assert_eq!(pool.call_function(&double, &21).unwrap(), 42);
    assert_eq!(pool.call_function(&echo, &order()).unwrap(), order());
    let err = pool.call_function(&doubled, &"ab".into()).unwrap_err();
    assert!(
        matches!(err, Error::TypeMismatch { .. }),
        "{}",
        err.report()
    );

    // A handle of a plugin the pool never served.
    let other = Plugin::new(plugin("mixed-plugin")).unwrap();
    let foreign = HostPool::<Bincode>::new(&other)
        .function::<u32, u32>("via_bincode")
        .unwrap();
    let err = HostPool::<Bincode, Journal>::new(&versions.build(0))
        .call_function(&foreign, &1)
        .unwrap_err();
    assert!(
        matches!(err, Error::ForeignFunction { .. }),
        "{}",
        err.report()
    );
}

#[test]
fn a_version_that_cannot_serve_is_refused_and_the_old_one_keeps_serving() {
    let versions = Versions::new(plugin_builder::<Bincode>());
    let pool = HostPool::<Bincode, Journal>::new(&versions.build(0));
    assert_eq!(
        pool.call::<_, String>("plugin_name", &()).unwrap(),
        NAMES[0]
    );

    // Not a plugin: refused by the builder, before the pool.
    let err = versions.builder.clone().build(b"not wasm").unwrap_err();
    assert!(matches!(err, Error::Compile(_)), "{}", err.report());

    // A host function of another type than the plugin sends it: found
    // when the new version's first instance reads its schemas, which
    // `reload` makes before it installs anything.
    let wrong = plugin_builder_without_strict::<Bincode>()
        .host_fn("strict", |_, number: u64| number as u32);
    let err = pool
        .reload(&wrong.build(&versions.wasm[1]).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, Error::HostFunctionTypeMismatch { .. }),
        "{}",
        err.report()
    );
    assert_eq!(
        pool.call::<_, String>("plugin_name", &()).unwrap(),
        NAMES[0]
    );

    // A start function that traps: the plugin compiles, its first
    // instance fails.
    let trapping = versions
        .builder
        .clone()
        .build(PluginWat::new("(func $start unreachable) (start $start)", &[]).wasm())
        .unwrap();
    let err = pool.reload(&trapping).unwrap_err();
    assert!(matches!(err, Error::Trap { .. }), "{}", err.report());
    assert_eq!(
        pool.call::<_, String>("plugin_name", &()).unwrap(),
        NAMES[0]
    );
}

#[test]
fn a_watched_file_reloads_the_pool_when_it_changes() {
    let versions = Versions::new(plugin_builder::<Bincode>());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plugin.wasm");
    // Replaced by a rename, as the docs advise: never read half-written.
    let replace = |bytes: &[u8]| {
        let staged = dir.path().join("staged.wasm");
        std::fs::write(&staged, bytes).unwrap();
        std::fs::rename(&staged, &path).unwrap();
    };
    replace(&versions.wasm[0]);
    let pool = HostPool::<Bincode, Journal>::new(&versions.build(0));
    let (outcomes, received) = std::sync::mpsc::channel();
    let watcher = pool
        .watch(&path, versions.builder.clone(), move |outcome| {
            let _ = outcomes.send(outcome.map_err(|err| err.report().to_string()));
        })
        .unwrap();
    let next = || {
        received
            .recv_timeout(Duration::from_secs(30))
            .expect("the watch reloads within 30 s")
    };

    replace(&versions.wasm[1]);
    assert_eq!(next(), Ok(()));
    assert_eq!(
        pool.call::<_, String>("plugin_name", &()).unwrap(),
        NAMES[1]
    );

    // A broken file is refused, the running version kept.
    replace(b"not wasm");
    let refused = next().unwrap_err();
    assert!(
        refused.starts_with("could not compile the plugin"),
        "{refused}"
    );
    assert_eq!(
        pool.call::<_, String>("plugin_name", &()).unwrap(),
        NAMES[1]
    );

    replace(&versions.wasm[0]);
    assert_eq!(next(), Ok(()));
    assert_eq!(
        pool.call::<_, String>("plugin_name", &()).unwrap(),
        NAMES[0]
    );

    // Stopped: a later change reloads nothing.
    drop(watcher);
    replace(&versions.wasm[1]);
    std::thread::sleep(wasmer_plugin_host::WATCH_INTERVAL * 4);
    assert_eq!(
        pool.call::<_, String>("plugin_name", &()).unwrap(),
        NAMES[0]
    );
    assert!(received.try_recv().is_err());

    // A file that is not there is refused at once.
    let err = pool
        .watch(
            dir.path().join("missing.wasm"),
            versions.builder.clone(),
            |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{}", err.report());
}
