//! Host functions end to end: plugins built from source call typed host
//! functions in every codec; failures on the host's side end the plugin
//! call with an error naming the host function, and the next call works.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use wasmer_plugin_host::{
    Bincode, Codec, Error, Host, HostBuilder, HostFunctionFailure, HostPool, Json, MsgPack, Plugin,
    PluginBuilder, Postcard,
};
use wasmer_plugin_tests::common::{Customer, Line, Order, Priority, Summary, summarize};
use wasmer_plugin_tests::{PluginWat, append_custom_section, plugin, poke, record};

/// The host's side of the test plugins' imports.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    pub(crate) lines: Vec<String>,
    pub(crate) total: u64,
    pub(crate) pings: u64,
    /// The thread whose calls this state serves, for the soak's `ping`
    /// (`soak.rs`), which sets it.
    pub(crate) owner: Option<std::thread::ThreadId>,
}

/// The error type of the host function `fail`: the host's own, which the
/// plugin call's error keeps for the host to downcast.
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused: {}", self.0)
    }
}

impl std::error::Error for Refused {}

fn wasm<C: Codec>() -> Vec<u8> {
    plugin(&format!("host-calls-{}", C::NAME))
}

/// Every host function the test plugins import, in codec `C`.
fn builder<C: Codec + 'static>() -> HostBuilder<C, Journal> {
    without_strict::<C>().host_fn("strict", |_, text: String| text.len() as u32)
}

/// Every host function the test plugins import but `strict`.
fn without_strict<C: Codec + 'static>() -> HostBuilder<C, Journal> {
    journal_functions!(Host::<C>::builder().state(Journal::default), C, ping with host_fn0)
        .host_fn("summarize", |_, order: Order| summarize(&order))
}

/// Registers, in codec `$codec`, every host function the test plugins
/// import but `strict` and `summarize` on `$builder`, a host's or a
/// plugin's builder whose state is a [`Journal`]; `ping`, which takes no
/// arguments, with `host_fn0` when asked to.
macro_rules! journal_functions {
    (@but_ping $builder:expr, $codec:ty) => {
        $builder
            .host_fn_in::<$codec, _, _, _>("log", |ctx, line: String| {
                ctx.state_mut().lines.push(line)
            })
            .host_fn_in::<$codec, _, _, _>("config", |_, key: String| {
                (key == "name").then(|| "wasm".to_owned())
            })
            .host_fn_in::<$codec, _, _, _>("add", |ctx, amount: u64| {
                ctx.state_mut().total += amount;
                ctx.state().total
            })
            .host_fn_in::<$codec, _, _, _>("divide", |_, (dividend, divisor): (i64, i64)| {
                dividend
                    .checked_div(divisor)
                    .ok_or_else(|| format!("cannot divide {dividend} by {divisor}"))
            })
            .try_host_fn_in::<$codec, _, _, _, _>(
                "fail",
                |_, reason: String| -> Result<(), Refused> { Err(Refused(reason)) },
            )
            .host_fn_in::<$codec, _, _, _>("explode", |_, message: String| -> () {
                panic!("{message}")
            })
            .host_fn_in::<$codec, _, _, _>("repeat", |_, (data, times): (Vec<u8>, u32)| {
                data.repeat(times as usize)
            })
    };
    // `ping` without its unit argument, for a builder whose codec is
    // `$codec` (`host_fn0` registers in the builder's codec).
    ($builder:expr, $codec:ty, ping with host_fn0) => {
        journal_functions!(@but_ping $builder, $codec)
            .host_fn0("ping", |ctx| ctx.state_mut().pings += 1)
    };
    ($builder:expr, $codec:ty) => {
        journal_functions!(@but_ping $builder, $codec)
            .host_fn_in::<$codec, _, _, _>("ping", |ctx, (): ()| ctx.state_mut().pings += 1)
    };
}
pub(crate) use journal_functions;

/// A plugin builder with every host function the host-calls plugins
/// import, in codec `C`: for pools and pipelines of them.
pub(crate) fn plugin_builder<C: Codec + 'static>() -> PluginBuilder<Journal> {
    plugin_builder_without_strict::<C>()
        .host_fn_in::<C, _, _, _>("strict", |_, text: String| text.len() as u32)
}

/// [`plugin_builder`] without `strict`.
pub(crate) fn plugin_builder_without_strict<C: Codec + 'static>() -> PluginBuilder<Journal> {
    journal_functions!(Plugin::builder().state(Journal::default), C)
        .host_fn_in::<C, _, _, _>("summarize", |_, order: Order| summarize(&order))
}

/// The host-calls test plugin of codec `C`.
pub(crate) fn host_calls_wasm<C: Codec>() -> Vec<u8> {
    wasm::<C>()
}

fn host<C: Codec + 'static>() -> Host<C, Journal> {
    builder::<C>()
        .build(wasm::<C>())
        .expect("test plugin loads")
}

