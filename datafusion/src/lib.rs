//! `#[wasmer_plugin]` functions as DataFusion scalar SQL functions, with
//! one call into the plugin per record batch.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use datafusion::prelude::SessionContext;
//! use wasmer_plugin_host::Plugin;
//!
//! let plugin = Plugin::<()>::new(&std::fs::read("functions.wasm")?)?;
//! let ctx = SessionContext::new();
//! let functions = wasmer_plugin_datafusion::register_plugin(&ctx, &plugin)?;
//! for unmapped in functions.unmapped() {
//!     eprintln!("not a SQL function: {unmapped}");
//! }
//! ctx.sql("SELECT clean_email(address) FROM users").await?.show().await?;
//! # Ok(())
//! # }
//! ```
//!
//! - Every plugin function whose arguments and result are column types
//!   (`bool`, integers up to 64 bits, `f32`, `f64`, `String`/`&str`,
//!   `Vec<u8>`/`&[u8]`, and `Option` of those) becomes a [`ScalarUDF`]
//!   of the same name; its SQL signature comes from the plugin's
//!   schemas. The others are listed by [`PluginFunctions::unmapped`] with
//!   the reason, not dropped silently.
//! - A batch crosses into the plugin once, as columns (docs/ABI.md,
//!   "Batches"); the plugin applies the function to every row. A null
//!   argument to a parameter that is not an `Option` gives a null result
//!   without calling the function.
//! - Partitions run on DataFusion's threads; each thread calls on its own
//!   instance of a [`HostPool`], and the pool's limits apply to each
//!   batch call.
//! - A failure (a panic, a limit) fails the query with an execution error
//!   naming the function, the batch's failing row and its arguments; the
//!   plugin host's error is its source, to downcast.
//!
//! For a Ballista cluster, register the same functions on the scheduler
//! and every executor with [`register_plugin_udfs`]; docs/SCALE.md has the
//! whole setup.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod columns;
mod error;
mod types;
mod udf;

use std::fmt;
use std::sync::Arc;

use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{ScalarUDF, Volatility};
use datafusion::prelude::SessionContext;
use wasmer_plugin_host::{Bincode, Codec, Host, HostPool, Plugin};

pub use error::Error;

/// A plugin function that is not a SQL function, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// The plugin function.
    pub function: String,
    /// Why it has no SQL signature.
    pub reason: String,
}

impl fmt::Display for Unmapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.function, self.reason)
    }
}

/// A plugin's functions as DataFusion scalar functions.
#[derive(Debug, Clone)]
pub struct PluginFunctions {
    udfs: Vec<Arc<ScalarUDF>>,
    unmapped: Vec<Unmapped>,
}

impl PluginFunctions {
    /// The functions of the plugin `pool` runs, as `Volatile` SQL
    /// functions (a plugin may keep state between calls, so DataFusion
    /// must not fold or reuse their results).
    pub fn new<C: Codec + 'static, S: Send + 'static>(
        pool: Arc<HostPool<C, S>>,
    ) -> Result<PluginFunctions, Error> {
        PluginFunctions::with_volatility(pool, Volatility::Volatile)
    }

    /// Like [`new`](PluginFunctions::new), with the volatility DataFusion
    /// assumes of every function: `Immutable` for pure functions lets it
    /// fold calls with constant arguments.
    pub fn with_volatility<C: Codec + 'static, S: Send + 'static>(
        pool: Arc<HostPool<C, S>>,
        volatility: Volatility,
    ) -> Result<PluginFunctions, Error> {
        let plugin = pool.plugin();
        if plugin.schemas().is_none() {
            // The schemas come with the plugin's first instance.
            drop(Host::<C, S>::from_plugin(&plugin)?);
        }
        let schemas = plugin
            .schemas()
            .expect("read by the plugin's first instance");
        let mut udfs = Vec::new();
        let mut unmapped = Vec::new();
        for (record, schema) in plugin.functions().iter().zip(schemas) {
            let name = record.name.clone();
            if !plugin.has_batch_export(&name) {
                unmapped.push(Unmapped {
                    function: name,
                    reason: "it has no batch export: its arguments or result are not all column types, or the plugin was built before ABI version 6".to_owned(),
                });
                continue;
            }
            match types::column_signature(schema) {
                Ok(columns) => {
                    let udf = udf::PluginUdf::new(name, columns, volatility, pool.clone());
                    udfs.push(Arc::new(ScalarUDF::new_from_impl(udf)));
                }
                Err(reason) => unmapped.push(Unmapped {
                    function: name,
                    reason,
                }),
            }
        }
        unmapped.sort_by(|a, b| a.function.cmp(&b.function));
        Ok(PluginFunctions { udfs, unmapped })
    }

    /// The SQL functions, one per mapped plugin function.
    pub fn udfs(&self) -> &[Arc<ScalarUDF>] {
        &self.udfs
    }

    /// The names of the SQL functions, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.udfs.iter().map(|udf| udf.name()).collect();
        names.sort_unstable();
        names
    }

    /// The plugin functions that are not SQL functions, by name.
    pub fn unmapped(&self) -> &[Unmapped] {
        &self.unmapped
    }

    /// Registers every function with `ctx`, replacing functions of the
    /// same names.
    pub fn register(&self, ctx: &SessionContext) {
        for udf in &self.udfs {
            ctx.register_udf(ScalarUDF::clone(udf));
        }
    }

    /// Registers every function into `registry`: a `SessionState`, or the
    /// registry a Ballista scheduler or executor builds its sessions from.
    pub fn register_into(&self, registry: &mut dyn FunctionRegistry) -> Result<(), Error> {
        for udf in &self.udfs {
            registry
                .register_udf(udf.clone())
                .map_err(|source| Error::Register {
                    function: udf.name().to_owned(),
                    source,
                })?;
        }
        Ok(())
    }
}

/// Registers the SQL functions of `plugin` with `ctx`, served by a new
/// [`HostPool`] (one instance per thread that calls, at most
/// [`DEFAULT_MAX_INSTANCES`](wasmer_plugin_host::DEFAULT_MAX_INSTANCES)),
/// and returns them with the functions that are not SQL functions.
pub fn register_plugin<S: Send + 'static>(
    ctx: &SessionContext,
    plugin: &Plugin<S>,
) -> Result<PluginFunctions, Error> {
    let functions = PluginFunctions::new(Arc::new(HostPool::<Bincode, S>::new(plugin)))?;
    functions.register(ctx);
    Ok(functions)
}

/// Registers the SQL functions of `plugin` into `registry` (a
/// `SessionState`, a Ballista executor's or scheduler's function
/// registry), served by a new [`HostPool`].
pub fn register_plugin_udfs<S: Send + 'static>(
    registry: &mut dyn FunctionRegistry,
    plugin: &Plugin<S>,
) -> Result<PluginFunctions, Error> {
    let functions = PluginFunctions::new(Arc::new(HostPool::<Bincode, S>::new(plugin)))?;
    functions.register_into(registry)?;
    Ok(functions)
}
