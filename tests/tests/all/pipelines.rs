//! Pipelines end to end: stages of two plugins in every codec answer as
//! the chained typed calls do; breaks between stages are refused when the
//! pipeline is built, naming the stage; a failing stage stops the run,
//! named, and costs only its own instance; a stage reloaded while the
//! pipeline runs is checked against its neighbours.

use wasmer_plugin_host::{
    Bincode, Codec, Error, Host, Json, MsgPack, Pipeline, PipelineHost, PipelinePool, Plugin,
    Postcard,
};
use wasmer_plugin_tests::common::{Order, Summary};
use wasmer_plugin_tests::plugin;

use crate::host_functions::{Journal, host_calls_wasm, order, plugin_builder};

/// The shared-functions plugin of codec `C`.
fn shared<C: Codec>() -> Plugin {
    Plugin::new(plugin(&format!("{}-plugin", C::NAME))).expect("test plugin loads")
}

/// The host-calls plugin of codec `C`, with its host functions.
fn host_calls<C: Codec + 'static>() -> Plugin<Journal> {
    plugin_builder::<C>()
        .build(host_calls_wasm::<C>())
        .expect("test plugin loads")
}

/// `echo` (shared), `summarize_on_host` (host calls), `total_of` (shared).
fn three_stages<C: Codec + 'static>(
    shared: &Plugin,
    host_calls: &Plugin<Journal>,
) -> Pipeline<Order, i64, C> {
    Pipeline::<Order, i64, C>::builder()
        .stage(shared, "echo")
        .stage(host_calls, "summarize_on_host")
        .stage(shared, "total_of")
        .build()
        .expect("the stages fit")
}

/// Orders with different totals.
fn orders() -> Vec<Order> {
    (1..=5)
        .map(|i| {
            let mut order = order();
            order.id = i;
            order.lines[0].quantity = i as u32;
            order
        })
        .collect()
}

fn pipelines_answer_as_chained_calls<C: Codec + 'static>() {
    let (shared, host_calls) = (shared::<C>(), host_calls::<C>());
    let mut first = Host::<C>::from_plugin(&shared).unwrap();
    let mut second = Host::<C, Journal>::from_plugin(&host_calls).unwrap();
    let chained = |order: &Order, first: &mut Host<C>, second: &mut Host<C, Journal>| {
        let echoed: Order = first.call("echo", order).unwrap();
        let summary: Summary = second.call("summarize_on_host", &echoed).unwrap();
        let total: i64 = first.call("total_of", &summary).unwrap();
        (summary, total)
    };

    let three = three_stages::<C>(&shared, &host_calls);
    let two = Pipeline::<Order, i64, C>::builder()
        .stage(&host_calls, "summarize_on_host")
        .stage(&shared, "total_of")
        .build()
        .unwrap();
    let summaries = Pipeline::<Order, Summary, C>::builder()
        .stage(&shared, "echo")
        .stage(&host_calls, "summarize_on_host")
        .build()
        .unwrap();
    assert_eq!(
        three.functions().collect::<Vec<_>>(),
        ["echo", "summarize_on_host", "total_of"]
    );

    let (mut three_host, mut two_host) = (
        PipelineHost::new(&three).unwrap(),
        PipelineHost::new(&two).unwrap(),
    );
    let mut summary_host = PipelineHost::new(&summaries).unwrap();
    let pool = PipelinePool::new(&three);
    for order in orders() {
        let (summary, total) = chained(&order, &mut first, &mut second);
        assert_eq!(total, order.lines[0].unit_cents * order.id as i64);
        assert_eq!(three_host.run(&order).unwrap(), total);
        assert_eq!(two_host.run(&order).unwrap(), total);
        assert_eq!(summary_host.run(&order).unwrap(), summary);
        assert_eq!(pool.run(&order).unwrap(), total);
        // Bytes in the pipeline's codec, in and out.
        let mut input = Vec::new();
        C::encode(&order, &mut input).unwrap();
        for output in [three_host.run_raw(&input), pool.run_raw(&input)] {
            assert_eq!(C::decode::<i64>(&output.unwrap()).unwrap(), total);
        }
    }
    // From several threads, each with its own instances.
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for order in orders() {
                    let expected = order.lines[0].unit_cents * order.id as i64;
                    assert_eq!(pool.run(&order).unwrap(), expected);
                }
            });
        }
    });
}

