//! The bundled example, end to end: builds the plugin in
//! `examples/simple/plugin` for wasm32, loads it, and calls it.
//!
//! Run it from the repository root with `cargo run -p simple-host`.
#![forbid(unsafe_code)]

use std::path::Path;
use std::process::ExitCode;

use wasmer_plugin_host::{Bincode, Error, Host};

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
    let wasm_file = wasmer_plugin_build::wasm_file(&wasm_dir, "simple-plugin");
    println!("loading {}", wasm_file.display());

    let mut host = Host::<Bincode>::from_file(&wasm_file)?;
    for function in host.functions() {
        println!(
            "plugin exports `{}`: {} -> {} ({})",
            function.name, function.args, function.ret, function.codec
        );
    }

    let double = host.function::<(u8, String), (u8, String)>("double")?;
    for input in [
        (1, "hello".to_string()),
        (21, "wasm ".into()),
        (200, "🦀".into()),
    ] {
        let output = host.call_function(&double, &input)?;
        println!("double({input:?}) = {output:?}");
    }

    // Mistakes come back as errors that say what went wrong.
    match host.call::<_, String>("triple", &1u8) {
        Err(err @ Error::UnknownFunction { .. }) => println!("as expected: {err}"),
        other => return Err(format!("expected an unknown-function error, got {other:?}").into()),
    }
    // The host checks its types against the plugin's before sending.
    match host.call::<_, (u8, String)>("double", &"not a pair") {
        Err(err @ Error::TypeMismatch { .. }) => println!("as expected: {err}"),
        other => return Err(format!("expected a type mismatch, got {other:?}").into()),
    }
    let output = host.call_function(&double, &(4, "still fine ".into()))?;
    println!("double((4, \"still fine \")) = {output:?}");
    Ok(())
}
