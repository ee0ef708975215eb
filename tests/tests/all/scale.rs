//! Plugins at scale: a compiled plugin shared by hosts and threads, one
//! instance per thread in a pool, every codec through one instance, the
//! compiled-module cache, and the wall-clock deadline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmer_plugin_host::{
    Bincode, CacheOutcome, Error, Host, HostPool, Json, MsgPack, Plugin, Postcard,
};
use wasmer_plugin_tests::{PluginWat, plugin};

// A compiled plugin and a pool are shared across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Plugin>();
    const fn assert_shared<T: Send + Sync>() {}
    assert_shared::<HostPool<Bincode>>();
};

fn bincode_plugin() -> Plugin {
    Plugin::new(plugin("bincode-plugin")).unwrap()
}

#[test]
fn hosts_made_from_one_plugin_keep_their_own_statics() {
    let plugin = bincode_plugin();
    let mut first = Host::<Bincode>::from_plugin(&plugin).unwrap();
    let mut second = Host::<Bincode>::from_plugin(&plugin).unwrap();
    for expected in 1..=3u64 {
        assert_eq!(first.call::<_, u64>("count", &()).unwrap(), expected);
    }
    assert_eq!(second.call::<_, u64>("count", &()).unwrap(), 1);
    // A handle looked up on one host serves another host of the plugin.
    let double = first.function::<i64, i64>("double").unwrap();
    assert_eq!(second.call_function(&double, &21).unwrap(), 42);
    // But not a host of another compilation of the same bytes.
    let mut other = Host::<Bincode>::new(wasmer_plugin_tests::plugin("bincode-plugin")).unwrap();
    assert!(matches!(
        other.call_function(&double, &21),
        Err(Error::ForeignFunction { .. })
    ));
}

#[test]
fn many_threads_call_one_pool() {
    let pool = HostPool::<Bincode>::new(&bincode_plugin());
    let double = pool.function::<i64, i64>("double").unwrap();
    let threads = 8;
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let (pool, double) = (&pool, &double);
            scope.spawn(move || {
                for i in 0..200i64 {
                    let x = thread * 1000 + i;
                    assert_eq!(pool.call_function(double, &x).unwrap(), 2 * x);
                }
                // This thread's instance counted only this thread's calls.
                assert_eq!(pool.call::<_, u64>("count", &()).unwrap(), 1);
                assert_eq!(pool.call::<_, u64>("count", &()).unwrap(), 2);
            });
        }
    });
    // The scoped threads ended and took their instances with them (their
    // thread-locals are destroyed just after `scope` sees them finish).
    let start = std::time::Instant::now();
    while pool.instances() > 0 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(pool.instances(), 0);
}

#[test]
fn a_pool_at_its_bound_refuses_new_threads_until_one_releases() {
    let pool = HostPool::<Bincode>::with_max_instances(&bincode_plugin(), 1);
    assert_eq!(pool.call::<_, i64>("double", &1i64).unwrap(), 2);
    assert_eq!(pool.instances(), 1);
    std::thread::scope(|scope| {
        scope.spawn(|| match pool.call::<_, i64>("double", &1i64) {
            Err(Error::InstanceLimit { limit: 1 }) => {}
            other => panic!("expected InstanceLimit, got {other:?}"),
        });
    });
    pool.release();
    assert_eq!(pool.instances(), 0);
    std::thread::scope(|scope| {
        scope.spawn(|| assert_eq!(pool.call::<_, i64>("double", &2i64).unwrap(), 4));
    });
}

#[test]
fn a_failed_call_in_a_pool_replaces_only_that_threads_instance() {
    let pool = HostPool::<Bincode>::new(&bincode_plugin());
    assert_eq!(pool.call::<_, u64>("count", &()).unwrap(), 1);
    let error = pool.call::<_, u32>("fail", &"boom").unwrap_err();
    assert!(error.discards_instance(), "{error}");
    // A fresh instance: its count starts again.
    assert_eq!(pool.call::<_, u64>("count", &()).unwrap(), 1);
}