fn a_schema_break_is_refused_at_build_naming_the_stage<C: Codec + 'static>() {
    let shared = shared::<C>();
    // `summarize` returns a `Summary`; `double` takes an `i64`.
    let err = Pipeline::<Order, i64, C>::builder()
        .stage(&shared, "echo")
        .stage(&shared, "summarize")
        .stage(&shared, "double")
        .build()
        .unwrap_err();
    let (stage, source) = err.stage().expect("a stage error");
    assert_eq!(stage, 2, "{}", err.report());
    let report = err.report().to_string();
    assert!(
        matches!(source, Error::StageTypeMismatch { writer, reader, .. } if writer == "summarize" && reader == "double"),
        "{report}"
    );
    assert!(
        report.starts_with(
            "in the pipeline's 3rd stage, `double`: `double` does not read what `summarize` returns: argument: "
        ),
        "{report}"
    );
    assert!(
        report.contains("the stage writing it has Summary, the stage reading it has i64"),
        "{report}"
    );

    // The pipeline's output type is checked against the last stage.
    let err = Pipeline::<Order, String, C>::builder()
        .stage(&shared, "summarize")
        .stage(&shared, "total_of")
        .build()
        .unwrap_err();
    assert!(
        matches!(err.stage(), Some((1, Error::TypeMismatch { .. }))),
        "{}",
        err.report()
    );

    // A stage whose function the plugin lacks.
    let err = Pipeline::<Order, i64, C>::builder()
        .stage(&shared, "summarize")
        .stage(&shared, "no_such_function")
        .build()
        .unwrap_err();
    assert!(
        matches!(err.stage(), Some((1, Error::UnknownFunction { name, .. })) if name == "no_such_function"),
        "{}",
        err.report()
    );
}

fn a_panicking_stage_stops_the_run_and_the_next_run_works<C: Codec + 'static>() {
    let (shared, host_calls) = (shared::<C>(), host_calls::<C>());
    let pipeline = three_stages::<C>(&shared, &host_calls);
    let mut empty = order();
    empty.lines.clear();
    let expected = order().lines[0].unit_cents * order().lines[0].quantity as i64;

    let mut host = PipelineHost::new(&pipeline).unwrap();
    let pool = PipelinePool::new(&pipeline);
    let check = |result: Result<i64, Error>| {
        let err = result.unwrap_err();
        let report = err.report().to_string();
        assert!(
            matches!(err.stage(), Some((2, Error::Panic { message, .. })) if message.contains("has no items")),
            "{report}"
        );
        assert!(err.discards_instance(), "{report}");
        assert!(
            report.starts_with("in the pipeline's 3rd stage, `total_of`: "),
            "{report}"
        );
    };
    check(host.run(&empty));
    assert_eq!(host.run(&order()).unwrap(), expected);
    check(pool.run(&empty));
    assert_eq!(pool.run(&order()).unwrap(), expected);
}

fn the_input_is_checked_against_the_first_stage<C: Codec + 'static>() {
    let shared = shared::<C>();
    let pipeline = Pipeline::<str, i64, C>::builder()
        .stage(&shared, "summarize")
        .stage(&shared, "total_of")
        .build()
        .expect("the input is checked from a value");
    let err = PipelineHost::new(&pipeline)
        .unwrap()
        .run("not an order")
        .unwrap_err();
    assert!(
        matches!(err.stage(), Some((0, Error::TypeMismatch { .. }))),
        "{}",
        err.report()
    );
}

