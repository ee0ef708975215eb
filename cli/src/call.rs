//! `wasmer-plugin call`: JSON in, JSON out. A JSON or MessagePack
//! function's bytes describe themselves; a bincode or postcard function's
//! do not, so its arguments are built, and its answer read, by following
//! the schemas the plugin exports (docs/ABI.md, "Schemas").

use std::cell::Cell;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde_json::Value;
use wasmer_plugin_host::{
    Bincode, Clock, Codec, Error, FunctionRecord, Host, Json, MsgPack, Postcard, Randomness,
    Schema, plugin_functions,
};

use crate::msgpack_json::JsonValue;
use crate::typed_json::{Seed, Typed};

pub(crate) fn run(
    path: &Path,
    function: &str,
    args: &str,
    settings: &Settings,
) -> Result<(), String> {
    let wasm = crate::read_plugin(path)?;
    let functions =
        plugin_functions(&wasm).map_err(|err| format!("{}: {}", path.display(), err.report()))?;
    let Some(record) = functions.iter().find(|record| record.name == function) else {
        let mut names: Vec<&str> = functions
            .iter()
            .map(|record| record.name.as_str())
            .collect();
        names.sort_unstable();
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
            let output = call_raw::<Json>(&wasm, record, &input, settings)?;
            serde_json::from_slice::<Value>(&output)
                .map_err(|err| format!("`{function}` answered bytes that are not JSON: {err}"))?
        }
        "msgpack" => {
            let input = rmp_serde::to_vec_named(&args).expect("a JSON value encodes");
            let output = call_raw::<MsgPack>(&wasm, record, &input, settings)?;
            rmp_serde::from_slice::<JsonValue>(&output)
                .map_err(|err| {
                    format!("`{function}` answered bytes that are not MessagePack: {err}")
                })?
                .0
        }
        "bincode" => call_typed::<Bincode>(&wasm, record, &args, settings)?,
        "postcard" => call_typed::<Postcard>(&wasm, record, &args, settings)?,
        other => {
            return Err(format!(
                "`{function}` uses the {other} codec, which this command does not know: its \
                 arguments `{}` cannot be encoded from here. Call it from Rust through {} and \
                 the types.",
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

/// What the command line sets on the host: limits and grants.
pub(crate) struct Settings {
    pub(crate) fuel: Option<u64>,
    pub(crate) max_memory: Option<u64>,
    pub(crate) grant_clock: bool,
    pub(crate) grant_randomness: bool,
}

/// A host of `wasm` with the command line's settings.
fn host<C: Codec>(wasm: &[u8], settings: &Settings) -> Result<Host<C>, String> {
    let mut builder = Host::<C>::builder();
    if let Some(fuel) = settings.fuel {
        builder = builder.fuel_per_call(fuel);
    }
    if let Some(bytes) = settings.max_memory {
        builder = builder.max_memory_bytes(bytes);
    }
    if settings.grant_clock {
        builder = builder.grant_clock(Clock::system());
    }
    if settings.grant_randomness {
        builder = builder.grant_randomness(Randomness::system());
    }
    builder.build(wasm).map_err(|err| match err {
        // The builder method the host's message names is not what a user
        // of this command sets.
        Error::CapabilityNotGranted { capability, .. } => format!(
            "the plugin asks for the {capability} capability: allow it with `--grant-{capability}`"
        ),
        err => err.report().to_string(),
    })
}

/// Calls `record`'s function with `input` already in codec `C`.
fn call_raw<C: Codec>(
    wasm: &[u8],
    record: &FunctionRecord,
    input: &[u8],
    settings: &Settings,
) -> Result<Vec<u8>, String> {
    host::<C>(wasm, settings)?
        .call_raw(&record.name, input)
        .map_err(|err| err.report().to_string())
}

/// Calls `record`'s function, in a codec whose bytes do not describe
/// themselves, with `args` encoded and the answer decoded by the schemas.
fn call_typed<C: Codec>(
    wasm: &[u8],
    record: &FunctionRecord,
    args: &Value,
    settings: &Settings,
) -> Result<Value, String> {
    let function = &record.name;
    let mut host = host::<C>(wasm, settings)?;
    let schema = host
        .schema(function)
        .map_err(|err| err.report().to_string())?
        .clone();
    let undescribed = |side: &str, reason: &str| {
        format!(
            "`{function}` uses the {} codec, whose bytes carry no field names or types, and \
             its {side} is not described ({reason}): call it from Rust through {} and the types",
            C::NAME,
            rust_host(C::NAME)
        )
    };
    let args_schema = schema
        .args
        .map_err(|reason| undescribed("argument type", &reason))?;
    let ret_schema = schema
        .ret
        .map_err(|reason| undescribed("return type", &reason))?;
    let mut input = Vec::new();
    let typed = Typed {
        schema: &args_schema,
        format: &args_schema.root,
        value: args,
    };
    let misfit = |err: &dyn std::fmt::Display| {
        format!(
            "the arguments do not fit `{function}`'s types ({}): {err}",
            args_schema.root
        )
    };
    // serde_json keeps the message of a value that does not fit, which
    // some codecs' errors drop.
    serde_json::to_value(&typed).map_err(|err| misfit(&err))?;
    C::encode(&typed, &mut input).map_err(|err| misfit(&err))?;
    let output = host
        .call_raw(function, &input)
        .map_err(|err| err.report().to_string())?;
    decode::<C>(&ret_schema, &output)
        .map_err(|err| format!("`{function}` answered bytes its schema does not read: {err}"))
}

thread_local! {
    /// The schema [`Decoded`] follows: `Codec::decode` takes a type, not a
    /// seed, so the seed travels beside it.
    static SEED: Cell<Option<Seed<'static>>> = const { Cell::new(None) };
}

/// A JSON value decoded by the schema in [`SEED`].
struct Decoded(Value);

impl<'de> Deserialize<'de> for Decoded {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seed = SEED
            .get()
            .ok_or_else(|| serde::de::Error::custom("no schema to decode by"))?;
        seed.deserialize(deserializer).map(Decoded)
    }
}

/// `output`, in codec `C`, as JSON by `schema`.
fn decode<C: Codec>(schema: &Schema, output: &[u8]) -> Result<Value, String> {
    // The command makes one call and exits: the schema may live as long.
    let schema: &'static Schema = Box::leak(Box::new(schema.clone()));
    SEED.set(Some(Seed {
        schema,
        format: &schema.root,
    }));
    let decoded = C::decode::<Decoded>(output);
    SEED.set(None);
    decoded
        .map(|decoded| decoded.0)
        .map_err(|err| err.to_string())
}

/// The host a Rust caller would use for `codec`, for the message.
fn rust_host(codec: &str) -> &'static str {
    match codec {
        "bincode" => "Host::<Bincode>",
        "postcard" => "Host::<Postcard>",
        _ => "a Host of the plugin's own Codec",
    }
}