fn logging_reaches_the_host<C: Codec + 'static>() {
    let mut host = host::<C>();
    let lines = vec!["first".to_owned(), "zweite Zeile ✓".to_owned()];
    assert_eq!(host.call::<_, u32>("log_lines", &lines).unwrap(), 2);
    assert_eq!(host.state().lines, lines);
    assert_eq!(host.call::<_, u32>("log_lines", &vec!["third"]).unwrap(), 1);
    assert_eq!(host.state().lines.len(), 3);
    assert_eq!(host.state().lines[2], "third");
}

fn state_lives_across_calls_and_the_host_can_change_it<C: Codec + 'static>() {
    let mut host = host::<C>();
    assert_eq!(
        host.call::<_, u64>("add_all", &vec![1u64, 2, 3]).unwrap(),
        6
    );
    assert_eq!(host.call::<_, u64>("add_all", &vec![4u64]).unwrap(), 10);
    assert_eq!(host.state().total, 10);
    host.state_mut().total = 100;
    assert_eq!(host.call::<_, u64>("add_all", &vec![5u64]).unwrap(), 105);
    // Each host has a state of its own.
    let mut other = Host::<C, Journal>::from_plugin(host.plugin()).unwrap();
    assert_eq!(other.call::<_, u64>("add_all", &vec![1u64]).unwrap(), 1);
    assert_eq!(host.state().total, 105);
}

fn option_and_result_replies_reach_the_plugin<C: Codec + 'static>() {
    let mut host = host::<C>();
    let greeting: String = host.call("greeting", "name").unwrap();
    assert_eq!(greeting, "hello, wasm");
    let greeting: String = host.call("greeting", "colour").unwrap();
    assert_eq!(greeting, "no `colour` configured");
    let quotient: Result<i64, String> = host.call("host_divide", &(7i64, 2i64)).unwrap();
    assert_eq!(quotient, Ok(3));
    let quotient: Result<i64, String> = host.call("host_divide", &(1i64, 0i64)).unwrap();
    assert_eq!(quotient, Err("host says: cannot divide 1 by 0".to_owned()));
}

fn a_struct_crosses_each_way<C: Codec + 'static>() {
    let mut host = host::<C>();
    let order = order();
    let summary: Summary = host.call("summarize_on_host", &order).unwrap();
    assert_eq!(summary, summarize(&order));
}

fn a_failing_host_function_ends_the_call_and_the_next_one_works<C: Codec + 'static>() {
    let mut host = host::<C>();
    host.call::<_, u32>("log_lines", &vec!["before"]).unwrap();
    let err = host.call::<_, u32>("call_fail", "no reason").unwrap_err();
    match &err {
        Error::HostFunction {
            function,
            host_function,
            failure: HostFunctionFailure::Returned(error),
        } => {
            assert_eq!(function, "call_fail");
            assert_eq!(host_function, "fail");
            assert_eq!(error.to_string(), "refused: no reason");
        }
        other => panic!("expected a returned error, got {other:?}"),
    }
    // The host's own error, with its own type.
    let refused = err
        .host_error()
        .and_then(|error| error.downcast_ref::<Refused>())
        .expect("the host function's error keeps its type");
    assert_eq!(refused.0, "no reason");
    assert_eq!(
        err.report().to_string(),
        "plugin function `call_fail` stopped: host function `fail` failed: it returned an error: refused: no reason"
    );
    // The message does not repeat its sources.
    assert!(!err.to_string().contains("refused"), "{err}");
    assert!(err.discards_instance());
    // The state is the host's: it outlives the discarded instance.
    assert_eq!(host.call::<_, u32>("log_lines", &vec!["after"]).unwrap(), 1);
    assert_eq!(host.state().lines, ["before", "after"]);
}

fn a_panicking_host_function_is_caught_and_the_next_call_works<C: Codec + 'static>() {
    let mut host = host::<C>();
    let err = host.call::<_, u32>("call_explode", "kaboom").unwrap_err();
    match &err {
        Error::HostFunction {
            function,
            host_function,
            failure: HostFunctionFailure::Panicked { message },
        } => {
            assert_eq!(function, "call_explode");
            assert_eq!(host_function, "explode");
            // Where the host function panicked, then its message.
            assert!(
                message.starts_with("tests/tests/all/host_functions.rs:"),
                "{message}"
            );
            assert!(message.ends_with(": kaboom"), "{message}");
        }
        other => panic!("expected a panicked host function, got {other:?}"),
    }
    assert!(err.host_error().is_none());
    let greeting: String = host.call("greeting", "name").unwrap();
    assert_eq!(greeting, "hello, wasm");
}