for_every_codec!(
    pipelines_answer_as_chained_calls,
    a_schema_break_is_refused_at_build_naming_the_stage,
    a_panicking_stage_stops_the_run_and_the_next_run_works,
    the_input_is_checked_against_the_first_stage,
);

#[test]
fn a_codec_break_is_refused_at_build_naming_the_stage() {
    let bincode = shared::<Bincode>();
    let json = shared::<Json>();
    let err = Pipeline::<Order, i64, Bincode>::builder()
        .stage(&bincode, "summarize")
        .stage(&json, "total_of")
        .build()
        .unwrap_err();
    let report = err.report().to_string();
    assert!(
        matches!(err.stage(), Some((1, Error::CodecMismatch { plugin, .. })) if plugin == "json"),
        "{report}"
    );
    assert!(
        report.starts_with("in the pipeline's 2nd stage, `total_of`: "),
        "{report}"
    );
}

#[test]
fn an_empty_pipeline_is_refused() {
    let err = Pipeline::<Order, i64>::builder().build().unwrap_err();
    assert!(matches!(err, Error::EmptyPipeline), "{}", err.report());
}

#[test]
fn a_reloaded_stage_is_checked_against_its_neighbours() {
    // Every stage's plugin keeps a `Journal`, so that any of them may
    // replace any other.
    let builder = plugin_builder::<Bincode>();
    let shared = builder
        .clone()
        .build(plugin("bincode-plugin"))
        .expect("test plugin loads");
    let host_calls = builder.clone().build(host_calls_wasm::<Bincode>()).unwrap();
    // double(i64) -> i64, twice; host-calls' `double` is (String) -> String.
    let pipeline = Pipeline::<i64, i64>::builder()
        .stage(&shared, "double")
        .stage(&shared, "double")
        .build()
        .unwrap();
    let pool = PipelinePool::new(&pipeline);
    assert_eq!(pool.run(&5).unwrap(), 20);

    for stage in [0, 1] {
        let err = pool.reload_stage(stage, &host_calls).unwrap_err();
        assert!(
            matches!(err.stage(), Some((s, Error::StageTypeMismatch { .. })) if s == stage),
            "{}",
            err.report()
        );
        assert_eq!(pool.run(&5).unwrap(), 20, "the old version still serves");
    }
    // A version without the stage's function.
    let mixed = builder.clone().build(plugin("mixed-plugin")).unwrap();
    let err = pool.reload_stage(1, &mixed).unwrap_err();
    assert!(
        matches!(err.stage(), Some((1, Error::UnknownFunction { .. }))),
        "{}",
        err.report()
    );
    // A version keeping another state type.
    let stateless = Plugin::new(plugin("bincode-plugin")).unwrap();
    let err = pool.reload_stage(0, &stateless).unwrap_err();
    assert!(
        matches!(err.stage(), Some((0, Error::StateMismatch { .. }))),
        "{}",
        err.report()
    );
    let err = pool.reload_stage(2, &shared).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NoSuchStage {
                stage: 2,
                stages: 2
            }
        ),
        "{}",
        err.report()
    );
    // A fitting version serves the next run.
    let again = builder.build(plugin("bincode-plugin")).unwrap();
    pool.reload_stage(1, &again).unwrap();
    assert_eq!(pool.run(&7).unwrap(), 28);

    // A version that answers otherwise: the next run shows which served.
    // plugin_name() -> String, then host-calls' double(String) -> String.
    let named = Pipeline::<(), String>::builder()
        .stage(&shared, "plugin_name")
        .stage(&host_calls, "double")
        .build()
        .unwrap();
    let pool = PipelinePool::new(&named);
    assert_eq!(pool.run(&()).unwrap(), "bincode-pluginbincode-plugin");
    pool.reload_stage(0, &host_calls).unwrap();
    assert_eq!(
        pool.run(&()).unwrap(),
        "host-calls-bincodehost-calls-bincode"
    );
}
