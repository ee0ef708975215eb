//! The tracing section (`benches/observe.rs` and the `observe_probe`
//! example): what the host's `tracing` feature costs a call, compiled out,
//! compiled in with nothing listening, filtered out, and recording.
//!
//! Compiled out and compiled in are two builds, so two processes, whose
//! speed differs by a few percent on a shared machine even for one binary.
//! The target is judged on the probe: both builds run in turn
//! [`RUNS`] times and a run's ratio is the second's median over the
//! first's. The listeners of the feature build share one process and are
//! compared with each other directly.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::measurements::Measurements;
use crate::{ratio, time, verdict};

/// Target: with the feature compiled in and no subscriber, a small call
/// costs at most this times the same call compiled without it.
const NO_SUBSCRIBER_OVER_COMPILED_OUT: f64 = 1.05;

/// Empty host calls per iteration of `observe/ping_1000`.
const PINGS: f64 = 1000.0;

/// How many runs of each build the probe alternates.
const RUNS: usize = 5;

/// The calls measured, as the benchmark's groups.
const CALLS: [&str; 2] = ["observe/small", "observe/ping_1000"];

/// The listeners, in the benchmark's order.
const LISTENERS: [&str; 4] = ["compiled_out", "no_subscriber", "filtered_out", "recording"];

/// What the probe measured: per call, each run's nanoseconds without and
/// with the feature, in the order they ran.
pub struct Probe {
    runs: Vec<(String, Vec<(f64, f64)>)>,
}

impl Probe {
    /// The sorted ratios (feature over no feature) of `call`'s runs.
    fn ratios(&self, call: &str) -> Vec<f64> {
        let mut ratios: Vec<f64> = self
            .runs
            .iter()
            .filter(|(name, _)| name == call)
            .flat_map(|(_, runs)| runs.iter().map(|(off, on)| on / off))
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios
    }

    /// "1.012× (5 runs: 0.990–1.030)", and the median.
    fn summary(&self, call: &str) -> Option<(String, f64)> {
        let ratios = self.ratios(call);
        let median = *ratios.get(ratios.len() / 2)?;
        let (low, high) = (ratios[0], ratios[ratios.len() - 1]);
        Some((
            format!(
                "{median:.3}× alternating processes ({} runs each: {low:.3}–{high:.3})",
                ratios.len()
            ),
            median,
        ))
    }
}

/// Builds the probe without and with the feature and runs the two in
/// turn.
pub fn probe(workspace: &Path, target: &Path) -> Probe {
    let build = |name: &str, features: &[&str]| -> PathBuf {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(workspace)
            .args(["build", "--release", "-p", "wasmer-plugin-benches"])
            .args(["--example", "observe_probe"])
            .args(features)
            .status()
            .expect("running cargo build for the observe probe");
        assert!(
            status.success(),
            "building the observe probe ({name}) failed"
        );
        let built = target.join("release/examples/observe_probe");
        // The second build overwrites the first's binary: each keeps a
        // copy of its own.
        let copy = target.join(format!("release/examples/observe_probe-{name}"));
        std::fs::copy(&built, &copy)
            .unwrap_or_else(|err| panic!("copying {}: {err}", built.display()));
        copy
    };
    let off = build("compiled_out", &[]);
    let on = build("tracing", &["--features", "tracing"]);
    let mut runs: Vec<(String, Vec<(f64, f64)>)> =
        CALLS.iter().map(|c| (c.to_string(), Vec::new())).collect();
    for _ in 0..RUNS {
        let (off, on) = (run(&off), run(&on));
        for (call, pairs) in &mut runs {
            let of = |answers: &[(String, f64)]| {
                answers
                    .iter()
                    .find(|(name, _)| name == call)
                    .map(|(_, ns)| *ns)
                    .unwrap_or_else(|| panic!("the observe probe printed no {call}"))
            };
            pairs.push((of(&off), of(&on)));
        }
    }
    Probe { runs }
}

