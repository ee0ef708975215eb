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
//! # When not to use it
//!
//! A host here runs one plugin instance on the calling thread. Plugins
//! that must run untrusted code under CPU or memory budgets need the limits
//! of a later release; plugins written in many languages against rich
//! interface types are better served by the WebAssembly component model.
#![deny(missing_docs)]

mod engine;
mod error;
mod host;
mod instance;
mod limits;
mod memory_limit;
mod reply;

pub use error::Error;
pub use host::{Function, Host, HostBuilder};
pub use wasmer_plugin_abi::{ABI_VERSION, Codec, FunctionRecord};
pub use wasmer_plugin_codecs::Bincode;
#[cfg(feature = "json")]
pub use wasmer_plugin_codecs::Json;
#[cfg(feature = "msgpack")]
pub use wasmer_plugin_codecs::MsgPack;
#[cfg(feature = "postcard")]
pub use wasmer_plugin_codecs::Postcard;