#[test]
fn a_fresh_instance_per_call_keeps_no_state_between_calls() {
    let mut host = Host::<Bincode>::builder()
        .fresh_instance_per_call(true)
        .build(plugin("bincode-plugin"))
        .unwrap();
    for _ in 0..5 {
        assert_eq!(host.call::<_, u64>("count", &()).unwrap(), 1);
    }
    // Through a handle, after a failure, and between other functions too.
    let count = host.function::<(), u64>("count").unwrap();
    assert_eq!(host.call::<_, i64>("double", &21i64).unwrap(), 42);
    assert_eq!(host.call_function(&count, &()).unwrap(), 1);
    assert!(host.call::<_, u32>("fail", &"boom").is_err());
    assert_eq!(host.call_function(&count, &()).unwrap(), 1);

    // A pool built from such a plugin: every thread, every call.
    let plugin = Plugin::builder()
        .fresh_instance_per_call(true)
        .build(plugin("bincode-plugin"))
        .unwrap();
    let pool = HostPool::<Bincode>::new(&plugin);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..3 {
                    assert_eq!(pool.call::<_, u64>("count", &()).unwrap(), 1);
                }
            });
        }
    });
    // The default keeps the instance.
    let mut kept = Host::<Bincode>::from_plugin(&bincode_plugin()).unwrap();
    assert_eq!(kept.call::<_, u64>("count", &()).unwrap(), 1);
    assert_eq!(kept.call::<_, u64>("count", &()).unwrap(), 2);
}

#[test]
fn one_instance_calls_functions_of_every_codec() {
    let mut host = Host::<Bincode>::new(plugin("mixed-plugin")).unwrap();
    assert_eq!(host.call::<_, u32>("via_bincode", &1u32).unwrap(), 2);
    assert_eq!(
        host.call_in::<Postcard, _, u32>("via_postcard", &1u32)
            .unwrap(),
        3
    );
    let via_postcard = host
        .function_in::<Postcard, u32, u32>("via_postcard")
        .unwrap();
    assert_eq!(host.call_function(&via_postcard, &5u32).unwrap(), 7);
    // The codec is still checked against the metadata.
    match host.call::<_, u32>("via_postcard", &1u32) {
        Err(Error::CodecMismatch { plugin, host, .. }) => {
            assert_eq!((plugin.as_str(), host), ("postcard", "bincode"));
        }
        other => panic!("expected CodecMismatch, got {other:?}"),
    }
    assert!(matches!(
        host.call_in::<MsgPack, _, u32>("via_bincode", &1u32),
        Err(Error::CodecMismatch { .. })
    ));
    assert!(matches!(
        host.call_in::<Json, _, u32>("via_custom", &1u32),
        Err(Error::CodecMismatch { .. })
    ));
}

#[test]
fn errors_say_whether_they_discard_the_instance() {
    let mut host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    assert_eq!(host.call::<_, u64>("count", &()).unwrap(), 1);
    // Found before the plugin runs, or reported by it: the instance stays.
    for error in [
        host.call::<_, i64>("no_such_function", &1).unwrap_err(),
        host.call::<_, String>("double", &1i64).unwrap_err(),
        host.call::<_, i64>("double", &"not a number").unwrap_err(),
    ] {
        assert!(!error.discards_instance(), "{error}");
    }
    assert_eq!(host.call::<_, u64>("count", &()).unwrap(), 2);
    let error = host.call::<_, u32>("fail", &"boom").unwrap_err();
    assert!(error.discards_instance(), "{error}");
    assert_eq!(host.call::<_, u64>("count", &()).unwrap(), 1);
}

// The compiled-module cache.

fn cache_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn cached(dir: &Path, wasm: &[u8]) -> Plugin {
    Plugin::builder().cache(dir).build(wasm).unwrap()
}

/// The entry files in `dir`, and whether any temporary file is left;
/// every other file is a schemas file.
fn entries(dir: &Path) -> (Vec<PathBuf>, bool) {
    let mut entries = Vec::new();
    let mut temporary = false;
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("tmp") => temporary = true,
            Some("wasmer-plugin-module") => entries.push(path),
            _ => assert_eq!(path, schemas_file(&path), "a stray file in the cache"),
        }
    }
    (entries, temporary)
}

/// The schemas file next to the entry at `entry`.
fn schemas_file(entry: &Path) -> PathBuf {
    entry.with_extension("wasmer-plugin-schemas")
}

fn stored_entry(outcome: &CacheOutcome) -> PathBuf {
    match outcome {
        CacheOutcome::Stored { entry, .. } => entry.clone(),
        other => panic!("expected Stored, got {other:?}"),
    }
}

fn rejected_because(outcome: &CacheOutcome) -> String {
    match outcome {
        CacheOutcome::Stored {
            rejected: Some(reason),
            ..
        } => reason.clone(),
        other => panic!("expected a rejected entry, recompiled and stored; got {other:?}"),
    }
}

