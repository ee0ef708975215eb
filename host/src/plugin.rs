//! A compiled plugin: made once, shared by every instance on any thread.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmer::{Engine, Module};
use wasmer_plugin_abi::FunctionRecord;

use crate::cache::{CacheOutcome, CacheSetting, Loaded, SchemasFile, load_or_compile};
use crate::engine::plugin_engine;
use crate::host_functions::{HostFunctions, Linked};
use crate::limits::Limits;
use crate::module_shape::ModuleShape;
use crate::schemas::Schemas;
use crate::{Error, PluginBuilder};

/// A plugin module compiled once, with its metadata and limits: the thing
/// to keep, clone and share across threads. Instances are made from it
/// without compiling again: a [`Host`](crate::Host) for one thread with
/// [`Host::from_plugin`](crate::Host::from_plugin), or a
/// [`HostPool`](crate::HostPool) for calls from any thread.
///
/// ```no_run
/// use wasmer_plugin_host::{Bincode, Host, Plugin};
///
/// # fn main() -> Result<(), wasmer_plugin_host::Error> {
/// let plugin = Plugin::from_file("plugin.wasm")?;
/// let workers: Vec<_> = (0..4)
///     .map(|i| {
///         let plugin = plugin.clone();
///         std::thread::spawn(move || -> Result<String, wasmer_plugin_host::Error> {
///             let mut host = Host::<Bincode>::from_plugin(&plugin)?;
///             host.call("greet", &("worker", i))
///         })
///     })
///     .collect();
/// # Ok(()) }
/// ```
///
/// Cloning is cheap (a reference count); the compiled code is freed when
/// the last clone and the last instance made from it are dropped.
///
/// `S` is the state each instance keeps for its host functions (see
/// [`Builder::state`](crate::Builder::state)); `()` without one.
pub struct Plugin<S = ()> {
    inner: Arc<Compiled<S>>,
}

impl<S> Clone for Plugin<S> {
    fn clone(&self) -> Self {
        Plugin {
            inner: self.inner.clone(),
        }
    }
}

struct Compiled<S> {
    /// Tells this plugin's function handles from another's.
    id: u64,
    /// The plugin's own engine: it carries the plugin's memory budget and
    /// the middlewares its limits need.
    engine: Engine,
    module: Module,
    functions: Vec<FunctionRecord>,
    /// The ABI version of each function's record, which says what its
    /// export returns.
    function_versions: Vec<u32>,
    /// The host functions the plugin declares it imports.
    imports: Vec<FunctionRecord>,
    /// What each import of the module is bound to.
    linked: Linked<S>,
    limits: Limits,
    cache: CacheOutcome,
    /// The functions' schemas, read by the first instance or from the
    /// cache.
    schemas: Schemas,
    /// Where the schemas go once the first instance has read them, when
    /// the cache did not have them.
    schemas_file: Option<SchemasFile>,
}

// A compiled plugin crosses threads; its instances do not.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Plugin>();
    assert_send_sync::<Plugin<std::cell::Cell<u8>>>();
};

static NEXT_PLUGIN_ID: AtomicU64 = AtomicU64::new(0);

impl Plugin {
    /// Compiles the plugin in `wasm` with default limits.
    pub fn new(wasm: impl AsRef<[u8]>) -> Result<Plugin, Error> {
        Plugin::builder().build(wasm)
    }

    /// Reads and compiles the plugin file at `path` with default limits.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Plugin, Error> {
        Plugin::builder().build_from_file(path)
    }

    /// A builder for a plugin with non-default limits, a deadline or a
    /// cache.
    pub fn builder() -> PluginBuilder {
        PluginBuilder::new()
    }
}

