//! The "exact JSON floats" section: what `float_roundtrip`, which the
//! Json codec turns on so that no float changes, costs serde_json. One
//! build of the workspace holds serde_json with the feature or without
//! it, never both, so `benches/float-probe` is built both ways and the two
//! binaries run in turns, in this run.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{median, time};

/// Runs per build; the two builds alternate.
const TURNS: usize = 5;

/// One build's answer.
struct Answer {
    payload: String,
    parse_ns: f64,
    changed: u64,
    coordinates: u64,
}

/// Both builds' answers, without the feature first.
pub struct Probe {
    lossy: Answer,
    lossless: Answer,
}

/// Builds the probe twice and runs the builds in turns.
pub fn probe(workspace: &Path, target: &Path) -> Probe {
    let manifest = workspace.join("benches/float-probe/Cargo.toml");
    let build = |name: &str, features: &[&str]| -> PathBuf {
        let target_dir = target.join("float-probe").join(name);
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--locked", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target_dir)
            .args(features)
            .status()
            .expect("running cargo build for the float probe");
        assert!(status.success(), "building the float probe ({name}) failed");
        target_dir.join("release/wasmer-plugin-float-probe")
    };
    let lossy = build("lossy", &[]);
    let lossless = build("lossless", &["--features", "lossless"]);
    let (mut lossy_runs, mut lossless_runs) = (Vec::new(), Vec::new());
    for _ in 0..TURNS {
        lossy_runs.push(run(&lossy));
        lossless_runs.push(run(&lossless));
    }
    Probe {
        lossy: summary(lossy_runs),
        lossless: summary(lossless_runs),
    }
}

fn run(binary: &Path) -> Answer {
    let line = crate::binary_output(binary);
    let field = |key: &str| -> String {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("the float probe printed no {key}: {line}"))
            .to_owned()
    };
    let number = |key: &str| -> u64 { field(key).parse().expect("a number") };
    Answer {
        payload: field("payload"),
        parse_ns: number("parse_ns") as f64,
        changed: number("changed"),
        coordinates: number("coordinates"),
    }
}

/// The median time of the runs of one build; the counts are the same in
/// every run.
fn summary(runs: Vec<Answer>) -> Answer {
    let parse_ns = median(runs.iter().map(|answer| answer.parse_ns).collect());
    let first = runs.into_iter().next().expect("at least one run");
    Answer { parse_ns, ..first }
}

pub fn section(w: &mut String, probe: &Probe) {
    let Probe { lossy, lossless } = probe;
    let _ = writeln!(w, "## Exact JSON floats\n");
    let _ = writeln!(
        w,
        "The Json codec builds serde_json with `float_roundtrip`, so that every `f64` \
         and `f32` reads back as the float it was written from; serde_json's default \
         parser is off in the last bit for some decimals, which a round trip (parse, \
         write, parse) shows. `benches/float-probe`, built without and with the \
         feature, parsed `{}` ({} coordinates) in turns, {TURNS} runs each, each run \
         the median of 41 parses:\n",
        lossless.payload, lossless.coordinates
    );
    let _ = writeln!(
        w,
        "| serde_json | parse | coordinates a round trip changed |"
    );
    let _ = writeln!(w, "|---|---:|---:|");
    for (name, answer) in [
        ("default", lossy),
        ("`float_roundtrip` (the Json codec)", lossless),
    ] {
        let _ = writeln!(
            w,
            "| {name} | {} | {} of {} |",
            time(Some(answer.parse_ns)),
            answer.changed,
            answer.coordinates
        );
    }
    let _ = writeln!(
        w,
        "\nExact parsing costs {:.2} × the default parser's time on this payload; the \
         JSON rows above are measured with it.\n",
        lossless.parse_ns / lossy.parse_ns
    );
}
