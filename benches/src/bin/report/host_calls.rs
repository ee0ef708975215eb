//! The host-functions section of the report (`benches/host_calls.rs`):
//! a plugin call relaying a small struct through one host call, against
//! the hand-written baseline, and the cost of an empty host call.

use std::fmt::Write as _;

use wasmer_plugin_benches::CODECS;

use crate::measurements::Measurements;
use crate::pairs::Pairs;
use crate::{ratio, ratio_value, time};

/// Target: a plugin call making one host call with the small struct each
/// way costs at most this times the hand-written baseline.
const RELAY_OVER_BASELINE: f64 = 1.2;

/// Empty host calls per iteration of `host_calls/ping_1000`.
const PINGS: f64 = 1000.0;

fn relay(m: &Measurements, codec: &str, kind: &str) -> Option<f64> {
    m.get("host_calls/small", &format!("{codec}/{kind}"))
}

/// The section's text.
pub fn section(w: &mut String, m: &Measurements) {
    let _ = writeln!(w, "## Host functions\n");
    let _ = writeln!(
        w,
        "A plugin call whose function hands its small struct to a host function and \
         returns the reply: the struct crosses four times (host to plugin, plugin to \
         host function, and back twice). **framework** is `#[wasmer_plugin]` calling a \
         `#[host_functions]` import registered with `host_fn_in`; **baseline** is the \
         same on the hand-written bare-minimum ABI (the plugin passes its buffer as \
         `(ptr, len, cap)` and the host writes the reply over it, with no checks).\n"
    );
    let _ = writeln!(w, "| codec | framework | baseline | framework / baseline |");
    let _ = writeln!(w, "|---|---:|---:|---:|");
    for codec in CODECS {
        let framework = relay(m, codec, "framework");
        let baseline = relay(m, codec, "baseline");
        let _ = writeln!(
            w,
            "| {codec} | {} | {} | {} |",
            time(framework),
            time(baseline),
            ratio(framework, baseline)
        );
    }
    let per_call = |kind: &str| m.get("host_calls/ping_1000", kind).map(|ns| ns / PINGS);
    let _ = writeln!(
        w,
        "\nAn empty host-function call (`fn ping();` in the plugin, `host_fn(\"ping\", |_, (): ()| {{}})` \
         in the host), a thousandth of a plugin call making 1,000 of them: **{}**, against **{}** \
         for a bare wasmer import that takes and returns nothing. The difference is the \
         framework's work per host call: encoding and decoding `()`, the bounds checks, \
         the catch of a panic, the limits' checks.\n",
        time(per_call("framework")),
        time(per_call("baseline")),
    );
}

/// The section's rows of the targets table.
pub fn target_rows(w: &mut String, m: &Measurements, pairs: &Pairs) {
    for codec in CODECS {
        let medians = ratio_value(relay(m, codec, "framework"), relay(m, codec, "baseline"));
        let (measured, met) = pairs.judge(
            &format!("host_calls/small/{codec}"),
            medians,
            RELAY_OVER_BASELINE,
        );
        let _ = writeln!(
            w,
            "| small struct each way through one host call, {codec}: ≤ {RELAY_OVER_BASELINE} × hand-written baseline | {measured} | {met} |",
        );
    }
}
