//! The host-functions example, end to end: builds the record filter in
//! `examples/record-filter/plugin` for wasm32, gives it its configuration
//! and a log through host functions, and counts what it logged.
//!
//! Run it from the repository root with `cargo run -p record-filter-host`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use wasmer_plugin_host::{Error, Host, Postcard};

/// The plugin's record type, as the host sees it (the same fields, so the
/// same encoding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: u32,
    country: String,
    amount_cents: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum Level {
    Info,
    Warn,
}

/// What the host functions share with the host: the settings they hand
/// out and the log they keep.
#[derive(Default)]
struct FilterHost {
    settings: HashMap<String, String>,
    log: Vec<(Level, String)>,
}

impl FilterHost {
    fn count(&self, level: Level) -> usize {
        self.log.iter().filter(|(l, _)| *l == level).count()
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The error and each of its sources: the messages do not
            // repeat them.
            let mut message = err.to_string();
            let mut source = err.source();
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    let repository = example.join("../..").canonicalize()?;
    println!("building the plugin for wasm32-unknown-unknown…");
    let wasm_dir = wasmer_plugin_build::build(
        &example.join("plugin/Cargo.toml"),
        &repository.join("target/example-plugins"),
    )?;
    let wasm = std::fs::read(wasmer_plugin_build::wasm_file(
        &wasm_dir,
        "record-filter-plugin",
    ))?;

    // Without the host functions it imports, the plugin does not load, and
    // the error says what is missing.
    match Host::<Postcard>::new(&wasm) {
        Err(err @ Error::MissingHostFunctions { .. }) => println!("as expected: {err}"),
        other => return Err(format!("expected missing host functions, got {other:?}").into()),
    }

    let mut host = Host::<Postcard>::builder()
        .state(FilterHost::default)
        .host_fn("config", |ctx, key: String| {
            ctx.state().settings.get(&key).cloned()
        })
        .host_fn("log", |ctx, (level, message): (Level, String)| {
            println!("  plugin [{level:?}] {message}");
            ctx.state_mut().log.push((level, message));
        })
        .build(&wasm)?;
    for import in host.plugin().imports() {
        println!(
            "plugin imports `{}`: {} -> {} ({})",
            import.name, import.args, import.ret, import.codec
        );
    }

    let records = vec![
        Record {
            id: 1,
            country: "NL".into(),
            amount_cents: 1200,
        },
        Record {
            id: 2,
            country: "DE".into(),
            amount_cents: 9900,
        },
        Record {
            id: 3,
            country: "NL".into(),
            amount_cents: 350,
        },
        Record {
            id: 4,
            country: "NL".into(),
            amount_cents: 25_000,
        },
    ];

    println!("filter with no settings:");
    let kept: Vec<Record> = host.call("filter", &records)?;
    check(kept.len() == 4, "everything kept without settings")?;

    println!("filter with country = NL, min_amount_cents = 1000:");
    let settings = &mut host.state_mut().settings;
    settings.insert("country".into(), "NL".into());
    settings.insert("min_amount_cents".into(), "1000".into());
    let kept: Vec<Record> = host.call("filter", &records)?;
    let ids: Vec<u32> = kept.iter().map(|record| record.id).collect();
    println!("kept records {ids:?}");
    check(ids == [1, 4], "records 1 and 4 kept")?;

    println!("filter with a bad setting:");
    host.state_mut()
        .settings
        .insert("min_amount_cents".into(), "ten".into());
    let kept: Vec<Record> = host.call("filter", &records)?;
    check(kept.len() == 3, "the NL records kept")?;

    let state = host.state();
    println!(
        "the plugin logged {} lines: {} info, {} warning",
        state.log.len(),
        state.count(Level::Info),
        state.count(Level::Warn)
    );
    check(state.log.len() == 7, "seven lines logged")?;
    check(state.count(Level::Warn) == 1, "one warning")?;
    Ok(())
}

fn check(holds: bool, what: &str) -> Result<(), String> {
    if holds {
        Ok(())
    } else {
        Err(format!("the example went wrong: expected {what}"))
    }
}
