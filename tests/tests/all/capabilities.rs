//! Capabilities: a plugin reads the clock and draws random bytes, through
//! `uuid` (over getrandom) and the guest runtime's API, only where the
//! host grants them; a reproducible clock and generator repeat a run.

use std::time::{Duration, SystemTime};

use wasmer_plugin_host::{
    Bincode, Clock, Error, Host, HostBuilder, HostFunctionFailure, Plugin, Randomness,
    plugin_capabilities,
};
use wasmer_plugin_tests::{PluginWat, capabilities_plugin, plugin, poke};

fn wasm() -> Vec<u8> {
    capabilities_plugin()
}

fn granted(clock: Clock, randomness: Randomness) -> HostBuilder {
    Host::<Bincode>::builder()
        .grant_clock(clock)
        .grant_randomness(randomness)
}

#[test]
fn a_plugin_asks_for_what_its_code_calls() {
    assert_eq!(
        plugin_capabilities(&wasm()).unwrap(),
        ["clock", "randomness"]
    );
    // One that never reads the time nor draws a byte asks for nothing,
    // though the guest runtime it links has both.
    assert!(
        plugin_capabilities(&plugin("bincode-plugin"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_ungranted_capability_is_refused_at_load_naming_it_and_its_setter() {
    let cases = [
        (
            Host::<Bincode>::builder().grant_clock(Clock::system()),
            "randomness",
            "grant_randomness",
        ),
        (
            Host::<Bincode>::builder().grant_randomness(Randomness::system()),
            "clock",
            "grant_clock",
        ),
    ];
    for (builder, expected, expected_setter) in cases {
        let err = builder.build(wasm()).unwrap_err();
        match &err {
            Error::CapabilityNotGranted {
                capability, setter, ..
            } => {
                assert_eq!((*capability, *setter), (expected, expected_setter));
            }
            other => panic!("expected a refused capability, got {other:?}"),
        }
        assert!(
            err.to_string()
                .contains(&format!("grant it with the builder's `{expected_setter}`")),
            "{err}"
        );
    }
    // Before compiling, and for a compiled plugin's builder too.
    let err = Plugin::builder().build(wasm()).unwrap_err();
    assert!(matches!(err, Error::CapabilityNotGranted { .. }), "{err:?}");
}

#[test]
fn granted_capabilities_serve_uuid_the_clock_and_random_bytes() {
    let mut host = granted(Clock::system(), Randomness::system())
        .build(wasm())
        .unwrap();
    assert_eq!(host.plugin().capabilities(), ["clock", "randomness"]);

    let first: String = host.call("new_uuid", &()).unwrap();
    let second: String = host.call("new_uuid", &()).unwrap();
    assert_ne!(first, second);
    for uuid in [&first, &second] {
        // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx
        assert_eq!(uuid.len(), 36, "{uuid}");
        assert_eq!(&uuid[14..15], "4", "{uuid}");
        assert!("89ab".contains(&uuid[19..20]), "{uuid}");
    }

    let bytes: Vec<u8> = host.call("random_bytes", &4096u32).unwrap();
    assert_eq!(bytes.len(), 4096);
    // 4096 bytes of one value from a real source: never.
    assert!(bytes.iter().any(|&byte| byte != bytes[0]));

    let (seconds, earlier, later): (u64, u64, u64) = host.call("times", &()).unwrap();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(seconds.abs_diff(now) <= 60, "{seconds} vs {now}");
    assert!(later >= earlier);
}

#[test]
fn a_deterministic_clock_and_a_seeded_generator_repeat_a_run() {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let run = |seed: u64| {
        let mut host = granted(
            Clock::deterministic(start, Duration::from_millis(1)),
            Randomness::seeded(seed),
        )
        .build(wasm())
        .unwrap();
        let uuids: Vec<String> = (0..3)
            .map(|_| host.call("new_uuid", &()).unwrap())
            .collect();
        let bytes: Vec<u8> = host.call("random_bytes", &64u32).unwrap();
        let times: (u64, u64, u64) = host.call("times", &()).unwrap();
        (uuids, bytes, times)
    };
    let (uuids, bytes, times) = run(42);
    assert_eq!(run(42), (uuids.clone(), bytes.clone(), times));
    // The three differ from each other, and from another seed's.
    assert_ne!(uuids[0], uuids[1]);
    assert_ne!(uuids[1], uuids[2]);
    let (other_uuids, other_bytes, _) = run(43);
    assert_ne!(other_uuids, uuids);
    assert_ne!(other_bytes, bytes);
    // The first reading is the start, each one after a step later.
    assert_eq!(times, (1_800_000_000, 1_000_000, 2_000_000));
}

/// A hand-written plugin whose `poke` runs `body` and answers the byte at
/// address 64, importing the randomness and the monotonic clock.
fn raw_capability_user(body: &str) -> Vec<u8> {
    let functions = poke(body);
    let mut wat = PluginWat::new(&functions, &["poke"]);
    wat.imports = r#"(import "wasmer-plugin" "__wasmer_plugin_random_fill" (func $fill (param i32 i32)))
                     (import "wasmer-plugin" "__wasmer_plugin_clock_monotonic" (func $monotonic (result i64)))"#;
    wat.wasm()
}

#[test]
fn random_bytes_asked_outside_memory_end_the_call_and_the_next_one_works() {
    // Without arguments it asks for bytes past the end of its memory.
    let wasm = raw_capability_user(
        "(if (i32.eqz (local.get 1))
           (then (call $fill (i32.const 65530) (i32.const 100))))
         (call $fill (i32.const 64) (i32.const 1))
         (drop (call $monotonic))",
    );
    let host = || {
        granted(Clock::system(), Randomness::seeded(1))
            .build(&wasm)
            .unwrap()
    };
    let mut first = host();
    let err = first.call::<_, u8>("poke", &()).unwrap_err();
    match &err {
        Error::HostFunction {
            host_function,
            failure: HostFunctionFailure::BadCall { reason },
            ..
        } => {
            assert_eq!(host_function, "__wasmer_plugin_random_fill");
            assert!(reason.contains("outside the 65536-byte memory"), "{reason}");
        }
        other => panic!("expected a bad call, got {other:?}"),
    }
    assert!(err.discards_instance());
    // The next call runs on a fresh instance, whose generator starts from
    // the seed again: the byte is the one a new host draws.
    let byte = first.call::<_, u8>("poke", &1u8).unwrap();
    assert_eq!(host().call::<_, u8>("poke", &1u8).unwrap(), byte);
}