fn assert_hit_and_works(dir: &Path, wasm: &[u8]) {
    let plugin = cached(dir, wasm);
    assert!(
        matches!(plugin.cache_outcome(), CacheOutcome::Hit { .. }),
        "{:?}",
        plugin.cache_outcome()
    );
    let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
    assert_eq!(host.call::<_, i64>("double", &21i64).unwrap(), 42);
}

#[test]
fn a_cache_hit_skips_compilation() {
    let dir = cache_dir();
    let wasm = plugin("bincode-plugin");
    let first = cached(dir.path(), &wasm);
    let entry = stored_entry(first.cache_outcome());
    assert!(entry.starts_with(dir.path()));
    assert_eq!(entries(dir.path()), (vec![entry], false));
    assert_hit_and_works(dir.path(), &wasm);
    assert_eq!(
        Plugin::new(&wasm).unwrap().cache_outcome(),
        &CacheOutcome::Off
    );
}

#[test]
fn damaged_entries_are_detected_recompiled_and_replaced() {
    let dir = cache_dir();
    let wasm = plugin("bincode-plugin");
    let entry = stored_entry(cached(dir.path(), &wasm).cache_outcome());
    let good = std::fs::read(&entry).unwrap();

    // A flipped byte in the compiled code.
    let mut flipped = good.clone();
    flipped[good.len() / 3] ^= 0x40;
    std::fs::write(&entry, &flipped).unwrap();
    let reason = rejected_because(cached(dir.path(), &wasm).cache_outcome());
    assert!(reason.contains("damaged"), "{reason}");
    assert_eq!(std::fs::read(&entry).unwrap(), good);
    assert_hit_and_works(dir.path(), &wasm);

    // A truncated file.
    std::fs::write(&entry, &good[..good.len() / 2]).unwrap();
    let reason = rejected_because(cached(dir.path(), &wasm).cache_outcome());
    assert!(reason.contains("truncated"), "{reason}");
    assert_hit_and_works(dir.path(), &wasm);

    // An empty file.
    std::fs::write(&entry, b"").unwrap();
    let reason = rejected_because(cached(dir.path(), &wasm).cache_outcome());
    assert!(reason.contains("truncated"), "{reason}");
    assert_hit_and_works(dir.path(), &wasm);
}

