//! `wasmer-plugin call`: JSON in, JSON out. A JSON or MessagePack
//! function's bytes describe themselves; a bincode or postcard function's
//! do not, so its arguments are built, and its answer read, by following
//! the schemas the plugin exports (docs/ABI.md, "Schemas").

use std::cell::Cell;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde_json::Value;
use wasmer_plugin_host::{
    Bincode, Builder, Clock, Codec, Error, FunctionRecord, Host, Json, MsgPack, Pipeline,
    PipelineHost, Plugin, Postcard, Randomness, Schema, Target, plugin_functions,
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
        return Err(no_such_function(path, function, &functions));
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

/// The message for a plugin at `path` without function `function`.
fn no_such_function(path: &Path, function: &str, functions: &[FunctionRecord]) -> String {
    let mut names: Vec<&str> = functions
        .iter()
        .map(|record| record.name.as_str())
        .collect();
    names.sort_unstable();
    format!(
        "{} has no function `{function}`; it has {}",
        path.display(),
        names.join(", ")
    )
}

/// A host of `wasm` with the command line's settings.
fn host<C: Codec>(wasm: &[u8], settings: &Settings) -> Result<Host<C>, String> {
    configure(Host::<C>::builder(), settings)
        .build(wasm)
        .map_err(load_error)
}

/// `builder` with the command line's settings.
fn configure<O: Target>(mut builder: Builder<O>, settings: &Settings) -> Builder<O> {
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
    builder
}

/// A loading error as this command says it.
fn load_error(err: Error) -> String {
    match err {
        // The builder method the host's message names is not what a user
        // of this command sets.
        Error::CapabilityNotGranted { capability, .. } => format!(
            "the plugin asks for the {capability} capability: allow it with `--grant-{capability}`"
        ),
        err => err.report().to_string(),
    }
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
    let args_schema = schema
        .args
        .map_err(|reason| undescribed::<C>(function, "argument type", &reason))?;
    let ret_schema = schema
        .ret
        .map_err(|reason| undescribed::<C>(function, "return type", &reason))?;
    let input = encode_typed::<C>(function, &args_schema, args)?;
    let output = host
        .call_raw(function, &input)
        .map_err(|err| err.report().to_string())?;
    decode::<C>(&ret_schema, &output)
        .map_err(|err| format!("`{function}` answered bytes its schema does not read: {err}"))
}

/// `args` encoded in codec `C` by `function`'s argument schema.
fn encode_typed<C: Codec>(
    function: &str,
    schema: &Schema,
    args: &Value,
) -> Result<Vec<u8>, String> {
    let typed = Typed {
        schema,
        format: &schema.root,
        value: args,
    };
    let misfit = |err: &dyn std::fmt::Display| {
        format!(
            "the arguments do not fit `{function}`'s types ({}): {err}",
            schema.root
        )
    };
    // serde_json keeps the message of a value that does not fit, which
    // some codecs' errors drop.
    serde_json::to_value(&typed).map_err(|err| misfit(&err))?;
    let mut input = Vec::new();
    C::encode(&typed, &mut input).map_err(|err| misfit(&err))?;
    Ok(input)
}

/// Why `function`'s `side` cannot be encoded or read from here.
fn undescribed<C: Codec>(function: &str, side: &str, reason: &str) -> String {
    format!(
        "`{function}` uses the {} codec, whose bytes carry no field names or types, and \
         its {side} is not described ({reason}): call it from Rust through {} and the types",
        C::NAME,
        rust_host(C::NAME)
    )
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

/// One stage of a pipeline on the command line: `plugin.wasm:function`.
pub(crate) struct StageArg {
    pub(crate) plugin: PathBuf,
    pub(crate) function: String,
}

impl StageArg {
    /// `word` as `path:function`, when it has that form: a function name
    /// after the last `:`, and before it a file that exists or is named
    /// `.wasm`. A plugin file whose own name has a `:` is still a plugin.
    pub(crate) fn parse(word: &str) -> Option<StageArg> {
        let (path, function) = word.rsplit_once(':')?;
        let is_name = !function.is_empty()
            && function.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !function.starts_with(|c: char| c.is_ascii_digit());
        let plugin = PathBuf::from(path);
        let is_plugin = path.ends_with(".wasm") || plugin.is_file();
        (is_name && is_plugin && !Path::new(word).exists()).then_some(StageArg {
            plugin,
            function: function.to_owned(),
        })
    }
}

/// A stage ready to run: its compiled plugin and its function's record.
struct LoadedStage {
    plugin: Plugin,
    function: String,
    record: FunctionRecord,
}

/// `wasmer-plugin call a.wasm:f b.wasm:g [args]`: each stage's return value
/// is the next one's arguments, handed on as bytes; the last one's printed.
pub(crate) fn run_pipeline(
    stages: &[StageArg],
    args: &str,
    settings: &Settings,
) -> Result<(), String> {
    let loaded = load_stages(stages, settings)?;
    let args: Value =
        serde_json::from_str(args).map_err(|err| format!("the arguments are not JSON: {err}"))?;
    let codec = loaded[0].record.codec.clone();
    let reply = match codec.as_str() {
        "json" => {
            let input = serde_json::to_vec(&args).expect("a JSON value encodes");
            let output = run_stages::<Json>(&loaded, &input)?;
            serde_json::from_slice::<Value>(&output).map_err(|err| {
                format!(
                    "`{}` answered bytes that are not JSON: {err}",
                    loaded[loaded.len() - 1].function
                )
            })?
        }
        "msgpack" => {
            let input = rmp_serde::to_vec_named(&args).expect("a JSON value encodes");
            let output = run_stages::<MsgPack>(&loaded, &input)?;
            rmp_serde::from_slice::<JsonValue>(&output)
                .map_err(|err| {
                    format!(
                        "`{}` answered bytes that are not MessagePack: {err}",
                        loaded[loaded.len() - 1].function
                    )
                })?
                .0
        }
        "bincode" => run_typed_stages::<Bincode>(&loaded, &args)?,
        "postcard" => run_typed_stages::<Postcard>(&loaded, &args)?,
        other => {
            return Err(format!(
                "`{}` uses the {other} codec, which this command does not know: run the \
                 pipeline from Rust through `Pipeline` and the types",
                loaded[0].function
            ));
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&reply).expect("JSON values print")
    );
    Ok(())
}

/// Each stage's plugin, compiled once per file, and its function.
fn load_stages(stages: &[StageArg], settings: &Settings) -> Result<Vec<LoadedStage>, String> {
    let mut compiled: Vec<(&Path, Plugin)> = Vec::new();
    let mut loaded = Vec::with_capacity(stages.len());
    for stage in stages {
        let path = stage.plugin.as_path();
        let plugin = match compiled.iter().find(|(seen, _)| *seen == path) {
            Some((_, plugin)) => plugin.clone(),
            None => {
                let wasm = crate::read_plugin(path)?;
                let plugin = configure(Plugin::builder(), settings)
                    .build(&wasm)
                    .map_err(|err| format!("{}: {}", path.display(), load_error(err)))?;
                compiled.push((path, plugin.clone()));
                plugin
            }
        };
        let record = plugin
            .functions()
            .iter()
            .find(|record| record.name == stage.function)
            .cloned()
            .ok_or_else(|| no_such_function(path, &stage.function, plugin.functions()))?;
        loaded.push(LoadedStage {
            plugin,
            function: stage.function.clone(),
            record,
        });
    }
    Ok(loaded)
}

/// Builds the pipeline of `stages` in codec `C` and runs it once on
/// `input`, in that codec: the bytes the last stage answered. The stages
/// are checked against each other, not against a Rust type.
fn run_stages<C: Codec>(stages: &[LoadedStage], input: &[u8]) -> Result<Vec<u8>, String> {
    let report = |err: Error| err.report().to_string();
    // `Value` reads every answer (its tracing needs a self-describing
    // format, so the build does not check it): the command reads the
    // answer itself.
    let mut builder = Pipeline::<[u8], Value, C>::builder();
    for stage in stages {
        builder = builder.stage(&stage.plugin, &stage.function);
    }
    let pipeline = builder.build().map_err(report)?;
    PipelineHost::new(&pipeline)
        .map_err(report)?
        .run_raw(input)
        .map_err(report)
}

/// A pipeline in a codec whose bytes do not describe themselves: the input
/// is encoded by the first stage's argument schema, the answer read by the
/// last stage's return schema.
fn run_typed_stages<C: Codec>(stages: &[LoadedStage], args: &Value) -> Result<Value, String> {
    let (first, last) = (&stages[0], &stages[stages.len() - 1]);
    let schema = |stage: &LoadedStage| -> Result<wasmer_plugin_host::FunctionSchema, String> {
        let host = Host::<C>::from_plugin(&stage.plugin).map_err(|err| err.report().to_string())?;
        Ok(host
            .schema(&stage.function)
            .map_err(|err| err.report().to_string())?
            .clone())
    };
    let args_schema = schema(first)?
        .args
        .map_err(|reason| undescribed::<C>(&first.function, "argument type", &reason))?;
    let ret_schema = schema(last)?
        .ret
        .map_err(|reason| undescribed::<C>(&last.function, "return type", &reason))?;
    let input = encode_typed::<C>(&first.function, &args_schema, args)?;
    let output = run_stages::<C>(stages, &input)?;
    decode::<C>(&ret_schema, &output).map_err(|err| {
        format!(
            "`{}` answered bytes its schema does not read: {err}",
            last.function
        )
    })
}