fn a_host_function_taking_another_type_is_refused_at_load<C: Codec + 'static>() {
    // `strict` is declared `fn strict(text: &str) -> u32`.
    let numbers =
        || without_strict::<C>().host_fn("strict", |_, (a, b): (u64, u64)| (a + b) as u32);
    let expect_mismatch = |err: Error| {
        assert!(err.to_string().contains("register it with"), "{err}");
        assert_eq!(
            host_function_mismatch(err),
            [
                "strict",
                "argument",
                "the plugin has String, the host has (u64, u64)"
            ]
        );
    };
    // A host builder instantiates: found there.
    expect_mismatch(numbers().build(wasm::<C>()).unwrap_err());
    // A compiled plugin loads; its first instance finds it, and every
    // later one fails the same way, before the plugin runs.
    let plugin = journal_functions!(Plugin::builder().state(Journal::default), C)
        .host_fn_in::<C, _, _, _>("summarize", |_, order: Order| summarize(&order))
        .host_fn_in::<C, _, _, _>("strict", |_, (a, b): (u64, u64)| (a + b) as u32)
        .build(wasm::<C>())
        .unwrap();
    for _ in 0..2 {
        expect_mismatch(
            Host::<C, Journal>::from_plugin(&plugin)
                .map(drop)
                .unwrap_err(),
        );
    }
    let pool = HostPool::<C, Journal>::new(&plugin);
    expect_mismatch(pool.call::<_, u32>("send_garbage", &()).unwrap_err());
    // The schemas name what the plugin sends.
    let schemas = plugin.host_function_schemas().unwrap();
    let (_, strict) = schemas.iter().find(|(name, _)| name == "strict").unwrap();
    assert_eq!(strict.args.as_ref().unwrap().to_string(), "String");
    assert_eq!(strict.ret.as_ref().unwrap().to_string(), "u32");
}

#[test]
fn schemas_from_the_cache_check_each_builds_host_functions() {
    let dir = tempfile::tempdir().unwrap();
    let build = |strict: bool| {
        let builder = journal_functions!(Plugin::builder().state(Journal::default), Bincode)
            .host_fn_in::<Bincode, _, _, _>("summarize", |_, order: Order| summarize(&order));
        let builder = match strict {
            true => builder
                .host_fn_in::<Bincode, _, _, _>("strict", |_, text: String| text.len() as u32),
            false => builder
                .host_fn_in::<Bincode, _, _, _>("strict", |_, (a, b): (u64, u64)| (a + b) as u32),
        };
        builder.cache(dir.path()).build(wasm::<Bincode>()).unwrap()
    };
    let mismatch = |plugin: &Plugin<Journal>| {
        let err = Host::<Bincode, Journal>::from_plugin(plugin)
            .map(drop)
            .unwrap_err();
        assert_eq!(host_function_mismatch(err)[0], "strict");
    };
    // The first instance of a build with the wrong `strict` reads the
    // schemas, and the cache keeps them.
    let wrong = build(false);
    assert!(wrong.host_function_schemas().is_none());
    mismatch(&wrong);
    let read = wrong.host_function_schemas().unwrap().to_vec();
    // Later builds have them from the cache, checked against their own
    // host functions.
    let right = build(true);
    assert_eq!(right.host_function_schemas().unwrap(), read);
    let mut host = Host::<Bincode, Journal>::from_plugin(&right).unwrap();
    let summary: Summary = host.call("summarize_on_host", &order()).unwrap();
    assert_eq!(summary, summarize(&order()));
    let wrong_again = build(false);
    assert_eq!(wrong_again.host_function_schemas().unwrap(), read);
    mismatch(&wrong_again);
}

/// `Order` as a newer host reads it: with a field no plugin sends yet.
#[derive(serde::Deserialize)]
struct OrderWithCoupon {
    id: u64,
    customer: Customer,
    lines: Vec<Line>,
    notes: Option<String>,
    tags: HashMap<String, u32>,
    priority: Priority,
    coupon: Option<String>,
}

fn an_evolved_host_function_type_follows_the_codec<C: Codec + 'static>() {
    let with_coupon = journal_functions!(Host::<C>::builder().state(Journal::default), C)
        .host_fn("strict", |_, text: String| text.len() as u32)
        .host_fn("summarize", |_, order: OrderWithCoupon| {
            assert_eq!(order.coupon, None);
            summarize(&Order {
                id: order.id,
                customer: order.customer,
                lines: order.lines,
                notes: order.notes,
                tags: order.tags,
                priority: order.priority,
            })
        });
    let with_coupon = with_coupon.build(wasm::<C>());
    if C::LAYOUT.named_fields {
        // Fields are matched by name, and `coupon` can be missing.
        let mut host = with_coupon.unwrap();
        let summary: Summary = host.call("summarize_on_host", &order()).unwrap();
        assert_eq!(summary, summarize(&order()));
    } else {
        assert_eq!(
            host_function_mismatch(with_coupon.map(drop).unwrap_err()),
            [
                "summarize",
                "argument",
                "the plugin has 6 fields, the host has 7 fields"
            ]
        );
    }
}