#[test]
fn a_cache_hit_has_the_schemas_an_earlier_first_instance_read() {
    let dir = cache_dir();
    let wasm = plugin("bincode-plugin");
    let first = cached(dir.path(), &wasm);
    let entry = stored_entry(first.cache_outcome());
    let file = schemas_file(&entry);
    assert!(first.schemas().is_none() && !file.exists());
    // The first instance reads them, and keeps them in the cache.
    drop(Host::<Bincode>::from_plugin(&first).unwrap());
    let read = first.schemas().unwrap().to_vec();
    let good = std::fs::read(&file).unwrap();

    let hit = cached(dir.path(), &wasm);
    assert!(matches!(hit.cache_outcome(), CacheOutcome::Hit { .. }));
    assert_eq!(hit.schemas().unwrap(), read, "before any instance");
    // The stored schemas check types as the read ones do.
    let mut host = Host::<Bincode>::from_plugin(&hit).unwrap();
    assert!(matches!(
        host.function::<(), u64>("answer"),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(host.call::<_, u32>("answer", &()).unwrap(), 42);
    assert_eq!(std::fs::read(&file).unwrap(), good, "not written again");

    // A damaged, truncated, foreign or missing file is not used: the
    // first instance reads the schemas again, and writes the file again.
    let postcard = plugin("postcard-plugin");
    let postcard_entry = stored_entry(cached(dir.path(), &postcard).cache_outcome());
    drop(Host::<Postcard>::from_plugin(&cached(dir.path(), &postcard)).unwrap());
    let foreign = std::fs::read(schemas_file(&postcard_entry)).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 4] ^= 0x20;
    for unusable in [
        flipped,
        good[..good.len() - 1].to_vec(),
        foreign,
        Vec::new(),
    ] {
        if unusable.is_empty() {
            std::fs::remove_file(&file).unwrap();
        } else {
            std::fs::write(&file, &unusable).unwrap();
        }
        let plugin = cached(dir.path(), &wasm);
        assert!(matches!(plugin.cache_outcome(), CacheOutcome::Hit { .. }));
        assert!(plugin.schemas().is_none());
        let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
        assert_eq!(plugin.schemas().unwrap(), read);
        assert_eq!(host.call::<_, i64>("double", &21i64).unwrap(), 42);
        assert_eq!(std::fs::read(&file).unwrap(), good);
    }
    assert_eq!(entries(dir.path()).0.len(), 2);
}

/// Builds `wasm` with the cache in `dir` on another thread, failing
/// rather than hanging if that takes a minute (a FIFO read would block
/// forever).
#[cfg(unix)]
fn cached_within_a_minute(dir: &Path, wasm: &[u8]) -> Plugin {
    let (dir, wasm) = (dir.to_owned(), wasm.to_vec());
    let (done, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(cached(&dir, &wasm)));
    answer
        .recv_timeout(Duration::from_secs(60))
        .expect("building with the cache hung")
}

#[test]
#[cfg(unix)]
fn entries_that_are_not_plausible_files_are_refused_unread_and_replaced() {
    let dir = cache_dir();
    let wasm = plugin("bincode-plugin");
    let entry = stored_entry(cached(dir.path(), &wasm).cache_outcome());
    let refused = |expected: &str| {
        let reason = rejected_because(cached_within_a_minute(dir.path(), &wasm).cache_outcome());
        assert!(reason.contains(expected), "{reason}");
        assert!(std::fs::symlink_metadata(&entry).unwrap().is_file());
        assert_hit_and_works(dir.path(), &wasm);
    };

    // A FIFO: opening it for reading would wait for a writer.
    std::fs::remove_file(&entry).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&entry)
        .status()
        .unwrap();
    assert!(made.success());
    refused("not a regular file but a FIFO");

    // A link to a device that never ends.
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &entry).unwrap();
    refused("not a regular file but a device");

    // A file far larger than any entry for this plugin (sparse: nothing
    // is written).
    std::fs::remove_file(&entry).unwrap();
    std::fs::File::create(&entry)
        .unwrap()
        .set_len(64 << 30)
        .unwrap();
    refused("more than the");

    // A folder cannot be replaced: the plugin compiles, not stored.
    std::fs::remove_file(&entry).unwrap();
    std::fs::create_dir(&entry).unwrap();
    let plugin = cached_within_a_minute(dir.path(), &wasm);
    match plugin.cache_outcome() {
        CacheOutcome::NotStored {
            rejected: Some(rejected),
            ..
        } => assert!(
            rejected.contains("not a regular file but a folder"),
            "{rejected}"
        ),
        other => panic!("expected NotStored with a rejected entry, got {other:?}"),
    }
    let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
    assert_eq!(host.call::<_, i64>("double", &21i64).unwrap(), 42);
}

#[test]
fn an_entry_copied_under_another_key_is_refused() {
    let dir = cache_dir();
    let bincode = plugin("bincode-plugin");
    let postcard = plugin("postcard-plugin");
    let bincode_entry = stored_entry(cached(dir.path(), &bincode).cache_outcome());
    let postcard_entry = stored_entry(cached(dir.path(), &postcard).cache_outcome());
    std::fs::copy(&bincode_entry, &postcard_entry).unwrap();
    let plugin = cached(dir.path(), &postcard);
    let reason = rejected_because(plugin.cache_outcome());
    assert!(reason.contains("key differs"), "{reason}");
    // What loaded is the postcard plugin, not the copied bincode one.
    let mut host = Host::<Postcard>::from_plugin(&plugin).unwrap();
    assert_eq!(host.call::<_, i64>("double", &4i64).unwrap(), 8);
    assert!(matches!(
        cached(dir.path(), &postcard).cache_outcome(),
        CacheOutcome::Hit { .. }
    ));
}

#[test]
fn different_limits_give_different_entries() {
    let dir = cache_dir();
    let wasm = plugin("bincode-plugin");
    let build = |builder: wasmer_plugin_host::PluginBuilder| {
        builder.cache(dir.path()).build(&wasm).unwrap()
    };
    let plain = stored_entry(build(Plugin::builder()).cache_outcome());
    let fuel = stored_entry(build(Plugin::builder().fuel_per_call(1 << 30)).cache_outcome());
    let memory = stored_entry(build(Plugin::builder().max_memory_bytes(64 << 20)).cache_outcome());
    let timeout =
        stored_entry(build(Plugin::builder().timeout(Duration::from_secs(5))).cache_outcome());
    let mut all = vec![plain, fuel, memory, timeout];
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4);
    // The fuel budget is not compiled in: another budget hits the entry,
    // and the cached meter enforces it.
    let small_budget = build(Plugin::builder().fuel_per_call(10_000));
    assert!(matches!(
        small_budget.cache_outcome(),
        CacheOutcome::Hit { .. }
    ));
    let mut host = Host::<Bincode>::from_plugin(&small_budget).unwrap();
    assert_eq!(host.call::<_, i64>("double", &2i64).unwrap(), 4);
    assert!(matches!(
        host.call::<_, String>("repeat", &("x", 1_000_000u32)),
        Err(Error::OutOfFuel { budget: 10_000, .. })
    ));
}

