//! The "Types across the boundary" section: what the type check costs
//! once (the `schema_probe` example), and the bytes the schema exports add
//! to the benchmark plugin, against the same plugin built with
//! `--cfg wasmer_plugin_no_schemas`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::process::Command;

/// The probe's `name=value` lines.
pub struct Probe(BTreeMap<String, String>);

/// Builds the framework plugin without schemas and runs the probe.
pub fn probe(workspace: &Path, target: &Path) -> Probe {
    let target_dir = target.join("bench-plugins-no-schemas");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .arg("--manifest-path")
        .arg(workspace.join("benches/plugins/Cargo.toml"))
        .args(["-p", "bench-framework-plugin", "--target-dir"])
        .arg(&target_dir)
        .env("RUSTFLAGS", "--cfg wasmer_plugin_no_schemas")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("running cargo build for the plugin without schemas");
    assert!(
        status.success(),
        "building the plugin without schemas failed"
    );
    let wasm = target_dir.join("wasm32-unknown-unknown/release/bench_framework_plugin.wasm");
    let output = crate::example_output(workspace, "schema_probe", &[&wasm.to_string_lossy()]);
    Probe(
        output
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
    )
}

impl Probe {
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("—", String::as_str)
    }

    fn number(&self, name: &str) -> Option<f64> {
        self.0.get(name)?.parse().ok()
    }
}

pub fn section(w: &mut String, probe: &Probe) {
    let _ = writeln!(w, "## Types across the boundary\n");
    let _ = writeln!(
        w,
        "What checking the host's types against the plugin's schemas costs once, \
         on the benchmark plugin ({} functions; `benches/examples/schema_probe`, \
         medians of fresh plugins, each the first time minus a later time that \
         checks nothing). A call through a checked handle costs nothing more: the \
         `type_check` rows of the targets above.\n",
        probe.get("functions"),
    );
    let _ = writeln!(w, "| what | once per | cost |");
    let _ = writeln!(w, "|---|---|---:|");
    let _ = writeln!(
        w,
        "| reading every function's schema (running its schema export) | compiled plugin, at its first instance | {} µs (an instance alone: {} µs) |",
        probe.get("read_schemas_us"),
        probe.get("instantiate_us"),
    );
    for (what, key) in [
        ("the return type at lookup, small struct", "lookup_small_us"),
        (
            "the return type at lookup, tweets (the twitter.json shape)",
            "lookup_tweets_us",
        ),
        (
            "the arguments at the first call, small struct",
            "first_call_small_us",
        ),
        (
            "the arguments at the first call, 20 tweets",
            "first_call_tweets_us",
        ),
    ] {
        let _ = writeln!(
            w,
            "| checking {what} | function and host type | {} µs |",
            probe.get(key)
        );
    }
    let with = probe.number("wasm_bytes");
    let without = probe.number("wasm_bytes_without_schemas");
    let added = match (with, without) {
        (Some(with), Some(without)) => format!(
            "{:.0} bytes: {without:.0} without, {with:.0} with (+{:.1} %)",
            with - without,
            (with / without - 1.0) * 100.0
        ),
        _ => "—".into(),
    };
    let _ = writeln!(
        w,
        "| the schema exports and the tracer in the `.wasm` | plugin | {added} |\n"
    );
}