/// The host function, path and difference of a
/// `HostFunctionTypeMismatch`.
fn host_function_mismatch(err: Error) -> [String; 3] {
    match err {
        Error::HostFunctionTypeMismatch {
            host_function,
            path,
            difference,
        } => [host_function, path, difference],
        other => panic!("expected HostFunctionTypeMismatch, got {other:?}"),
    }
}

fn a_reply_of_another_type_fails_its_first_call<C: Codec + 'static>() {
    // `add` is declared `fn add(amount: u64) -> u64`.
    let mut host = Host::<C>::builder()
        .state(Journal::default)
        .host_fn("log", |_, _: String| {})
        .host_fn("config", |_, _: String| Some(7u32))
        .host_fn("add", |_, amount: u64| amount as u32)
        .host_fn("divide", |_, _: (i64, i64)| Ok::<i64, String>(0))
        .host_fn("fail", |_, _: String| {})
        .host_fn("explode", |_, _: String| {})
        .host_fn("repeat", |_, _: (Vec<u8>, u32)| Vec::<u8>::new())
        .host_fn("strict", |_, _: String| 0u32)
        .host_fn("ping", |_, (): ()| {})
        .host_fn("summarize", |_, order: Order| summarize(&order))
        .build(wasm::<C>())
        .unwrap();
    for (function, host_function, difference) in [
        ("add_all", "add", "the plugin has u64, the host has u32"),
        (
            "greeting",
            "config",
            "the plugin has String, the host has u32",
        ),
    ] {
        for _ in 0..2 {
            let err = match function {
                "add_all" => host.call::<_, u64>("add_all", &vec![1u64]).map(drop),
                _ => host.call::<_, String>("greeting", "name").map(drop),
            }
            .unwrap_err();
            match &err {
                Error::HostFunction {
                    function: called,
                    host_function: failed,
                    failure:
                        HostFunctionFailure::TypeMismatch {
                            path,
                            difference: found,
                        },
                } => {
                    assert_eq!(
                        (called.as_str(), failed.as_str()),
                        (function, host_function)
                    );
                    assert_eq!(found, difference);
                    assert_eq!(path, "reply");
                }
                other => panic!("expected a reply of the wrong type, got {other:?}"),
            }
        }
    }
    // Functions that do not call them work.
    let quotient: Result<i64, String> = host.call("host_divide", &(7i64, 2i64)).unwrap();
    assert_eq!(quotient, Ok(0));
}

fn replies_of_every_size_arrive_whole<C: Codec + 'static>() {
    let mut host = host::<C>();
    // Empty, tiny, filling the guest's buffer, and past it (taken with
    // `take_reply`): 0 B to 3 MiB.
    for (len, times) in [(1u32, 0u32), (1, 1), (700, 1), (1024, 64), (3, 1 << 20)] {
        let got: u64 = host.call("repeat_checked", &(len, times)).unwrap();
        assert_eq!(got, len as u64 * times as u64, "{len} x {times}");
    }
    let memory = host.memory_size().unwrap();
    for _ in 0..3 {
        host.call::<_, u64>("repeat_checked", &(3u32, 1u32 << 20))
            .unwrap();
    }
    assert_eq!(host.memory_size().unwrap(), memory, "memory grew");
}

fn many_host_calls_leave_memory_unchanged<C: Codec + 'static>() {
    let mut host = host::<C>();
    host.call::<_, u32>("ping_many", &1u32).unwrap();
    let memory = host.memory_size().unwrap();
    assert_eq!(
        host.call::<_, u32>("ping_many", &100_000u32).unwrap(),
        100_000
    );
    assert_eq!(host.state().pings, 100_001);
    assert_eq!(host.memory_size().unwrap(), memory, "memory grew");
}

fn every_missing_import_is_named_at_load<C: Codec + 'static>() {
    let err = Host::<C>::builder()
        .host_fn("log", |_, _: String| {})
        .host_fn("unused", |_, _: ()| 0u8)
        .build(wasm::<C>())
        .unwrap_err();
    let Error::MissingHostFunctions { missing } = &err else {
        panic!("expected MissingHostFunctions, got {err:?}");
    };
    let names = [
        "config",
        "add",
        "divide",
        "fail",
        "explode",
        "repeat",
        "strict",
        "ping",
        "summarize",
    ];
    assert_eq!(missing.len(), names.len(), "{missing:?}");
    assert!(missing.is_sorted(), "not sorted: {missing:?}");
    let text = err.to_string();
    for name in names {
        assert!(
            text.contains(&format!("`{name}`: ")),
            "{name} not in: {text}"
        );
    }
    assert!(!text.contains("`log`"), "{text}");
    assert!(
        text.contains("`config`: &str -> Option<String> ("),
        "{text}"
    );
}

