//! Write WebAssembly plugins for Rust hosts as plain Rust functions.
//!
//! Mark a `pub fn` with [`#[wasmer_plugin]`](macro@wasmer_plugin), build the
//! crate as a `cdylib` for `wasm32-unknown-unknown`, and a host built on
//! `wasmer-plugin-host` can call it with typed Rust values:
//!
//! ```
//! use wasmer_plugin::*;
//!
//! #[wasmer_plugin]
//! pub fn greet(name: &str, times: u32) -> String {
//!     format!("Hello, {name}! ").repeat(times as usize)
//! }
//!
//! // Still an ordinary function, callable and testable natively:
//! assert_eq!(greet("wasm", 2), "Hello, wasm! Hello, wasm! ");
//! ```
//!
//! The host side is `Host::<Bincode>::new(&wasm)?.call::<_, String>("greet", &("wasm", 2))`.
//!
//! # The attribute
//!
//! - Any number of arguments. One argument crosses as the bare value,
//!   several as a tuple, none as `()`: the host passes `&x`, `&(a, b, c)`
//!   or `&()`.
//! - Argument and return types implement serde's `Deserialize` and
//!   `Serialize`. `&str` and `&[u8]` arguments borrow from the input
//!   without a copy where the codec allows it; any other `&T` is decoded
//!   as `T` and passed by reference.
//! - Byte buffers need nothing special: `&[u8]`, `Vec<u8>` and
//!   `Box<[u8]>` arguments and return values cross in one copy with every
//!   binary codec, without `serde_bytes`. In your own types they do too
//!   with bincode and postcard; with MessagePack a nested buffer stays an
//!   array unless its field says `#[serde(with = "serde_bytes")]` (the
//!   README's "Byte buffers" table has the whole rule).
//! - A missing return type is `()`. `Result<T, E>` is an ordinary value:
//!   the host receives the plugin's `Err` as a value, not as a failure.
//! - `#[wasmer_plugin(codec = "postcard")]` picks a codec by name
//!   (`"bincode"`, the default, `"msgpack"`, `"postcard"`, `"json"`; each
//!   behind the cargo feature of the same name), and
//!   `codec = path::to::MyCodec` any type implementing [`Codec`]. One
//!   crate may mix codecs function by function.
//! - `crate = "::renamed"` names this crate when it is a renamed
//!   dependency.
//! - A panic reaches the host as an error holding its message and source
//!   location.
//! - A function whose parameters and result are all column types
//!   (`bool`, the integers up to 64 bits, `f32`, `f64`, `String`, `&str`,
//!   `Vec<u8>`, `&[u8]`, and `Option` of any of them, spelled so) also
//!   gets a batch export, which runs it on every row of a batch of
//!   columns in one call: how `wasmer-plugin-datafusion` serves it as a
//!   SQL function. A null argument to a parameter that is not an
//!   `Option` makes that row's result null without calling it.
//!
//! # Host functions
//!
//! [`#[host_functions]`](macro@host_functions) on an `extern "C"` block
//! declares functions the plugin imports from its host; each becomes a
//! safe Rust function of the same signature:
//!
//! ```
//! use wasmer_plugin::{host_functions, wasmer_plugin};
//!
//! #[host_functions]
//! extern "C" {
//!     /// Appends a line to the host's log.
//!     fn log(line: &str);
//!     /// The host's setting for `key`.
//!     fn config(key: &str) -> Option<String>;
//! }
//!
//! #[wasmer_plugin]
//! pub fn greet(name: &str) -> String {
//!     log("greeting");
//!     let greeting = config("greeting").unwrap_or_else(|| "Hello".into());
//!     format!("{greeting}, {name}!")
//! }
//! ```
//!
//! - Arguments follow the plugin-function rule (the host's closure gets
//!   the bare value, a tuple, or `()`), with any serde type, `&str`,
//!   `&[u8]` or `&T`; replies are owned types, `Option` and `Result`
//!   among them, decoded as values.
//! - `codec = "postcard"` (and `crate = …`) as for `#[wasmer_plugin]`;
//!   the default is bincode. The host must register each function in the
//!   same codec, and refuses to load the plugin otherwise.
//! - The import names, codecs and types go into the plugin's metadata;
//!   a host that lacks one names every missing function when it loads
//!   the plugin.
//! - When the host function fails (returns an error, panics, or gets
//!   arguments it cannot decode) the plugin call ends there and the host
//!   reports the failure: plugin code after the call does not run. A
//!   failure the plugin should handle comes back as a `Result` value.
//! - Outside a wasm32 plugin (a native unit test of plugin code), calling
//!   one panics, saying so.
//!
//! The generated export is named `__wasmer_plugin_fn_<name>` and lives in
//! an anonymous `const _` block, so it collides with nothing of yours.
//! `docs/ABI.md` in the repository describes the wire contract.
//!
//! # Clocks and randomness
//!
//! std has no clock on `wasm32-unknown-unknown` and getrandom no backend:
//! [`clock`] reads the host's time and [`random`] its random bytes, and the
//! `getrandom` feature serves getrandom's custom backend (so that `rand`
//! and `uuid` work unchanged) when the plugin is built with
//! `--cfg getrandom_backend="custom"`. The host must grant each; the
//! README's "Clocks and randomness" section has the whole story.
//!
//! # Logging
//!
//! With the `log` feature the runtime installs a `log` logger that sends
//! each record to the host, which forwards it to its `tracing` subscriber
//! when it opts in; `tracing` events reach it too through tracing's `log`
//! feature.
//!
//! # When not to use it
//!
//! For plugins in several languages with rich interface types, the
//! WebAssembly component model is the standard route. This crate is for
//! Rust hosts calling Rust plugins (or anything that speaks its small
//! documented ABI) with the least per-call cost.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod clock;
mod convert;
mod guest;
pub mod random;

pub use convert::{convert_ret, convert_slice};
pub use guest::record_panic;
pub use wasmer_plugin_abi::Codec;
#[cfg(feature = "bincode")]
pub use wasmer_plugin_codecs::Bincode;
#[cfg(feature = "json")]
pub use wasmer_plugin_codecs::Json;
#[cfg(feature = "msgpack")]
pub use wasmer_plugin_codecs::MsgPack;
#[cfg(feature = "postcard")]
pub use wasmer_plugin_codecs::Postcard;
pub use wasmer_plugin_macros::{host_functions, wasmer_plugin};

/// What the code `#[wasmer_plugin]` and `#[host_functions]` generate
/// refers to: the guest runtime and the parts of the contract records
/// are built from. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::guest::*;
    pub use wasmer_plugin_abi::{
        BatchError, Codec, Column, ColumnBuilder, ColumnKind, FunctionSchema, RECORD_KIND_FUNCTION,
        RECORD_KIND_IMPORT, record, record_len,
    };
}