impl<S> Plugin<S> {
    pub(crate) fn load(
        wasm: &[u8],
        limits: Limits,
        cache: &CacheSetting,
        host: HostFunctions<S>,
    ) -> Result<Plugin<S>, Error> {
        let ModuleShape {
            functions,
            function_versions,
            imports,
            module_imports,
            budget,
        } = ModuleShape::read(wasm, &limits)?;
        // Before compiling: a plugin this host cannot run costs nothing.
        let linked = host.link(&imports, &module_imports)?;
        let engine = plugin_engine(&limits, budget);
        let Loaded {
            module,
            outcome: cache,
            schemas: schemas_file,
        } = load_or_compile(cache, &engine, wasm, &limits, budget)?;
        let schemas = Schemas::default();
        // A hit whose schemas file is usable needs no instance to read
        // them; otherwise the first instance reads them and fills it.
        let read_from_cache = matches!(cache, CacheOutcome::Hit { .. })
            && schemas_file.as_ref().is_some_and(|file| {
                file.read()
                    .and_then(|body| schemas.read_stored(&body, functions.len(), &linked))
                    .is_ok()
            });
        let schemas_file = schemas_file.filter(|_| !read_from_cache);
        Ok(Plugin {
            inner: Arc::new(Compiled {
                id: NEXT_PLUGIN_ID.fetch_add(1, Ordering::Relaxed),
                engine,
                module,
                functions,
                function_versions,
                imports,
                linked,
                limits,
                cache,
                schemas,
                schemas_file,
            }),
        })
    }

    /// The plugin's functions, as its metadata describes them.
    pub fn functions(&self) -> &[FunctionRecord] {
        &self.inner.functions
    }

    /// The ABI version each function's record names, in the order of
    /// [`functions`](Plugin::functions).
    pub(crate) fn function_versions(&self) -> &[u32] {
        &self.inner.function_versions
    }

    /// Whether plugin function `name` has a batch export, for
    /// [`Host::call_batch`](crate::Host::call_batch): since ABI version 6,
    /// functions whose arguments and result are all column types do
    /// (docs/ABI.md, "Batches").
    pub fn has_batch_export(&self, name: &str) -> bool {
        let export = wasmer_plugin_abi::batch_export_name(name);
        self.inner.module.exports().any(|candidate| {
            candidate.name() == export
                && matches!(candidate.ty(), wasmer::ExternType::Function(function)
                    if function.params() == [wasmer::Type::I32, wasmer::Type::I32]
                        && function.results() == [wasmer::Type::I32])
        })
    }

    /// The host functions the plugin imports, as its metadata describes
    /// them; the builder provided each.
    pub fn imports(&self) -> &[FunctionRecord] {
        &self.inner.imports
    }

    /// The capabilities the plugin asks for (`"clock"`, `"randomness"`),
    /// sorted: the builder granted each.
    pub fn capabilities(&self) -> &[&'static str] {
        &self.inner.linked.capabilities
    }

    /// The schema of each of the plugin's functions, in the order of
    /// [`functions`](Plugin::functions), or `None` until the first
    /// instance (a [`Host`](crate::Host) or a pool's) has read them. A
    /// plugin loaded from the cache has them from the start once an
    /// instance of an earlier build of it read them. A side the plugin
    /// could not describe holds the reason, and is not checked.
    pub fn schemas(&self) -> Option<&[wasmer_plugin_abi::FunctionSchema]> {
        self.inner.schemas.get()
    }

    /// The schema of each host function the module imports (by name, in
    /// the module's order: the arguments the plugin sends, the reply it
    /// reads), or `None` until the first instance has read them (or, as
    /// for [`schemas`](Plugin::schemas), the cache had them). Host
    /// functions the plugin declares but never calls are not imported,
    /// and not listed.
    pub fn host_function_schemas(&self) -> Option<&[(String, wasmer_plugin_abi::FunctionSchema)]> {
        self.inner.schemas.host_functions()
    }

    pub(crate) fn type_checks(&self) -> &Schemas {
        &self.inner.schemas
    }

    /// Keeps the schemas the first instance read (`body`, see
    /// [`Schemas::read`]) in the cache for the next build, where there is
    /// one. A cache that cannot be written fails nothing: the next build
    /// reads them through its first instance again.
    pub(crate) fn store_schemas(&self, body: &[u8]) {
        if let Some(file) = &self.inner.schemas_file {
            let _ = file.write(body);
        }
    }

    pub(crate) fn linked(&self) -> &Linked<S> {
        &self.inner.linked
    }

    /// Whether the compiled code came from the cache, was compiled and
    /// stored, or why it was not.
    pub fn cache_outcome(&self) -> &CacheOutcome {
        &self.inner.cache
    }

    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn module(&self) -> &Module {
        &self.inner.module
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.limits
    }
}

impl<S> fmt::Debug for Plugin<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("functions", &self.inner.functions)
            .field("imports", &self.inner.imports)
            .field("limits", &self.inner.limits)
            .field("cache", &self.inner.cache)
            .finish_non_exhaustive()
    }
}
