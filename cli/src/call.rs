//! `wasmer-plugin call`: JSON in, JSON out, for the functions whose codec
//! describes itself (JSON, MessagePack).

use std::path::Path;

use serde_json::Value;
use wasmer_plugin_host::{Codec, FunctionRecord, Host, Json, MsgPack, plugin_functions};

use crate::msgpack_json::JsonValue;

pub(crate) fn run(
    path: &Path,
    function: &str,
    args: &str,
    fuel: Option<u64>,
    max_memory: Option<u64>,
) -> Result<(), String> {
    let wasm = crate::read_plugin(path)?;
    let functions =
        plugin_functions(&wasm).map_err(|err| format!("{}: {}", path.display(), err.report()))?;
    let Some(record) = functions.iter().find(|record| record.name == function) else {
        let names: Vec<&str> = functions
            .iter()
            .map(|record| record.name.as_str())
            .collect();
        return Err(format!(
            "{} has no function `{function}`; it has {}",
            path.display(),
            names.join(", ")
        ));
    };
    let args: Value =
        serde_json::from_str(args).map_err(|err| format!("the arguments are not JSON: {err}"))?;
    let reply = match record.codec.as_str() {
        "json" => {
            let input = serde_json::to_vec(&args).expect("a JSON value encodes");
            let output = call_raw::<Json>(&wasm, record, &input, fuel, max_memory)?;
            serde_json::from_slice::<Value>(&output)
                .map_err(|err| format!("`{function}` answered bytes that are not JSON: {err}"))?
        }
        "msgpack" => {
            let input = rmp_serde::to_vec_named(&args).expect("a JSON value encodes");
            let output = call_raw::<MsgPack>(&wasm, record, &input, fuel, max_memory)?;
            rmp_serde::from_slice::<JsonValue>(&output)
                .map_err(|err| {
                    format!("`{function}` answered bytes that are not MessagePack: {err}")
                })?
                .0
        }
        other => {
            return Err(format!(
                "`{function}` uses the {other} codec, which does not describe itself: its bytes \
                 carry no field names or types, so the arguments `{}` cannot be built from JSON \
                 without the Rust types. Call it from Rust through {} and the types, or \
                 build the function with codec = \"json\" or \"msgpack\" to call it from here.",
                record.args,
                rust_host(other)
            ));
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&reply).expect("JSON values print")
    );
    Ok(())
}

/// Calls `record`'s function with `input` already in codec `C`.
fn call_raw<C: Codec>(
    wasm: &[u8],
    record: &FunctionRecord,
    input: &[u8],
    fuel: Option<u64>,
    max_memory: Option<u64>,
) -> Result<Vec<u8>, String> {
    let mut builder = Host::<C>::builder();
    if let Some(fuel) = fuel {
        builder = builder.fuel_per_call(fuel);
    }
    if let Some(bytes) = max_memory {
        builder = builder.max_memory_bytes(bytes);
    }
    let mut host = builder
        .build(wasm)
        .map_err(|err| err.report().to_string())?;
    host.call_raw(&record.name, input)
        .map_err(|err| err.report().to_string())
}

/// The host a Rust caller would use for `codec`, for the message.
fn rust_host(codec: &str) -> &'static str {
    match codec {
        "bincode" => "Host::<Bincode>",
        "postcard" => "Host::<Postcard>",
        _ => "a Host of the plugin's own Codec",
    }
}
