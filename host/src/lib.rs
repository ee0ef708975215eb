//! Load WebAssembly plugins written with `#[wasmer_plugin]` and call them
//! with typed Rust values, on the wasmer runtime.
//!
//! ```no_run
//! use wasmer_plugin_host::{Bincode, Host};
//!
//! # fn main() -> Result<(), wasmer_plugin_host::Error> {
//! let wasm = std::fs::read("plugin.wasm").expect("plugin file");
//! let mut host = Host::<Bincode>::new(&wasm)?;
//! for function in host.functions() {
//!     println!("{}({}) -> {}", function.name, function.args, function.ret);
//! }
//! let doubled: String = host.call("double", "wasm")?;
//! # Ok(()) }
//! ```
//!
//! Everything between the typed call and the plugin's function (encoding,
//! guest memory, the call, bounds checks on what comes back, decoding,
//! panics) is handled here and reported as an [`Error`]; a misbehaving
//! plugin never panics the host. The wire contract is `docs/ABI.md` in the
//! repository.
//!
//! The codec types are re-exported: [`Bincode`] always, [`MsgPack`],
//! [`Postcard`] and [`Json`] behind the cargo features `msgpack`,
//! `postcard` and `json`, which are on by default.
//!
//! # Types across the boundary
//!
//! A plugin built with `#[wasmer_plugin]` describes each function's
//! argument and return types; the host checks its own against them, the
//! return type when a function is looked up and the arguments on the first
//! call through a handle, and reports a difference its codec would misread
//! as [`Error::TypeMismatch`], naming the path, before anything is sent.
//! [`Host::schema`] shows what the plugin described, and why a side is not
//! checked when it is not. `docs/ABI.md` ("Compatible types") says which
//! differences each codec accepts.
//!
//! # Untrusted plugins
//!
//! [`Host::builder`] bounds each instance's memory and tables, each call's
//! fuel (wasm instructions, and the bytes or elements bulk instructions
//! touch), input and output, and the module's size. Wasm features plugins
//! do not need (threads, exceptions, several memories…) are refused at
//! load, and decoding stops at 256 levels of nesting on both sides.
//! `docs/SECURITY.md` in the repository says what the host guarantees and
//! what it does not. Fuel and the wall-clock [`Builder::timeout`] are off
//! by default: set one for any plugin that could loop forever.
//!
//! # Many threads, many plugins
//!
//! A [`Plugin`] is compiled once and shared (`Clone + Send + Sync`); a
//! [`Host`] is one instance of it on one thread, made without compiling
//! ([`Host::from_plugin`]); a [`HostPool`] calls it from any thread
//! through `&self`, with one instance per calling thread. The builder can
//! cache compiled plugins on disk ([`Builder::cache`]) and stop calls
//! that run too long ([`Builder::timeout`]).
//!
//! # Pipelines and hot reload
//!
//! A [`Pipeline`] chains plugin functions, of one plugin or several, each
//! one's return value the next one's arguments: checked stage against
//! stage when built ([`Error::Stage`] names a break), run with the bytes
//! handed on as the plugins encoded them, by a [`PipelineHost`] on one
//! thread or a [`PipelinePool`] from any. [`HostPool::reload`] replaces
//! the plugin behind a running pool without failing a call (and
//! [`PipelinePool::reload_stage`] one stage's); [`HostPool::watch`]
//! reloads it when its file changes.
//!
//! # Host functions
//!
//! A plugin may call functions the host registers on the builder
//! ([`Builder::host_fn`], [`Builder::try_host_fn`]), typed in the plugin's
//! codec, with a state per instance ([`Builder::state`], read through
//! [`HostContext`] and [`Host::state`]). A plugin that imports a function
//! the builder lacks is refused at load, naming every missing one; a host
//! function that fails or panics ends the plugin call with an error that
//! names it, reported once through the error (the panic hook stays quiet
//! for it). [`Target`] lets one function register the same host functions
//! on either builder. The README's "Host functions" section has an example.
//!
//! # Async hosts
//!
//! With the `async` feature, `AsyncHostPool` calls plugins from any tokio
//! task through `Send + 'static` futures, running them on threads of its
//! own, and `Builder::async_host_fn` registers host functions that return
//! a future: the plugin's call is suspended while it is pending, and its
//! thread runs other calls. Dropping a call's future cancels it; every
//! limit holds, and the deadline counts suspended time. The README's
//! "Async hosts" section has an example.
//!
//! # Clocks and randomness
//!
//! A plugin reads a clock or draws random bytes (through
//! `wasmer_plugin::clock`, `wasmer_plugin::random` or getrandom) only when
//! the builder grants it ([`Builder::grant_clock`],
//! [`Builder::grant_randomness`]); one that asks for a capability it was
//! not granted is refused at load ([`Error::CapabilityNotGranted`]).
//! [`Clock::deterministic`] and [`Randomness::seeded`] make runs
//! reproducible; [`Plugin::capabilities`] and [`plugin_capabilities`] say
//! what a plugin asks for.
//!
//! # Logging and tracing
//!
//! With the `tracing` feature, each plugin call is a `tracing` span
//! (`wasmer_plugin.call`: function, codec, bytes in and out, fuel used,
//! outcome) and each host-function call a child span; the plugin's log
//! records reach the subscriber when the builder forwards them
//! (`Builder::forward_plugin_logs`). Off, nothing of it is compiled.
//!
//! # When not to use it
//!
//! Plugins written in many
//! languages against rich interface types are better served by the
//! WebAssembly component model.
#![deny(missing_docs)]

