//! Runs a fuzz target on random inputs for a bounded time, on stable Rust
//! and without instrumentation: what CI runs on every change. For
//! coverage-guided runs, use `cargo fuzz` (fuzz/, docs/SECURITY.md).
//!
//! ```text
//! wasmer-plugin-fuzzing TARGET [--seconds N] [--seed N] [--max-len N]
//! wasmer-plugin-fuzzing TARGET --replay FILE...
//! wasmer-plugin-fuzzing TARGET --seeds FOLDER
//! wasmer-plugin-fuzzing plugin_modules --wasm INPUT OUT.wasm
//! ```
//!
//! An input that breaks a promise, or panics, is written to
//! `target/fuzzing/found/TARGET/`, and the run fails. The input being run
//! is also kept in `target/fuzzing/TARGET.current`, so that one that
//! aborts the process (a stack overflow) is not lost.
#![forbid(unsafe_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use std::collections::{BTreeMap, BTreeSet};

use wasmer_plugin_fuzzing::{Events, Inputs, TARGETS, Target, generate_module, target};

const USAGE: &str = "usage: wasmer-plugin-fuzzing TARGET [--seconds N] [--seed N] [--max-len N]
       wasmer-plugin-fuzzing TARGET --replay FILE...
       wasmer-plugin-fuzzing TARGET --seeds FOLDER
       wasmer-plugin-fuzzing plugin_modules --wasm INPUT OUT.wasm";

struct Run {
    target: Target,
    seconds: u64,
    seed: u64,
    max_len: usize,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(args: &[String]) -> Result<ExitCode, String> {
    let (name, rest) = args.split_first().ok_or("no target given")?;
    let target = target(name).ok_or_else(|| {
        let names: Vec<&str> = TARGETS.iter().map(|target| target.name).collect();
        format!("no target `{name}`; the targets are {}", names.join(", "))
    })?;
    match rest.first().map(String::as_str) {
        Some("--replay") => Ok(replay(target, &rest[1..])),
        Some("--seeds") => match rest {
            [_, folder] => write_seeds(target, folder),
            _ => Err("--seeds takes the folder to write them in".into()),
        },
        Some("--wasm") => match rest {
            [_, input, out] if target.name == "plugin_modules" => write_wasm(input, out),
            _ => Err("--wasm takes an input file and an output file, for plugin_modules".into()),
        },
        _ => {
            let run = parse_run(target, rest)?;
            Ok(fuzz(&run))
        }
    }
}

fn parse_run(target: Target, args: &[String]) -> Result<Run, String> {
    let mut run = Run {
        target,
        seconds: 60,
        seed: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64),
        max_len: 4096,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} takes a number, not `{value}`"))?;
        match flag.as_str() {
            "--seconds" => run.seconds = number,
            "--seed" => run.seed = number,
            "--max-len" => run.max_len = number as usize,
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    Ok(run)
}

/// The outcome of one input: what it reached, or what to report.
fn check(target: Target, input: &[u8]) -> Result<Events, String> {
    match catch_unwind(AssertUnwindSafe(|| (target.run)(input))) {
        Ok(outcome) => outcome.map_err(|violation| violation.to_string()),
        Err(payload) => Err(format!("panicked: {}", panic_text(&*payload))),
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

fn fuzz(run: &Run) -> ExitCode {
    let name = run.target.name;
    let work = Path::new("target").join("fuzzing");
    if let Err(err) = std::fs::create_dir_all(&work) {
        eprintln!("error: cannot make {}: {err}", work.display());
        return ExitCode::FAILURE;
    }
    let current = work.join(format!("{name}.current"));
    eprintln!(
        "fuzzing {name} for {} s, seed {}, inputs up to {} bytes",
        run.seconds, run.seed, run.max_len
    );
    let seeds = (run.target.seeds)();
    let mut inputs = Inputs::new(run.seed);
    let mut input = Vec::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(run.seconds);
    let mut executions: u64 = 0;
    let mut reached: BTreeMap<String, u64> = BTreeMap::new();
    while Instant::now() < deadline {
        inputs.next_input_from(&seeds, run.max_len, &mut input);
        if let Err(err) = std::fs::write(&current, &input) {
            eprintln!("error: cannot write {}: {err}", current.display());
            return ExitCode::FAILURE;
        }
        executions += 1;
        let outcome = check(run.target, &input);
        if let Ok(events) = &outcome {
            let once: BTreeSet<&String> = events.iter().collect();
            for event in once {
                *reached.entry(event.clone()).or_default() += 1;
            }
        }
        if let Err(message) = outcome {
            let kept = keep(&work, name, &input);
            eprintln!(
                "FAILED after {executions} inputs: {message}\ninput kept in {kept}\n\
                 replay: cargo run -p wasmer-plugin-fuzzing -- {name} --replay {kept}"
            );
            return ExitCode::FAILURE;
        }
    }
    let _ = std::fs::remove_file(&current);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{name}: {executions} inputs in {seconds:.0} s ({:.0} per second), no promise broken",
        executions as f64 / seconds
    );
    eprintln!("inputs that reached each outcome:");
    for (event, count) in &reached {
        eprintln!("{count:>10}  {event}");
    }
    ExitCode::SUCCESS
}

/// Writes a failing input where the run reports it; its name is its
/// content's hash, so the same input is kept once.
fn keep(work: &Path, name: &str, input: &[u8]) -> String {
    let folder = work.join("found").join(name);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let path: PathBuf = folder.join(format!("{hash:016x}"));
    match std::fs::create_dir_all(&folder).and_then(|()| std::fs::write(&path, input)) {
        Ok(()) => path.display().to_string(),
        Err(err) => format!("nowhere ({}: {err})", path.display()),
    }
}

fn replay(target: Target, files: &[String]) -> ExitCode {
    let mut failed = 0;
    for file in files {
        let outcome = std::fs::read(file)
            .map_err(|err| format!("cannot read it: {err}"))
            .and_then(|input| check(target, &input));
        match outcome {
            Ok(events) => eprintln!("{file}: ok ({})", events.join(", ")),
            Err(message) => {
                failed += 1;
                eprintln!("{file}: FAILED: {message}");
            }
        }
    }
    match failed {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

fn write_seeds(target: Target, folder: &str) -> Result<ExitCode, String> {
    std::fs::create_dir_all(folder).map_err(|err| format!("cannot make {folder}: {err}"))?;
    let seeds = (target.seeds)();
    for (index, seed) in seeds.iter().enumerate() {
        let path = Path::new(folder).join(format!("seed-{index:03}"));
        std::fs::write(&path, seed)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    }
    eprintln!("{} seeds written to {folder}", seeds.len());
    Ok(ExitCode::SUCCESS)
}

fn write_wasm(input: &str, out: &str) -> Result<ExitCode, String> {
    let data = std::fs::read(input).map_err(|err| format!("cannot read {input}: {err}"))?;
    let wasm = generate_module(&data).ok_or("the input is too short to make a module")?;
    std::fs::write(out, wasm).map_err(|err| format!("cannot write {out}: {err}"))?;
    Ok(ExitCode::SUCCESS)
}
