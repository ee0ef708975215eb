//! The one builder of plugins and hosts. Its limit setters live with
//! their limits (`limits/`), its cache setters with the cache.

use std::marker::PhantomData;
use std::path::Path;

use wasmer_plugin_abi::Codec;

use crate::cache::CacheSetting;
use crate::limits::Limits;
use crate::{Error, Host, Plugin};

/// Configures a [`Plugin`] (as [`PluginBuilder`]) or a [`Host`] (as
/// [`HostBuilder`]) before loading a plugin: its limits, its deadline
/// and its compiled-module cache.
///
/// ```no_run
/// use std::time::Duration;
/// use wasmer_plugin_host::{Host, Plugin, Postcard};
///
/// # fn main() -> Result<(), wasmer_plugin_host::Error> {
/// # let wasm: Vec<u8> = vec![];
/// let host = Host::<Postcard>::builder()
///     .max_output_bytes(1 << 20)
///     .build(&wasm)?;
///
/// let plugin = Plugin::builder()
///     .timeout(Duration::from_secs(1))
///     .default_cache()
///     .build(&wasm)?;
/// # Ok(()) }
/// ```
pub struct Builder<Output> {
    pub(crate) limits: Limits,
    pub(crate) cache: CacheSetting,
    output: PhantomData<fn() -> Output>,
}

/// Builds a compiled [`Plugin`]; see [`Builder`] for the settings.
pub type PluginBuilder = Builder<Plugin>;

/// Builds a [`Host`] speaking codec `C`; see [`Builder`] for the settings.
pub type HostBuilder<C = wasmer_plugin_codecs::Bincode> = Builder<Host<C>>;

impl<O> Builder<O> {
    pub(crate) fn new() -> Self {
        Builder {
            limits: Limits::default(),
            cache: CacheSetting::Off,
            output: PhantomData,
        }
    }

    fn compile(self, wasm: &[u8]) -> Result<Plugin, Error> {
        Plugin::load(wasm, self.limits, &self.cache)
    }
}

impl Builder<Plugin> {
    /// Compiles the plugin module in `wasm` (or loads it from the cache).
    pub fn build(self, wasm: impl AsRef<[u8]>) -> Result<Plugin, Error> {
        self.compile(wasm.as_ref())
    }

    /// Like [`build`](Builder::build), reading the plugin from a file.
    pub fn build_from_file(self, path: impl AsRef<Path>) -> Result<Plugin, Error> {
        self.build(read_plugin_file(path.as_ref())?)
    }
}

impl<C: Codec> Builder<Host<C>> {
    /// Compiles (or loads from the cache) and instantiates the plugin
    /// module in `wasm`.
    pub fn build(self, wasm: impl AsRef<[u8]>) -> Result<Host<C>, Error> {
        Host::from_plugin(&self.compile(wasm.as_ref())?)
    }

    /// Like [`build`](Builder::build), reading the plugin from a file.
    pub fn build_from_file(self, path: impl AsRef<Path>) -> Result<Host<C>, Error> {
        self.build(read_plugin_file(path.as_ref())?)
    }
}

fn read_plugin_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}
