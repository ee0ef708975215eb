//! `wasmer-plugin`: look inside a plugin, call one of its functions by
//! hand, start a plugin crate, and build one for wasm32.
//!
//! ```text
//! wasmer-plugin inspect plugin.wasm [--json]
//! wasmer-plugin call plugin.wasm greet '["wasm", 2]' [--fuel N] [--max-memory BYTES]
//! wasmer-plugin new my-plugin
//! wasmer-plugin build [my-plugin]
//! ```
//!
//! Exit status: 0 on success, 1 when the plugin or the build fails (the
//! message says why), 2 for a command line clap rejects.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod build;
mod call;
mod inspect;
mod json_schema;
mod msgpack_json;
mod new;
mod typed_json;

#[derive(Parser)]
#[command(name = "wasmer-plugin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show a plugin's ABI version, size, functions and their types (the
    /// schemas the plugin exports, read by instantiating it once).
    Inspect {
        /// The plugin's `.wasm` file.
        plugin: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Call a plugin function with JSON arguments (the bare value for one
    /// argument, an array for several, `null` for none) and print its
    /// return value as JSON: in any shipped codec, bincode and postcard
    /// through the schemas the plugin exports.
    Call {
        /// The plugin's `.wasm` file.
        plugin: PathBuf,
        /// The function's name.
        function: String,
        /// The arguments, as JSON.
        #[arg(default_value = "null")]
        args: String,
        /// Stop the call after this many units of fuel.
        #[arg(long)]
        fuel: Option<u64>,
        /// The most memory the plugin instance may use, in bytes.
        #[arg(long)]
        max_memory: Option<u64>,
    },
    /// Create a plugin crate, ready to build.
    New {
        /// The crate's name, and the folder to create.
        name: String,
        /// Depend on the wasmer-plugin crate at this path instead of the
        /// one this command was built from (or crates.io).
        #[arg(long)]
        wasmer_plugin_path: Option<PathBuf>,
    },
    /// Build a plugin crate (or a workspace of them) for wasm32 and print
    /// where each `.wasm` file is.
    Build {
        /// The crate's folder.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Inspect { plugin, json } => inspect::run(&plugin, json),
        Command::Call {
            plugin,
            function,
            args,
            fuel,
            max_memory,
        } => call::run(&plugin, &function, &args, fuel, max_memory),
        Command::New {
            name,
            wasmer_plugin_path,
        } => new::run(&name, wasmer_plugin_path),
        Command::Build { path } => build::run(&path),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A plugin file's bytes, or an error naming the file.
fn read_plugin(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|err| format!("could not read {}: {err}", path.display()))
}
