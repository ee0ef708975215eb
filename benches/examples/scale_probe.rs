//! Measures what criterion cannot, for the "plugins at scale" section of
//! docs/BENCHMARKS.md, and prints it as Markdown:
//! - `instances N`: resident memory of N live instances of the framework
//!   benchmark plugin, made from one compiled `Plugin` (so its compiled
//!   code is shared), each having served one small call;
//! - `deadline RUNS`: how long after a 100 ms timeout a looping plugin
//!   (no fuel) is stopped, median and worst of RUNS;
//! - `report`: both, as the report runs them (1,000 instances, 20 runs).
//!
//! `cargo run -p wasmer-plugin-benches --release --example scale_probe -- report`

use std::time::{Duration, Instant};

use wasmer_plugin_benches::wasm_bytes::{custom_section, metadata};
use wasmer_plugin_benches::{Payloads, bench_plugins};
use wasmer_plugin_host::{Bincode, Error, Host, Plugin};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["instances", n] => instances(n.parse().expect("a number of instances")),
        ["deadline", runs] => deadline(runs.parse().expect("a number of runs")),
        ["report"] => {
            instances(1000);
            deadline(20);
        }
        _ => eprintln!("usage: scale_probe instances N | deadline RUNS | report"),
    }
}

/// This process's resident memory in bytes (Linux), or 0 elsewhere.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn instances(count: usize) {
    let wasm = bench_plugins().framework;
    let payloads = Payloads::load();
    let (_, small) = &payloads.small[0];
    let before = resident_bytes();
    let plugin = Plugin::new(&wasm).expect("compiling the framework plugin");
    let compiled = resident_bytes();
    let start = Instant::now();
    let mut hosts = Vec::with_capacity(count);
    for _ in 0..count {
        let mut host = Host::<Bincode>::from_plugin(&plugin).expect("an instance");
        host.call::<_, wasmer_plugin_bench_payloads::Small>("small_bincode", small)
            .expect("a small call");
        hosts.push(host);
    }
    let elapsed = start.elapsed();
    let all = resident_bytes();
    let memory = hosts[0].memory_size().unwrap_or_default();
    println!(
        "- {count} live instances of the framework plugin ({} KiB of wasm, each instance's linear memory {}), made from one compiled `Plugin`, each after one small call: resident memory {} in all ({} before compiling, {} after compiling), so **{} per instance**; making and calling them took {:.0} ms ({:.0} µs each).",
        wasm.len() / 1024,
        mib(memory),
        mib(all),
        mib(before),
        mib(compiled),
        format_args!("{:.0} KiB", (all - compiled) as f64 / count as f64 / 1024.0),
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / count as f64,
    );
}

/// A plugin whose `spin` loops forever without touching memory.
fn spinning_plugin() -> Vec<u8> {
    let text = r#"(module
        (memory (export "memory") 1)
        (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
        (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 1024))
        (func (export "__wasmer_plugin_free") (param i32 i32))
        (func (export "__wasmer_plugin_fn_spin") (param i32 i32) (result i32)
          (loop $again (br $again))
          (i32.const 0)))"#;
    let mut wasm = wasmer::wat2wasm(text.as_bytes())
        .expect("the WAT")
        .into_owned();
    custom_section(&mut wasm, "wasmer-plugin", &metadata(&["spin"]));
    wasm
}

fn deadline(runs: usize) {
    let limit = Duration::from_millis(100);
    let mut host = Host::<Bincode>::builder()
        .timeout(limit)
        .build(spinning_plugin())
        .expect("the spinning plugin");
    let mut late: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            match host.call::<_, ()>("spin", &()) {
                Err(Error::Timeout { .. }) => start.elapsed().saturating_sub(limit),
                other => panic!("expected a timeout, got {other:?}"),
            }
        })
        .collect();
    late.sort();
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
    println!(
        "- A plugin looping forever (no fuel) under a {} ms timeout, {runs} calls: stopped {} after the limit at the median, {} at worst (each call also makes the fresh instance the previous timeout left for it).",
        limit.as_millis(),
        ms(late[runs / 2]),
        ms(late[runs - 1]),
    );
}