fn a_host_function_in_another_codec_is_refused_at_load<C: Codec + 'static>() {
    // Registered again below in another codec: the builder reports the
    // first registration's name twice otherwise, so rebuild without it.
    let build = |config_in_other_codec: bool| {
        let builder = Host::<C>::builder()
            .state(Journal::default)
            .host_fn("log", |_, _: String| {})
            .host_fn("add", |_, amount: u64| amount)
            .host_fn("divide", |_, _: (i64, i64)| Ok::<i64, String>(0))
            .host_fn("fail", |_, _: String| {})
            .host_fn("explode", |_, _: String| {})
            .host_fn("repeat", |_, _: (Vec<u8>, u32)| Vec::<u8>::new())
            .host_fn("strict", |_, _: String| 0u32)
            .host_fn("ping", |_, (): ()| {})
            .host_fn("summarize", |_, order: Order| summarize(&order));
        if !config_in_other_codec {
            return builder.host_fn("config", |_, _: String| None::<String>);
        }
        if C::NAME == Bincode::NAME {
            builder.host_fn_in::<Postcard, _, _, _>("config", |_, _: String| None::<String>)
        } else {
            builder.host_fn_in::<Bincode, _, _, _>("config", |_, _: String| None::<String>)
        }
    };
    build(false)
        .build(wasm::<C>())
        .expect("all in the plugin's codec");
    let err = build(true).build(wasm::<C>()).unwrap_err();
    match &err {
        Error::HostFunctionCodecMismatch {
            host_function,
            plugin,
            host,
        } => {
            assert_eq!(host_function, "config");
            assert_eq!(plugin, C::NAME);
            assert_ne!(*host, C::NAME);
        }
        other => panic!("expected HostFunctionCodecMismatch, got {other:?}"),
    }
    assert!(err.to_string().contains("host_fn_in"), "{err}");
}

fn arguments_over_the_input_limit_are_refused<C: Codec + 'static>() {
    let mut host = builder::<C>()
        .max_input_bytes(4096)
        .build(wasm::<C>())
        .unwrap();
    host.call::<_, u64>("repeat_checked", &(100u32, 1u32))
        .unwrap();
    let err = host
        .call::<_, u64>("repeat_checked", &(8192u32, 1u32))
        .unwrap_err();
    match &err {
        Error::HostFunction {
            host_function,
            failure: HostFunctionFailure::InputTooLarge { len, limit },
            ..
        } => {
            assert_eq!(host_function, "repeat");
            assert!(*len > 8192, "{len}");
            assert_eq!(*limit, 4096);
        }
        other => panic!("expected an input over the limit, got {other:?}"),
    }
}

for_every_codec!(
    logging_reaches_the_host,
    state_lives_across_calls_and_the_host_can_change_it,
    option_and_result_replies_reach_the_plugin,
    a_struct_crosses_each_way,
    a_failing_host_function_ends_the_call_and_the_next_one_works,
    a_panicking_host_function_is_caught_and_the_next_call_works,
    a_host_function_taking_another_type_is_refused_at_load,
    an_evolved_host_function_type_follows_the_codec,
    a_reply_of_another_type_fails_its_first_call,
    replies_of_every_size_arrive_whole,
    many_host_calls_leave_memory_unchanged,
    every_missing_import_is_named_at_load,
    a_host_function_in_another_codec_is_refused_at_load,
    arguments_over_the_input_limit_are_refused,
);

#[test]
fn a_name_registered_twice_is_refused() {
    let err = builder::<Bincode>()
        .host_fn("log", |_, _: String| {})
        .build(wasm::<Bincode>())
        .unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateHostFunction { name } if name == "log"),
        "{err:?}"
    );
}

#[test]
fn the_deadline_holds_while_the_plugin_calls_the_host() {
    let slow = |timeout_ms: u64, sleep_ms: u64| {
        Host::<Bincode>::builder()
            .timeout(Duration::from_millis(timeout_ms))
            .state(Journal::default)
            .host_fn("ping", move |ctx, (): ()| {
                ctx.state_mut().pings += 1;
                std::thread::sleep(Duration::from_millis(sleep_ms));
            })
    };
    let with_the_rest = |builder: HostBuilder<Bincode, Journal>| {
        builder
            .host_fn("log", |_, _: String| {})
            .host_fn("config", |_, _: String| None::<String>)
            .host_fn("add", |_, amount: u64| amount)
            .host_fn("divide", |_, _: (i64, i64)| Ok::<i64, String>(0))
            .host_fn("fail", |_, _: String| {})
            .host_fn("explode", |_, _: String| {})
            .host_fn("repeat", |_, _: (Vec<u8>, u32)| Vec::<u8>::new())
            .host_fn("strict", |_, _: String| 0u32)
            .host_fn("summarize", |_, order: Order| summarize(&order))
    };
    // One host call longer than the deadline: stopped as it returns.
    let mut host = with_the_rest(slow(100, 300))
        .build(wasm::<Bincode>())
        .unwrap();
    let err = host.call::<_, u32>("ping_many", &1u32).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // Endless short host calls: stopped near the deadline.
    let mut host = with_the_rest(slow(200, 5))
        .build(wasm::<Bincode>())
        .unwrap();
    let started = Instant::now();
    let err = host.call::<_, ()>("ping_forever", &()).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(host.state().pings > 1);
    // The next call runs.
    assert_eq!(host.call::<_, u32>("ping_many", &2u32).unwrap(), 2);
}

