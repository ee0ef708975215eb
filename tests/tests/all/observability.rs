//! What the host tells a `tracing` subscriber (the host's `tracing`
//! feature): a span per plugin call with its sizes, fuel and outcome, a
//! child span per host-function call, and the plugin's `log` and `tracing`
//! records as events of the call, when the builder forwards them.
#![cfg(feature = "tracing")]

use tracing::Level;
use wasmer_plugin_host::{Bincode, Clock, Host, HostBuilder, Randomness};
use wasmer_plugin_tests::recorder::{Recorder, SpanRecord};
use wasmer_plugin_tests::{PluginWat, capabilities_plugin, poke};

fn shouter() -> HostBuilder {
    Host::<Bincode>::builder()
        .grant_clock(Clock::system())
        .grant_randomness(Randomness::system())
}

/// The one span named `name`.
fn only<'a>(spans: &'a [SpanRecord], name: &str) -> &'a SpanRecord {
    let matching: Vec<&SpanRecord> = spans.iter().filter(|span| span.name == name).collect();
    assert_eq!(matching.len(), 1, "{spans:#?}");
    matching[0]
}

fn number(span: &SpanRecord, field: &str) -> u64 {
    span.fields[field]
        .parse()
        .unwrap_or_else(|_| panic!("{field} of {span:?}"))
}

#[test]
fn a_call_is_a_span_and_the_plugin_logs_are_its_events() {
    let (recorder, ()) = Recorder::record(|| {
        let mut host = shouter()
            .fuel_per_call(100_000_000)
            .forward_plugin_logs()
            .build(capabilities_plugin())
            .unwrap();
        assert_eq!(host.call::<_, u64>("shout", "hi").unwrap(), 2);
    });
    let spans = recorder.spans();
    let call = only(&spans, "wasmer_plugin.call");
    assert_eq!(call.fields["function"], "shout");
    assert_eq!(call.fields["codec"], "bincode");
    assert_eq!(call.fields["outcome"], "ok");
    // "hi" with its length prefix; the answer 2.
    assert_eq!(number(call, "input_bytes"), 3);
    assert_eq!(number(call, "output_bytes"), 1);
    let fuel = number(call, "fuel_used");
    assert!(fuel > 0 && fuel < 100_000_000, "{fuel}");

    let logged: Vec<(Level, String, String, Option<u64>)> = recorder
        .events()
        .into_iter()
        .filter(|event| event.target == "wasmer_plugin::plugin")
        .map(|event| {
            (
                event.level,
                event.fields["plugin.target"].clone(),
                event.fields["message"].clone(),
                event.parent,
            )
        })
        .collect();
    let inside = Some(call.id);
    assert_eq!(
        logged,
        [
            (Level::INFO, "shouter".into(), "shouting hi".into(), inside),
            (
                Level::WARN,
                "capabilities_plugin".into(),
                "loud".into(),
                inside
            ),
            (Level::DEBUG, "traced".into(), "from tracing".into(), inside),
        ]
    );
}

#[test]
fn logs_are_dropped_unless_forwarded_and_failures_are_outcomes() {
    let (recorder, ()) = Recorder::record(|| {
        let mut host = shouter()
            .max_input_bytes(4)
            .build(capabilities_plugin())
            .unwrap();
        assert_eq!(host.call::<_, u64>("shout", "hi").unwrap(), 2);
        host.call::<_, u64>("shout", "more than four bytes")
            .unwrap_err();
    });
    assert!(
        recorder
            .events()
            .iter()
            .all(|event| event.target != "wasmer_plugin::plugin"),
        "{:#?}",
        recorder.events()
    );
    let spans = recorder.spans();
    let outcomes: Vec<&str> = spans
        .iter()
        .filter(|span| span.name == "wasmer_plugin.call")
        .map(|span| span.fields["outcome"].as_str())
        .collect();
    assert_eq!(outcomes, ["ok", "error"]);
    let failed = spans
        .iter()
        .rfind(|span| span.name == "wasmer_plugin.call")
        .unwrap();
    assert!(
        failed.fields["error"].contains("`max_input_bytes`"),
        "{failed:?}"
    );
    // Unmetered: no fuel to report.
    assert!(!failed.fields.contains_key("fuel_used"));
}

#[test]
fn a_host_function_call_is_a_child_span_of_the_plugin_call() {
    // `poke` sends the bincode string "hi" (at 200) to host function
    // `probe` and answers the byte at 64.
    let functions = poke(
        "(i64.store (i32.const 200) (i64.const 0x6968_02))
         (drop (call $probe (i32.const 200) (i32.const 3) (i32.const 1000)))",
    );
    let mut wat = PluginWat::new(&functions, &["poke"]);
    wat.imports = r#"(import "wasmer-plugin" "__wasmer_plugin_host_probe" (func $probe (param i32 i32 i32) (result i32)))"#;
    let wasm = wat.wasm_importing("probe", "String", "u32");

    let (recorder, ()) = Recorder::record(|| {
        let mut host = Host::<Bincode>::builder()
            .host_fn("probe", |_, text: String| text.len() as u32)
            .build(&wasm)
            .unwrap();
        host.call::<_, u8>("poke", &()).unwrap();
    });
    let spans = recorder.spans();
    let call = only(&spans, "wasmer_plugin.call");
    let host_function = only(&spans, "wasmer_plugin.host_function");
    assert_eq!(host_function.parent, Some(call.id));
    assert_eq!(host_function.fields["name"], "probe");
    assert_eq!(number(host_function, "input_bytes"), 3);
    assert_eq!(number(host_function, "output_bytes"), 1);
}

#[cfg(feature = "async")]
#[test]
fn an_async_call_is_a_span_of_its_caller_and_its_host_calls_are_inside() {
    use crate::host_functions::{Journal, Refused, journal_functions};
    use wasmer_plugin_host::{AsyncHostPool, Plugin};
    use wasmer_plugin_tests::common::{Order, summarize};

    let (recorder, ()) = Recorder::record(|| {
        let plugin =
            journal_functions!(@but_ping Plugin::builder().state(Journal::default), Bincode)
                .async_host_fn("ping", |_, (): ()| tokio::task::yield_now())
                .host_fn("strict", |_, text: String| text.len() as u32)
                .host_fn("summarize", |_, order: Order| summarize(&order))
                .build(wasmer_plugin_tests::plugin("host-calls-bincode"))
                .unwrap();
        let pool = AsyncHostPool::<Bincode, Journal>::builder(&plugin)
            .threads(1)
            .build()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // The span of the request that awaits the call, on the caller's
        // side (as an axum handler's would be).
        let request = tracing::info_span!("request");
        let call = pool.call::<_, u32>("ping_many", &2u32);
        let answer = runtime.block_on(tracing::Instrument::instrument(call, request));
        assert_eq!(answer.unwrap(), 2);
    });
    let spans = recorder.spans();
    let request = only(&spans, "request");
    let call = only(&spans, "wasmer_plugin.call");
    assert_eq!(call.parent, Some(request.id), "{spans:#?}");
    assert_eq!(call.fields["function"], "ping_many");
    assert_eq!(call.fields["outcome"], "ok");
    let host_calls: Vec<&SpanRecord> = spans
        .iter()
        .filter(|span| span.name == "wasmer_plugin.host_function")
        .collect();
    assert_eq!(host_calls.len(), 2, "{spans:#?}");
    assert!(
        host_calls.iter().all(|span| span.parent == Some(call.id)),
        "{spans:#?}"
    );
}
