//! `wasmer-plugin`: look inside a plugin, call one of its functions by
//! hand, start a plugin crate, and build one for wasm32.
//!
//! ```text
//! wasmer-plugin inspect plugin.wasm [--json]
//! wasmer-plugin call plugin.wasm greet '["wasm", 2]' [--fuel N] [--max-memory BYTES]
//! wasmer-plugin call parse.wasm:parse rules.wasm:score '"level=warn"'
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
    /// through the schemas the plugin exports. Given stages
    /// (`plugin.wasm:function`, in one codec), run them as a
    /// pipeline: each one's return value is the next one's arguments.
    Call {
        /// `PLUGIN FUNCTION [ARGS]`, or `PLUGIN:FUNCTION... [ARGS]`: the
        /// plugin's `.wasm` file, the function's name, and the arguments as
        /// JSON.
        #[arg(required = true, num_args = 1.., value_name = "PLUGIN FUNCTION [ARGS]")]
        words: Vec<String>,
        /// Stop the call after this many units of fuel.
        #[arg(long)]
        fuel: Option<u64>,
        /// The most memory the plugin instance may use, in bytes.
        #[arg(long)]
        max_memory: Option<u64>,
        /// Let the plugin read the host's clock (`wasmer_plugin::clock`).
        #[arg(long)]
        grant_clock: bool,
        /// Let the plugin draw the system's random bytes
        /// (`wasmer_plugin::random`, getrandom).
        #[arg(long)]
        grant_randomness: bool,
    },
    /// Create a plugin crate, ready to build.
    New {
        /// The crate's name, and the folder to create.
        name: String,
        /// Depend on the wasmer-plugin crate in this folder. The default
        /// is the crate this command was built beside, when it is still
        /// there, and the repository's (as `--wasmer-plugin-git`) when not.
        #[arg(long, group = "source")]
        wasmer_plugin_path: Option<PathBuf>,
        /// Depend on wasmer-plugin from this git repository.
        #[arg(long, group = "source", value_name = "URL")]
        wasmer_plugin_git: Option<String>,
        /// Depend on this version of wasmer-plugin from crates.io (once it
        /// is published there).
        #[arg(long, group = "source", value_name = "VERSION")]
        wasmer_plugin_version: Option<String>,
        /// Build without wasm SIMD (for hosts on runtimes that lack it).
        #[arg(long)]
        no_simd: bool,
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
            words,
            fuel,
            max_memory,
            grant_clock,
            grant_randomness,
        } => {
            let settings = call::Settings {
                fuel,
                max_memory,
                grant_clock,
                grant_randomness,
            };
            call_words(&words, &settings)
        }
        Command::New {
            name,
            wasmer_plugin_path,
            wasmer_plugin_git,
            wasmer_plugin_version,
            no_simd,
        } => {
            let source = match (wasmer_plugin_path, wasmer_plugin_git, wasmer_plugin_version) {
                (Some(path), _, _) => new::Source::Path(path),
                (_, Some(url), _) => new::Source::Git(url),
                (_, _, Some(version)) => new::Source::Version(version),
                (None, None, None) => new::Source::Default,
            };
            new::run(&name, source, !no_simd)
        }
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
/// `call`'s words: a plugin, a function and arguments, or pipeline
/// stages and arguments.
fn call_words(words: &[String], settings: &call::Settings) -> Result<(), String> {
    let stages: Vec<call::StageArg> = words
        .iter()
        .map_while(|word| call::StageArg::parse(word))
        .collect();
    if !stages.is_empty() {
        return match &words[stages.len()..] {
            [] => call::run_pipeline(&stages, "null", settings),
            [args] => call::run_pipeline(&stages, args, settings),
            [_, extra, ..] => Err(format!(
                "`{extra}` follows the arguments: give the stages as `plugin.wasm:function`, then the arguments as one JSON word"
            )),
        };
    }
    match words {
        [plugin, function] => call::run(plugin.as_ref(), function, "null", settings),
        [plugin, function, args] => call::run(plugin.as_ref(), function, args, settings),
        [plugin] => Err(format!(
            "name the function to call after {plugin}, or give stages as `plugin.wasm:function`"
        )),
        [_, _, _, extra, ..] => Err(format!(
            "`{extra}` follows the arguments: give them as one JSON word (quote it)"
        )),
        [] => unreachable!("clap requires a word"),
    }
}

fn read_plugin(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|err| format!("could not read {}: {err}", path.display()))
}
