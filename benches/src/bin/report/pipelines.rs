//! The pipelines and hot-reload section of the report: a three-stage
//! pipeline against the three typed calls it replaces
//! (`benches/pipelines.rs`), and a swap under load (the `swap_probe`
//! example).

use std::fmt::Write as _;
use std::path::Path;

use crate::measurements::Measurements;
use crate::{ratio_value, time, verdict};

/// Target: a three-stage pipeline on the catalog payload costs at most
/// this times the three chained typed calls.
const PIPELINE_OVER_CHAINED: f64 = 0.8;
/// Target: no call during a swap slower than this times the median call.
const SWAP_SLOWEST_OVER_MEDIAN: f64 = 2.0;

/// The swap probe's Markdown, ending in its `key=value` lines.
pub fn probe(workspace: &Path) -> String {
    crate::example_output(workspace, "swap_probe", &[])
}

/// A `key=value` line of the probe's output.
fn probed(probe: &str, key: &str) -> Option<f64> {
    probe
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
}

/// The catalog payloads the benchmark ran, generated first.
fn catalogs(m: &Measurements) -> Vec<&'static str> {
    ["catalog", "citm_catalog.json"]
        .into_iter()
        .filter(|name| m.get(&format!("pipeline/{name}"), "pipeline").is_some())
        .collect()
}

pub fn section(w: &mut String, m: &Measurements, probe: &str) {
    let _ = writeln!(w, "## Pipelines\n");
    let _ = writeln!(
        w,
        "Three stages of the framework plugin's `catalog_bincode` (decode, shift every \
         performance's start, encode). **chained**: three `Host::call_function` calls, the \
         host decoding each answer and encoding it again for the next; **pipeline**: \
         `PipelineHost::run`, which encodes the input once, hands each stage's output to \
         the next as bytes and decodes the last once; **pipeline_pool**: `PipelinePool::run` \
         on one thread.\n"
    );
    let _ = writeln!(
        w,
        "| payload | chained | pipeline | pipeline_pool | pipeline / chained |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|");
    for name in catalogs(m) {
        let group = format!("pipeline/{name}");
        let get = |kind: &str| m.get(&group, kind);
        let _ = writeln!(
            w,
            "| {name} | {} | {} | {} | {} |",
            time(get("chained")),
            time(get("pipeline")),
            time(get("pipeline_pool")),
            ratio_value(get("pipeline"), get("chained"))
                .map_or("—".into(), |r| format!("{r:.2}×")),
        );
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "## Hot reload\n");
    let text: Vec<&str> = probe.lines().filter(|line| !line.contains('=')).collect();
    let _ = writeln!(w, "{}", text.join("\n").trim_end());
    let _ = writeln!(
        w,
        "\nThe first call of each thread after a swap makes that thread's instance of the \
         new version (a store and an instance, tens of microseconds): a swap cannot make \
         them for the threads, as a wasmer store never moves to another thread. The \
         slowest calls are the scheduler's: five busy threads share two cores, and a \
         preempted call waits for milliseconds, swap or not (the control row).\n"
    );
}

pub fn target_rows(w: &mut String, m: &Measurements, probe: &str) {
    for name in catalogs(m) {
        let group = format!("pipeline/{name}");
        let ratio = ratio_value(m.get(&group, "pipeline"), m.get(&group, "chained"));
        let _ = writeln!(
            w,
            "| {name}: a three-stage pipeline ≤ {PIPELINE_OVER_CHAINED} × three chained typed calls | {} | {} |",
            ratio.map_or("—".into(), |r| format!("{r:.2}×")),
            verdict(ratio.map(|r| r <= PIPELINE_OVER_CHAINED)),
        );
    }
    let during = probed(probe, "max_over_median_in_swaps");
    let control = probed(probe, "max_over_median_in_control");
    let _ = writeln!(
        w,
        "| a swap while 4 threads call: no call slower than {SWAP_SLOWEST_OVER_MEDIAN} × the median | slowest {} the median ({} without a swap) | {} |",
        during.map_or("—".into(), |r| format!("{r:.0}×")),
        control.map_or("—".into(), |r| format!("{r:.0}×")),
        verdict(during.map(|r| r <= SWAP_SLOWEST_OVER_MEDIAN)),
    );
}