#[test]
fn fuel_is_charged_for_host_calls() {
    let mut host = builder::<Bincode>()
        .fuel_per_call(1_000_000)
        .build(wasm::<Bincode>())
        .unwrap();
    let err = host.call::<_, ()>("ping_forever", &()).unwrap_err();
    assert!(matches!(err, Error::OutOfFuel { .. }), "{err:?}");
    // Each call costs at least twice the base cost of a host call.
    assert!(
        host.state().pings < 1_000_000 / 256,
        "{}",
        host.state().pings
    );
    assert_eq!(host.call::<_, u32>("ping_many", &10u32).unwrap(), 10);
}

#[test]
fn a_pool_gives_each_thread_its_own_state() {
    // A plugin's builder registers in bincode; `ping` through
    // `try_host_fn0`, which takes no unit argument.
    let plugin = journal_functions!(@but_ping Plugin::builder().state(Journal::default), Bincode)
        .try_host_fn0("ping", |ctx| -> Result<(), Refused> {
            ctx.state_mut().pings += 1;
            Ok(())
        })
        .host_fn("strict", |_, _: String| 0u32)
        .host_fn("summarize", |_, order: Order| summarize(&order))
        .build(wasm::<Bincode>())
        .unwrap();
    assert_eq!(plugin.imports().len(), 10);
    let pool = HostPool::<Bincode, Journal>::new(&plugin);
    std::thread::scope(|scope| {
        for thread in 1..=4u64 {
            let pool = &pool;
            scope.spawn(move || {
                for _ in 0..3 {
                    pool.call::<_, u64>("add_all", &vec![thread]).unwrap();
                }
                assert_eq!(pool.with_state(|state| state.total).unwrap(), 3 * thread);
                assert_eq!(
                    pool.call::<_, u32>("ping_many", &(thread as u32)).unwrap(),
                    thread as u32
                );
                assert_eq!(pool.with_state(|state| state.pings).unwrap(), thread);
            });
        }
    });
}

/// What the `ping` of [`reentrant_plugin`] does: once armed, it calls
/// `count_and_ping` through `target` before it returns, and keeps the
/// answer.
#[derive(Default)]
struct Reentry {
    target: OnceLock<Weak<HostPool<Bincode, Journal>>>,
    armed: AtomicBool,
    nested_answers: Mutex<Vec<u32>>,
}

/// The host-calls test plugin with a `ping` that re-enters a pool as
/// `reentry` says.
fn reentrant_plugin(reentry: &Arc<Reentry>) -> Plugin<Journal> {
    let reentry = Arc::clone(reentry);
    journal_functions!(@but_ping Plugin::builder().state(Journal::default), Bincode)
        .try_host_fn0("ping", move |ctx| -> Result<(), Error> {
            ctx.state_mut().pings += 1;
            if reentry.armed.swap(false, Ordering::SeqCst) {
                let pool = reentry.target.get().and_then(Weak::upgrade).unwrap();
                let answer = pool.call::<_, u32>("count_and_ping", &())?;
                reentry.nested_answers.lock().unwrap().push(answer);
            }
            Ok(())
        })
        .host_fn("strict", |_, _: String| 0u32)
        .host_fn("summarize", |_, order: Order| summarize(&order))
        .build(wasm::<Bincode>())
        .unwrap()
}

/// Three calls of `count_and_ping` through `outer`, the second re-entering
/// `target` from its host function: `outer`'s instance on this thread
/// keeps its statics (the plugin's count) and its state (the pings) as
/// if the nested call had not happened.
fn reenter(outer: &HostPool<Bincode, Journal>, reentry: &Reentry) {
    assert_eq!(outer.call::<_, u32>("count_and_ping", &()).unwrap(), 1);
    reentry.armed.store(true, Ordering::SeqCst);
    assert_eq!(outer.call::<_, u32>("count_and_ping", &()).unwrap(), 2);
    assert_eq!(reentry.nested_answers.lock().unwrap().len(), 1);
    assert_eq!(outer.call::<_, u32>("count_and_ping", &()).unwrap(), 3);
    assert_eq!(outer.with_state(|state| state.pings).unwrap(), 3);
}