#[cfg(feature = "async")]
mod async_host_functions;
#[cfg(feature = "async")]
mod async_pool;
mod builder;
mod cache;
mod capabilities;
mod caught_panic;
mod defer_start;
mod engine;
mod error;
mod features;
mod guest_memory;
mod host;
mod host_functions;
mod imports;
mod input_buffer;
mod instance;
mod limits;
mod module_shape;
mod observe;
mod pipeline;
mod plugin;
mod pool;
mod reply;
mod schemas;
mod type_check;
mod watch;

#[cfg(feature = "async")]
pub use async_host_functions::AsyncHostContext;
#[cfg(feature = "async")]
pub use async_pool::{
    AsyncCall, AsyncHostPool, AsyncPoolBuilder, DEFAULT_MAX_CONCURRENT_CALLS,
    DEFAULT_MAX_IDLE_INSTANCES,
};
pub use builder::{Builder, HostBuilder, PluginBuilder, Target};
pub use cache::{CacheOutcome, default_cache_dir};
pub use capabilities::{Clock, Randomness};
pub use error::{Error, HostFunctionFailure, TrapCode};
pub use host::{Function, Host};
pub use host_functions::HostContext;
pub use limits::{
    DEFAULT_FRESH_INSTANCE_PER_CALL, DEFAULT_FUEL_PER_CALL, DEFAULT_MAX_CALLS,
    DEFAULT_MAX_CONTROL_BLOCKS, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FUNCTION_BYTES,
    DEFAULT_MAX_FUNCTIONS, DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_MEMORY_BYTES,
    DEFAULT_MAX_MODULE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT,
};
pub use module_shape::{plugin_capabilities, plugin_functions, plugin_imports};
pub use pipeline::{Pipeline, PipelineBuilder, PipelineHost, PipelinePool};
pub use plugin::Plugin;
pub use pool::{DEFAULT_MAX_INSTANCES, HostPool};
pub use wasmer_plugin_abi::{
    ABI_VERSION, Codec, Column, ColumnBuilder, ColumnKind, Container, Field, Format,
    FunctionRecord, FunctionSchema, Layout, OLDEST_ABI_VERSION, Schema, Shape, Values, Variant,
    write_batch_header, write_column,
};
pub use wasmer_plugin_codecs::Bincode;
#[cfg(feature = "json")]
pub use wasmer_plugin_codecs::Json;
#[cfg(feature = "msgpack")]
pub use wasmer_plugin_codecs::MsgPack;
#[cfg(feature = "postcard")]
pub use wasmer_plugin_codecs::Postcard;
pub use watch::{WATCH_INTERVAL, Watcher};

/// What the fuzz targets (`fuzz/`, `fuzzing/`) drive: the host's handling
/// of bytes a plugin controls, without a plugin. Not an API.
#[doc(hidden)]
pub mod __fuzz {
    use serde::de::DeserializeOwned;
    use wasmer_plugin_abi::{SLOT_SIZE, Slot};

    use crate::guest_memory::GuestMemory;
    use crate::host::decode_output;
    use crate::reply::{panic_message, read_reply};
    use crate::{Codec, Error, FunctionRecord};

    /// The name of the feature the host refuses that `wasm` uses first,
    /// if any.
    pub fn refused_feature(wasm: &[u8]) -> Option<&'static str> {
        crate::features::refused_feature(wasm)
    }

    /// The records in a metadata section's bytes.
    pub fn metadata(section: &[u8]) -> Result<Vec<FunctionRecord>, Error> {
        crate::module_shape::parse_records(section).map(|metadata| metadata.functions)
    }

    /// What the host makes of a call that returned `returned` with the
    /// slot in `slot` over guest memory `memory`: the decoded value or an
    /// error, and the panic message the slot would give after a trap.
    pub fn reply<C: Codec, R: DeserializeOwned>(
        slot: &[u8; SLOT_SIZE],
        returned: u32,
        memory: &[u8],
        max_output_bytes: u64,
    ) -> (Result<R, Error>, Option<String>) {
        let slot = Slot::from_le_bytes(*slot);
        let mut memory = memory.to_vec();
        let memory = GuestMemory::from_bytes(&mut memory);
        // The same steps as a real call, after its bounds checks.
        let value = read_reply("fuzzed", slot, returned, &memory, max_output_bytes)
            .and_then(|reply| reply.output("fuzzed"))
            .map_err(|error| *error)
            .and_then(|output| decode_output::<C, R>("fuzzed", output));
        (value, panic_message(slot, &memory))
    }
}