#[test]
fn a_cached_module_still_meets_stricter_code_limits() {
    // A hit skips the pass over the code: the key holds the code limits
    // the stored module met, so stricter ones miss and check the code.
    let dir = cache_dir();
    let wasm = plugin("bincode-plugin");
    cached(dir.path(), &wasm);
    assert_hit_and_works(dir.path(), &wasm);
    match Plugin::builder()
        .cache(dir.path())
        .max_calls(1)
        .build(&wasm)
    {
        Err(Error::LoadLimit {
            limit: "max_calls", ..
        }) => {}
        other => panic!("expected the max_calls LoadLimit, got {other:?}"),
    }
    match Plugin::builder()
        .cache(dir.path())
        .max_functions(1)
        .build(&wasm)
    {
        Err(Error::LoadLimit {
            limit: "max_functions",
            ..
        }) => {}
        other => panic!("expected the max_functions LoadLimit, got {other:?}"),
    }
    assert_hit_and_works(dir.path(), &wasm);
}

#[test]
fn threads_filling_one_cache_leave_one_valid_entry() {
    let dir = cache_dir();
    let wasm = plugin("bincode-plugin");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let plugin = cached(dir.path(), &wasm);
                let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
                assert_eq!(host.call::<_, i64>("double", &3i64).unwrap(), 6);
            });
        }
    });
    let (files, temporary) = entries(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(!temporary);
    assert_hit_and_works(dir.path(), &wasm);
}

const CHILD_DIR: &str = "WASMER_PLUGIN_TEST_CACHE_DIR";
const CHILD_WASM: &str = "WASMER_PLUGIN_TEST_CACHE_WASM";

/// Run by `processes_filling_one_cache_leave_one_valid_entry` in child
/// processes; does nothing on its own.
#[test]
#[ignore = "a child process of processes_filling_one_cache_leave_one_valid_entry"]
fn cache_filling_child() {
    let (Ok(dir), Ok(wasm)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_WASM)) else {
        return;
    };
    let plugin = Plugin::builder().cache(dir).build_from_file(wasm).unwrap();
    let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
    assert_eq!(host.call::<_, i64>("double", &5i64).unwrap(), 10);
}

#[test]
fn processes_filling_one_cache_leave_one_valid_entry() {
    let dir = cache_dir();
    let wasm_file = dir.path().join("plugin.wasm.input");
    std::fs::write(&wasm_file, plugin("bincode-plugin")).unwrap();
    let cache = dir.path().join("cache");
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["scale::cache_filling_child", "--exact", "--ignored"])
                .env(CHILD_DIR, &cache)
                .env(CHILD_WASM, &wasm_file)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let (files, temporary) = entries(&cache);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(!temporary);
    assert_hit_and_works(&cache, &std::fs::read(&wasm_file).unwrap());
}

// The wall-clock deadline.

const LIMIT: Duration = Duration::from_millis(200);

fn assert_timeout(result: Result<impl std::fmt::Debug, Error>, function: &str) {
    match result {
        Err(Error::Timeout { function: f, limit }) => {
            assert_eq!((f.as_str(), limit), (function, LIMIT));
        }
        other => panic!("expected Timeout for {function}, got {other:?}"),
    }
}

#[test]
fn a_timeout_stops_an_endless_plugin_without_fuel() {
    let mut host = Host::<Bincode>::builder()
        .timeout(LIMIT)
        .build(plugin("hostile-plugin"))
        .unwrap();
    let error = host.call::<_, u64>("spin", &()).unwrap_err();
    assert!(error.discards_instance());
    assert_timeout(Err::<(), _>(error), "spin");
    assert_eq!(host.call::<_, String>("echo", &"after").unwrap(), "after");
    // Quick calls are not stopped, however many.
    for _ in 0..1000 {
        host.call::<_, String>("echo", &"x").unwrap();
    }
}