#[test]
fn a_host_function_re_entering_its_own_pool_leaves_the_callers_instance_whole() {
    let reentry = Arc::new(Reentry::default());
    let pool = Arc::new(HostPool::<Bincode, Journal>::new(&reentrant_plugin(
        &reentry,
    )));
    reentry.target.set(Arc::downgrade(&pool)).unwrap();
    reenter(&pool, &reentry);
    // The nested call ran on an instance of its own (its first call), and
    // that instance went when it returned.
    assert_eq!(*reentry.nested_answers.lock().unwrap(), [1]);
    assert_eq!(pool.instances(), 1);
    // Its place counts while it runs: a pool of one refuses it.
    let reentry = Arc::new(Reentry::default());
    let single = Arc::new(HostPool::<Bincode, Journal>::with_max_instances(
        &reentrant_plugin(&reentry),
        1,
    ));
    reentry.target.set(Arc::downgrade(&single)).unwrap();
    reentry.armed.store(true, Ordering::SeqCst);
    let error = single.call::<_, u32>("count_and_ping", &()).unwrap_err();
    let nested = error
        .host_error()
        .and_then(|source| source.downcast_ref::<Error>());
    assert!(
        matches!(nested, Some(Error::InstanceLimit { limit: 1 })),
        "{}",
        error.report()
    );
    // The outer instance was discarded with the failed call; the next works.
    assert_eq!(single.call::<_, u32>("count_and_ping", &()).unwrap(), 1);
    assert_eq!(single.instances(), 1);
}

#[test]
fn a_host_function_calling_another_pool_leaves_both_instances_whole() {
    let reentry = Arc::new(Reentry::default());
    let plugin = reentrant_plugin(&reentry);
    let outer = HostPool::<Bincode, Journal>::new(&plugin);
    let other = Arc::new(HostPool::<Bincode, Journal>::new(&plugin));
    reentry.target.set(Arc::downgrade(&other)).unwrap();
    reenter(&outer, &reentry);
    assert_eq!(*reentry.nested_answers.lock().unwrap(), [1]);
    // The other pool's instance on this thread stays, as after any call.
    assert_eq!(other.call::<_, u32>("count_and_ping", &()).unwrap(), 2);
    assert_eq!(other.with_state(|state| state.pings).unwrap(), 2);
    assert_eq!((outer.instances(), other.instances()), (1, 1));
}

#[test]
fn a_pool_released_from_inside_its_call_drops_that_instance_after_it() {
    let released = Arc::new(OnceLock::<Weak<HostPool<Bincode, Journal>>>::new());
    let target = Arc::clone(&released);
    let plugin = journal_functions!(@but_ping Plugin::builder().state(Journal::default), Bincode)
        .host_fn0("ping", move |ctx| {
            ctx.state_mut().pings += 1;
            target.get().and_then(Weak::upgrade).unwrap().release();
        })
        .host_fn("strict", |_, _: String| 0u32)
        .host_fn("summarize", |_, order: Order| summarize(&order))
        .build(wasm::<Bincode>())
        .unwrap();
    let pool = Arc::new(HostPool::<Bincode, Journal>::new(&plugin));
    released.set(Arc::downgrade(&pool)).unwrap();
    for _ in 0..2 {
        assert_eq!(pool.call::<_, u32>("count_and_ping", &()).unwrap(), 1);
        assert_eq!(pool.instances(), 0);
    }
}

/// A hand-written plugin whose function `poke` runs `call` (WAT that may
/// call host function `probe` as `$probe` and `take_reply` as `$take`)
/// and answers 7.
fn raw_caller(call: &str) -> Vec<u8> {
    let functions = poke(call);
    let mut wat = PluginWat::new(&functions, &["poke"]);
    wat.imports = r#"(import "wasmer-plugin" "__wasmer_plugin_host_probe" (func $probe (param i32 i32 i32) (result i32)))
                     (import "wasmer-plugin" "__wasmer_plugin_take_reply" (func $take (param i32 i32)))"#;
    wat.wasm_importing("probe", "String", "Vec<u8>")
}

fn raw_host(call: &str) -> Host<Bincode> {
    Host::<Bincode>::builder()
        .host_fn("probe", |_, text: String| text.into_bytes().repeat(100))
        .build(raw_caller(call))
        .unwrap()
}