/// The `name=nanoseconds` lines one run of `binary` printed.
fn run(binary: &Path) -> Vec<(String, f64)> {
    crate::binary_output(binary)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (name, ns) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("the observe probe printed {line:?}"));
            let ns = ns
                .parse()
                .unwrap_or_else(|err| panic!("the observe probe's time in {line:?}: {err}"));
            (name.to_owned(), ns)
        })
        .collect()
}

/// The section's text.
pub fn section(w: &mut String, m: &Measurements, probe: &Probe) {
    let _ = writeln!(w, "## Tracing\n");
    let _ = writeln!(
        w,
        "The host's `tracing` feature makes each plugin call a span and each \
         host-function call a child span. **compiled_out** is the default build, \
         where the spans are `#[cfg]`ed away: the code of every other table here. \
         The other columns are the same benchmark built with `--features tracing`, \
         in a second process: **no_subscriber** (nothing listens), **filtered_out** \
         (a subscriber that takes only warnings and errors, as an `EnvFilter` of \
         `warn` does) and **recording** (a subscriber that takes every span and \
         visits its fields, writing nothing: the floor of a real one). \
         `observe/small` is the small-struct bincode round trip (one span); \
         `observe/ping_1000` a plugin call making 1,000 empty host calls (1,001 \
         spans). Criterion's medians of two processes differ by several percent for \
         one binary, so the feature's own cost is measured by `observe_probe` too: \
         the two builds run {RUNS} times each, in turn, and each run's ratio is of \
         its two medians.\n"
    );
    let _ = writeln!(
        w,
        "| call | {} | no_subscriber / compiled_out, alternating processes | filtered_out / no_subscriber | recording / no_subscriber |",
        LISTENERS.join(" | ")
    );
    let _ = writeln!(w, "|---|{}---:|---:|---:|", "---:|".repeat(LISTENERS.len()));
    for call in CALLS {
        let of = |listener: &str| m.get(call, listener);
        let cells: Vec<String> = LISTENERS.iter().map(|l| time(of(l))).collect();
        let _ = writeln!(
            w,
            "| {call} | {} | {} | {} | {} |",
            cells.join(" | "),
            probe.summary(call).map_or("—".into(), |(text, _)| text),
            ratio(of("filtered_out"), of("no_subscriber")),
            ratio(of("recording"), of("no_subscriber")),
        );
    }
    // Per host-function span: the ping call's extra time over 1,000.
    let probe_median = |on: bool| {
        let mut ns: Vec<f64> = probe
            .runs
            .iter()
            .filter(|(name, _)| name == "observe/ping_1000")
            .flat_map(|(_, runs)| {
                runs.iter()
                    .map(|(off, feature)| if on { *feature } else { *off })
            })
            .collect();
        ns.sort_by(f64::total_cmp);
        ns.get(ns.len() / 2).copied()
    };
    let unheard = probe_median(true)
        .zip(probe_median(false))
        .map(|(on, off)| (on - off) / PINGS);
    let over_unheard = |listener: &str| {
        let extra =
            m.get("observe/ping_1000", listener)? - m.get("observe/ping_1000", "no_subscriber")?;
        Some(extra / PINGS)
    };
    let _ = writeln!(
        w,
        "\nPer host-function span (the ping call's extra time, over 1,000): {} with \
         no subscriber (the probe's medians), then {} more filtered out and {} more \
         recording (the benchmark's, one process).\n",
        time(unheard),
        time(over_unheard("filtered_out")),
        time(over_unheard("recording")),
    );
}

/// The section's row of the targets table.
pub fn target_rows(w: &mut String, probe: &Probe) {
    let measured = probe.summary("observe/small");
    let _ = writeln!(
        w,
        "| small struct, bincode: a call with the `tracing` feature compiled in and no subscriber ≤ {NO_SUBSCRIBER_OVER_COMPILED_OUT} × the call without the feature | {} | {} |",
        measured.as_ref().map_or("—", |(text, _)| text.as_str()),
        verdict(
            measured
                .as_ref()
                .map(|(_, r)| *r <= NO_SUBSCRIBER_OVER_COMPILED_OUT)
        ),
    );
}