#[test]
fn a_timeout_stops_loops_that_touch_nothing_and_works_with_fuel() {
    let functions = r#"
        (func (export "__wasmer_plugin_fn_bare_loop") (param i32 i32) (result i32)
          (loop $again (br $again))
          (i32.const 0))
        (func $ping (param i32) (result i32) (call $pong (local.get 0)))
        (func $pong (param i32) (result i32)
          (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (call $ping (i32.sub (local.get 0) (i32.const 1))))))
        (func (export "__wasmer_plugin_fn_many_calls") (param i32 i32) (result i32)
          (loop $again (drop (call $ping (i32.const 1000))) (br $again))
          (i32.const 0))"#;
    let wasm = PluginWat::new(functions, &["bare_loop", "many_calls"]).wasm();
    for fuel in [None, Some(u64::MAX / 2)] {
        let mut builder = Host::<Bincode>::builder().timeout(LIMIT);
        if let Some(fuel) = fuel {
            builder = builder.fuel_per_call(fuel);
        }
        let mut host = builder.build(&wasm).unwrap();
        for function in ["bare_loop", "many_calls"] {
            assert_timeout(host.call::<_, u32>(function, &()), function);
            assert_eq!(host.call::<_, u32>("good", &()).unwrap(), 7);
        }
    }
}

#[test]
fn a_timeout_stops_a_straight_run_of_bulk_instructions() {
    // 600 fills and copies of the whole 64 MiB memory, over a second of
    // work with no loop and no call before the function returns (it
    // writes the slot itself): only the checks before each bulk
    // instruction can stop it; without them it would answer.
    let whole = 64 << 20;
    let bulk: String = (0..300)
        .map(|_| {
            format!(
                "(memory.fill (i32.const 0) (i32.const 1) (i32.const {whole}))
                 (memory.copy (i32.const 0) (i32.const 0) (i32.const {whole}))"
            )
        })
        .collect();
    // The answer: the fills' byte 1 at address 64, as a bincode `u8`.
    let functions = format!(
        r#"(func (export "__wasmer_plugin_fn_bulk") (param i32 i32) (result i32)
             {bulk}
             (i32.store (i32.const 16) (i32.const 1))
             (i32.store (i32.const 20) (i32.const 0))
             (i32.store (i32.const 24) (i32.const 64))
             (i32.const 64))"#
    );
    let mut wat = PluginWat::new(&functions, &["bulk"]);
    wat.memory = r#"(memory (export "memory") 1024)"#;
    let mut host = Host::<Bincode>::builder()
        .timeout(LIMIT)
        .build(wat.wasm())
        .unwrap();
    assert_timeout(host.call::<_, u8>("bulk", &()), "bulk");
    assert_eq!(host.call::<_, u32>("good", &()).unwrap(), 7);
}

#[test]
fn a_timeout_bounds_a_looping_start_function() {
    let functions = r#"
        (func $start (loop $again (br $again)))
        (start $start)"#;
    let wasm = PluginWat::new(functions, &[]).wasm();
    match Plugin::builder().timeout(LIMIT).build(&wasm) {
        Ok(plugin) => assert_timeout(Host::<Bincode>::from_plugin(&plugin), "(start function)"),
        Err(error) => panic!("compiling needs no start function: {error}"),
    }
    // A pool reports it on the call that needed the instance.
    let plugin = Plugin::builder().timeout(LIMIT).build(&wasm).unwrap();
    let pool = HostPool::<Bincode>::new(&plugin);
    assert_timeout(pool.call::<_, u32>("good", &()), "(start function)");
    assert_eq!(pool.instances(), 0);
}

#[test]
fn pooled_instances_time_out_on_their_own_threads() {
    let plugin = Plugin::builder()
        .timeout(LIMIT)
        .build(plugin("hostile-plugin"))
        .unwrap();
    let pool = HostPool::<Bincode>::new(&plugin);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                assert_timeout(pool.call::<_, u64>("spin", &()), "spin");
                assert_eq!(pool.call::<_, String>("echo", &"ok").unwrap(), "ok");
            });
        }
    });
}

#[test]
fn a_64_mib_payload_passes_the_default_limits_both_ways() {
    // A 4096 x 4096 RGBA image: 64 MiB exactly, which its length prefix
    // (and a reply's) takes over 64 MiB. The defaults leave room for it.
    let image = vec![0x5au8; 4096 * 4096 * 4];
    let mut host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    let echoed: Vec<u8> = host.call::<[u8], _>("echo_bytes", &image[..]).unwrap();
    assert!(echoed == image, "the image came back changed");
}
