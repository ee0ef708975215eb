//! The one builder of plugins and hosts. Its limit setters live with
//! their limits (`limits/`), its cache setters with the cache.

use std::marker::PhantomData;
use std::path::Path;

use wasmer_plugin_abi::Codec;

use crate::cache::CacheSetting;
use crate::host_functions::HostFunctions;
use crate::limits::Limits;
use crate::{Error, Host, Plugin};

/// Configures a [`Plugin`] (as [`PluginBuilder`]) or a [`Host`] (as
/// [`HostBuilder`]) before loading a plugin: its limits, its deadline,
/// its compiled-module cache, and the host functions it may import with
/// the state they share.
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
pub struct Builder<Output: Target> {
    pub(crate) limits: Limits,
    pub(crate) cache: CacheSetting,
    pub(crate) host: HostFunctions<Output::State>,
    output: PhantomData<fn() -> Output>,
}

/// A clone builds with the same settings and host functions: what a new
/// version of a running plugin is built with
/// ([`HostPool::reload`](crate::HostPool::reload)).
impl<O: Target> Clone for Builder<O> {
    fn clone(&self) -> Self {
        Builder::with_parts(self.limits, self.cache.clone(), self.host.clone())
    }
}

/// Builds a compiled [`Plugin`] whose instances have state `S`; see
/// [`Builder`] for the settings.
pub type PluginBuilder<S = ()> = Builder<Plugin<S>>;

/// Builds a [`Host`] speaking codec `C` with state `S`; see [`Builder`]
/// for the settings.
pub type HostBuilder<C = wasmer_plugin_codecs::Bincode, S = ()> = Builder<Host<C, S>>;

/// What a [`Builder`] builds: a [`Plugin`] or a [`Host`]. Sealed; name it
/// to register one set of host functions on either builder:
///
/// ```
/// use wasmer_plugin_host::{Builder, Host, Plugin, Target};
///
/// fn with_logging<O: Target>(builder: Builder<O>) -> Builder<O> {
///     builder.host_fn("log", |_, line: String| eprintln!("plugin: {line}"))
/// }
///
/// let plugin_builder = with_logging(Plugin::builder());
/// let host_builder = with_logging(Host::<wasmer_plugin_host::Postcard>::builder());
/// # let _ = (plugin_builder, host_builder);
/// ```
pub trait Target: sealed::Sealed {
    /// The state of each instance that host functions see.
    type State: Send + 'static;
    /// The codec [`Builder::host_fn`] registers host functions in.
    type Codec: Codec;
}

mod sealed {
    pub trait Sealed {}
    impl<S> Sealed for crate::Plugin<S> {}
    impl<C: wasmer_plugin_abi::Codec, S> Sealed for crate::Host<C, S> {}
}

impl<S: Send + 'static> Target for Plugin<S> {
    type State = S;
    type Codec = wasmer_plugin_codecs::Bincode;
}

impl<C: Codec, S: Send + 'static> Target for Host<C, S> {
    type State = S;
    type Codec = C;
}

impl<O: Target<State = ()>> Builder<O> {
    pub(crate) fn new() -> Self {
        Builder::with_parts(Limits::default(), CacheSetting::Off, HostFunctions::new())
    }
}

impl<O: Target> Builder<O> {
    pub(crate) fn with_parts(
        limits: Limits,
        cache: CacheSetting,
        host: HostFunctions<O::State>,
    ) -> Self {
        Builder {
            limits,
            cache,
            host,
            output: PhantomData,
        }
    }

    fn compile(self, wasm: &[u8]) -> Result<Plugin<O::State>, Error> {
        Plugin::load(wasm, self.limits, &self.cache, self.host)
    }
}

impl<S: Send + 'static> Builder<Plugin<S>> {
    /// Compiles the plugin module in `wasm` (or loads it from the cache),
    /// checking that this builder provides every host function it imports.
    pub fn build(self, wasm: impl AsRef<[u8]>) -> Result<Plugin<S>, Error> {
        self.compile(wasm.as_ref())
    }

    /// Like [`build`](Builder::build), reading the plugin from a file.
    pub fn build_from_file(self, path: impl AsRef<Path>) -> Result<Plugin<S>, Error> {
        self.build(read_plugin_file(path.as_ref())?)
    }
}

impl<C: Codec, S: Send + 'static> Builder<Host<C, S>> {
    /// Compiles (or loads from the cache) and instantiates the plugin
    /// module in `wasm`, checking first that this builder provides every
    /// host function it imports.
    pub fn build(self, wasm: impl AsRef<[u8]>) -> Result<Host<C, S>, Error> {
        Host::from_plugin(&self.compile(wasm.as_ref())?)
    }

    /// Like [`build`](Builder::build), reading the plugin from a file.
    pub fn build_from_file(self, path: impl AsRef<Path>) -> Result<Host<C, S>, Error> {
        self.build(read_plugin_file(path.as_ref())?)
    }
}

fn read_plugin_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}