#[test]
fn a_plugin_that_breaks_the_import_contract_gets_an_error() {
    // The bincode string "hi" at address 200.
    let hi = "(i64.store (i32.const 200) (i64.const 0x6968_02))";
    let cases = [
        // Arguments outside memory.
        (
            "(drop (call $probe (i32.const 65530) (i32.const 100) (i32.const 0)))".to_owned(),
            "outside the 65536-byte memory",
        ),
        // A reply buffer that runs out of memory (the reply fits its `cap`).
        (
            "(i32.store8 (i32.const 65533) (i32.const 2))
             (i32.store8 (i32.const 65534) (i32.const 0x68))
             (i32.store8 (i32.const 65535) (i32.const 0x69))
             (drop (call $probe (i32.const 65533) (i32.const 3) (i32.const 1000)))"
                .to_owned(),
            "bytes 65533..65734 (its reply buffer) lie outside the 65536-byte memory",
        ),
        // Taking a reply that is not waiting.
        (
            "(call $take (i32.const 0) (i32.const 10))".to_owned(),
            "host function `__wasmer_plugin_take_reply` failed: the plugin called it wrongly: no host function's reply is waiting",
        ),
        // Taking a reply of the wrong length.
        (
            format!("{hi} (drop (call $probe (i32.const 200) (i32.const 3) (i32.const 0))) (call $take (i32.const 300) (i32.const 5))"),
            "host function `probe` failed: the plugin called it wrongly: it took 5 bytes of a 201-byte reply",
        ),
        // Taking it to outside memory.
        (
            format!("{hi} (drop (call $probe (i32.const 200) (i32.const 3) (i32.const 0))) (call $take (i32.const 65500) (i32.const 201))"),
            "host function `probe` failed: the plugin called it wrongly: bytes 65500..65701 (where it took the reply) lie outside the 65536-byte memory",
        ),
        // Garbage arguments.
        (
            "(i32.store (i32.const 200) (i32.const -1)) (drop (call $probe (i32.const 200) (i32.const 4) (i32.const 0)))".to_owned(),
            "do not decode as `alloc::string::String`",
        ),
        // More than the input limit.
        (
            "(drop (call $probe (i32.const 0) (i32.const -1) (i32.const 0)))".to_owned(),
            "over this host's",
        ),
    ];
    for (call, expected) in cases {
        let mut host = raw_host(&call);
        let err = host.call::<_, u8>("poke", &()).unwrap_err();
        let text = format!("{} {err:?}", err.report());
        assert!(text.contains(expected), "{call}: {text}");
        assert!(err.discards_instance(), "{call}");
        // The host goes on.
        assert_eq!(host.call::<_, u32>("good", &()).unwrap(), 7, "{call}");
    }
    // A well-behaved raw caller: the reply lands in its buffer.
    let mut host = raw_host(&format!(
        "{hi} (drop (call $probe (i32.const 200) (i32.const 3) (i32.const 1000)))"
    ));
    assert_eq!(host.call::<_, u8>("poke", &()).unwrap(), 7);
}

#[test]
fn an_import_the_metadata_does_not_declare_is_refused_at_load() {
    let functions = r#"(func (export "__wasmer_plugin_fn_poke") (param i32 i32) (result i32)
                         (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))"#;
    for (import, name) in [
        (
            r#"(import "env" "abort" (func))"#,
            "`abort` from module `env`",
        ),
        (
            r#"(import "wasmer-plugin" "__wasmer_plugin_host_secret" (func (param i32 i32 i32) (result i32)))"#,
            "`__wasmer_plugin_host_secret`",
        ),
        (
            r#"(import "wasmer-plugin" "memory" (memory 1))"#,
            "`memory (not a function)`",
        ),
    ] {
        let mut wat = PluginWat::new(functions, &["poke"]);
        wat.imports = import;
        if import.contains("(memory") {
            wat.memory = "";
        }
        let err = Host::<Bincode>::new(wat.wasm()).unwrap_err();
        assert!(matches!(err, Error::UnknownImport { .. }), "{err:?}");
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn a_declared_import_of_the_wrong_signature_fails_instantiation() {
    let functions = r#"(func (export "__wasmer_plugin_fn_poke") (param i32 i32) (result i32)
                         (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))"#;
    let mut wat = PluginWat::new(functions, &["poke"]);
    wat.imports = r#"(import "wasmer-plugin" "__wasmer_plugin_host_probe" (func (param i64)))"#;
    let mut wasm = wat.bare_wasm();
    let mut metadata = wat.metadata();
    metadata.extend(record("probe", "bincode").to_import_bytes());
    append_custom_section(&mut wasm, "wasmer-plugin", &metadata);
    let err = Host::<Bincode>::builder()
        .host_fn("probe", |_, (): ()| 0u32)
        .build(wasm)
        .unwrap_err();
    assert!(matches!(err, Error::Instantiate(_)), "{err:?}");
    assert!(
        err.report()
            .to_string()
            .contains("__wasmer_plugin_host_probe"),
        "{}",
        err.report()
    );
}

pub(crate) fn order() -> Order {
    Order {
        id: 42,
        customer: Customer {
            name: "Ada".into(),
            email: Some("ada@example.com".into()),
        },
        lines: vec![Line {
            sku: "X-1".into(),
            quantity: 2,
            unit_cents: 1250,
        }],
        notes: None,
        tags: HashMap::from([("vip".into(), 3)]),
        priority: Priority::Custom("asap".into()),
    }
}

// Every codec the tests name is shipped.
const _: [&str; 4] = [Bincode::NAME, MsgPack::NAME, Postcard::NAME, Json::NAME];
