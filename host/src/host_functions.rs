//! Host functions: what a builder registers, what a host function sees
//! ([`HostContext`]), and the check, before anything is instantiated, that
//! a plugin's declared imports are all provided in the codec it uses.

use std::any::type_name;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_abi::{
    Codec, FunctionRecord, HOST_FUNCTION_PREFIX, IMPORT_MODULE, LOG_IMPORT, Layout, Schema,
    TAKE_REPLY_IMPORT, trace_type,
};

use crate::builder::Target;
use crate::capabilities::{CapabilityImport, Grants};
use crate::reply::cap_message;
use crate::schemas::ReplyCheck;
use crate::{Builder, Error, Host, HostFunctionFailure, Plugin};

/// What a host function gets besides its arguments: the state of the
/// instance that called it.
///
/// A host function cannot reach the plugin through it: host functions do
/// not call back into the plugin that called them (docs/SECURITY.md).
pub struct HostContext<'a, S> {
    pub(crate) state: &'a mut S,
    pub(crate) name: &'a str,
}

impl<S> HostContext<'_, S> {
    /// The calling instance's state, as the builder's
    /// [`state`](Builder::state) made it and earlier calls left it.
    pub fn state(&self) -> &S {
        self.state
    }

    /// The calling instance's state, to change.
    pub fn state_mut(&mut self) -> &mut S {
        self.state
    }

    /// The name of the host function running, as the plugin imports it.
    pub fn name(&self) -> &str {
        self.name
    }
}

impl<S> fmt::Debug for HostContext<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostContext")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Decodes the arguments, runs the host function, checks its reply's
/// type the first time, encodes the reply.
pub(crate) type Thunk<S> = dyn Fn(&mut HostContext<'_, S>, &[u8], &mut Vec<u8>, &ReplyCheck) -> Result<(), HostFunctionFailure>
    + Send
    + Sync;

/// One registered host function, with what its type check needs: a
/// builder makes one plugin, so these belong to that plugin alone.
pub(crate) struct HostFn<S> {
    /// Shared, so that an async host call's context names it without a
    /// copy.
    pub(crate) name: Arc<str>,
    pub(crate) codec: &'static str,
    pub(crate) layout: Layout,
    /// The type the host decodes the plugin's arguments as, traced from
    /// its `Deserialize` when registered (or why it could not be).
    pub(crate) args: Result<Schema, String>,
    /// The check of its reply against the plugin's schema.
    pub(crate) reply: ReplyCheck,
    pub(crate) body: Body<S>,
}

/// What runs when the plugin calls a host function.
pub(crate) enum Body<S> {
    Sync(Arc<Thunk<S>>),
    /// Only an async call can run it (`AsyncHostPool`); a sync call that
    /// reaches it fails with `HostFunctionFailure::BadCall`.
    #[cfg(feature = "async")]
    Async(Arc<crate::async_host_functions::AsyncThunk<S>>),
}

impl<S> Clone for Body<S> {
    fn clone(&self) -> Self {
        match self {
            Body::Sync(thunk) => Body::Sync(thunk.clone()),
            #[cfg(feature = "async")]
            Body::Async(thunk) => Body::Async(thunk.clone()),
        }
    }
}

impl<S> HostFn<S> {
    /// The same host function for another plugin: its reply check starts
    /// over, as it belongs to the plugin it checks.
    fn for_another_plugin(&self) -> HostFn<S> {
        HostFn {
            name: self.name.clone(),
            codec: self.codec,
            layout: self.layout,
            args: self.args.clone(),
            reply: ReplyCheck::default(),
            body: self.body.clone(),
        }
    }
}

/// A builder's clone builds plugins of its own.
impl<S> Clone for HostFunctions<S> {
    fn clone(&self) -> Self {
        HostFunctions {
            functions: self
                .functions
                .iter()
                .map(|function| Arc::new(function.for_another_plugin()))
                .collect(),
            duplicate: self.duplicate.clone(),
            init: self.init.clone(),
            grants: self.grants.clone(),
            forward_logs: self.forward_logs,
        }
    }
}

impl<S: 'static> HostFn<S> {
    /// Whether the host function returns a future.
    #[cfg(feature = "async")]
    pub(crate) fn is_async(&self) -> bool {
        matches!(self.body, Body::Async(_))
    }

    /// The body of a sync host function (one that [`is_async`] is not).
    pub(crate) fn sync_thunk(&self) -> &Thunk<S> {
        match &self.body {
            Body::Sync(thunk) => &**thunk,
            #[cfg(feature = "async")]
            Body::Async(_) => unreachable!("async host functions are bound as such"),
        }
    }
}

/// What a builder collected: the host functions and how to make each
/// instance's state.
pub(crate) struct HostFunctions<S> {
    functions: Vec<Arc<HostFn<S>>>,
    /// A name registered twice, reported when the builder builds.
    duplicate: Option<String>,
    pub(crate) init: Arc<dyn Fn() -> S + Send + Sync>,
    /// The capabilities granted besides.
    pub(crate) grants: Grants,
    /// Whether the plugin's log records go to the `tracing` subscriber.
    pub(crate) forward_logs: bool,
}

impl HostFunctions<()> {
    pub(crate) fn new() -> Self {
        HostFunctions {
            functions: Vec::new(),
            duplicate: None,
            init: Arc::new(|| ()),
            grants: Grants::default(),
            forward_logs: false,
        }
    }

    /// The same functions for instances whose state `init` makes: they
    /// never looked at the `()` they had.
    fn with_state<S: 'static>(self, init: Arc<dyn Fn() -> S + Send + Sync>) -> HostFunctions<S> {
        let functions = self
            .functions
            .into_iter()
            .map(|function| {
                let (name, codec, layout) =
                    (function.name.clone(), function.codec, function.layout);
                let args = function.args.clone();
                #[cfg(feature = "async")]
                if function.is_async() {
                    return Arc::new(HostFn {
                        name,
                        codec,
                        layout,
                        args,
                        reply: ReplyCheck::default(),
                        body: Body::Async(
                            crate::async_host_functions::without_state(function).into(),
                        ),
                    });
                }
                let body = Body::Sync(Arc::new(move |context, input, out, reply| {
                    let mut unit = ();
                    let mut context = HostContext {
                        state: &mut unit,
                        name: context.name,
                    };
                    function.sync_thunk()(&mut context, input, out, reply)
                }));
                Arc::new(HostFn {
                    name,
                    codec,
                    layout,
                    args,
                    reply: ReplyCheck::default(),
                    body,
                })
            })
            .collect();
        HostFunctions {
            functions,
            duplicate: self.duplicate,
            init,
            grants: self.grants,
            forward_logs: self.forward_logs,
        }
    }
}

impl<S> HostFunctions<S> {
    fn register(&mut self, function: HostFn<S>) {
        if self.functions.iter().any(|f| f.name == function.name) {
            self.duplicate.get_or_insert(function.name.to_string());
            return;
        }
        self.functions.push(Arc::new(function));
    }

    /// The host function for each import of the module, checked against
    /// what the plugin declares (`declared`) and what the module imports
    /// (`module_imports`, `(module, name)` pairs), before anything runs.
    pub(crate) fn link(
        self,
        declared: &[FunctionRecord],
        module_imports: &[(String, String)],
    ) -> Result<Linked<S>, Error> {
        if let Some(name) = self.duplicate {
            return Err(Error::DuplicateHostFunction { name });
        }
        let mut provided: BTreeMap<&str, &Arc<HostFn<S>>> = BTreeMap::new();
        for function in &self.functions {
            provided.insert(&*function.name, function);
        }
        let mut missing: Vec<&FunctionRecord> = declared
            .iter()
            .filter(|import| !provided.contains_key(&*import.name))
            .collect();
        // By name, so that the message reads the same however the plugin
        // orders its imports.
        missing.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let missing: Vec<String> = missing
            .into_iter()
            .map(|import| {
                cap_message(format!(
                    "`{}`: {} -> {} ({})",
                    import.name, import.args, import.ret, import.codec
                ))
            })
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingHostFunctions { missing });
        }
        for import in declared {
            let function = provided[&*import.name];
            if import.codec != function.codec {
                return Err(Error::HostFunctionCodecMismatch {
                    host_function: import.name.clone(),
                    plugin: import.codec.clone(),
                    host: function.codec,
                });
            }
        }
        let declared_names: BTreeSet<&str> = declared.iter().map(|i| &*i.name).collect();
        let mut imports = Vec::new();
        for (module, name) in module_imports {
            let unknown = || Error::UnknownImport {
                module: cap_message(module.clone()),
                name: cap_message(name.clone()),
            };
            if module != IMPORT_MODULE {
                return Err(unknown());
            }
            let binding = if name == TAKE_REPLY_IMPORT {
                Binding::TakeReply
            } else if name == LOG_IMPORT {
                Binding::Log
            } else if let Some(capability) = CapabilityImport::named(name) {
                self.grants.check(capability)?;
                Binding::Capability(capability)
            } else {
                let Some(host_name) = name
                    .strip_prefix(HOST_FUNCTION_PREFIX)
                    .filter(|host_name| declared_names.contains(host_name))
                else {
                    return Err(unknown());
                };
                Binding::HostFunction(provided[host_name].clone())
            };
            imports.push(LinkedImport {
                name: name.clone(),
                binding,
            });
        }
        Ok(Linked {
            capabilities: crate::capabilities::requested(module_imports),
            imports,
            init: self.init,
            grants: self.grants,
            forward_logs: self.forward_logs,
        })
    }
}

/// The host functions of a loaded plugin, one per import of its module in
/// the module's order, and how to make an instance's state.
pub(crate) struct Linked<S> {
    pub(crate) imports: Vec<LinkedImport<S>>,
    pub(crate) init: Arc<dyn Fn() -> S + Send + Sync>,
    /// What each instance's clock and generator start from.
    pub(crate) grants: Grants,
    /// The capabilities the module asks for, sorted.
    pub(crate) capabilities: Vec<&'static str>,
    /// Whether the plugin's log records go to the `tracing` subscriber.
    pub(crate) forward_logs: bool,
}

impl<S> Linked<S> {
    /// The host functions the module imports, in the module's order.
    pub(crate) fn host_functions(&self) -> impl Iterator<Item = &Arc<HostFn<S>>> {
        self.imports
            .iter()
            .filter_map(|import| match &import.binding {
                Binding::HostFunction(host_fn) => Some(host_fn),
                Binding::TakeReply | Binding::Capability(_) | Binding::Log => None,
            })
    }
}

/// One import of the module: its name in [`IMPORT_MODULE`] and what it
/// is bound to.
pub(crate) struct LinkedImport<S> {
    pub(crate) name: String,
    pub(crate) binding: Binding<S>,
}

pub(crate) enum Binding<S> {
    HostFunction(Arc<HostFn<S>>),
    TakeReply,
    Capability(CapabilityImport),
    Log,
}

/// The plugin's arguments decoded as `A`, or why they could not be.
pub(crate) fn decode_arguments<K: Codec, A: DeserializeOwned>(
    input: &[u8],
) -> Result<A, HostFunctionFailure> {
    K::decode::<A>(input).map_err(|err| HostFunctionFailure::Decode {
        expected: type_name::<A>(),
        codec: K::NAME,
        // The codec's message may quote what the plugin sent.
        message: cap_message(err.to_string()),
    })
}

/// A host function's reply, checked against the plugin's type the first
/// time and encoded into `out`.
pub(crate) fn encode_reply<K: Codec, R: Serialize>(
    reply: &R,
    check: &ReplyCheck,
    out: &mut Vec<u8>,
) -> Result<(), HostFunctionFailure> {
    check.check::<K, R>(reply)?;
    K::encode(reply, out).map_err(|err| HostFunctionFailure::Encode {
        codec: K::NAME,
        message: err.to_string(),
    })
}

fn thunk<S, K, A, R, F>(function: F) -> Box<Thunk<S>>
where
    K: Codec,
    A: DeserializeOwned,
    R: Serialize,
    F: Fn(&mut HostContext<'_, S>, A) -> Result<R, HostFunctionFailure> + Send + Sync + 'static,
{
    Box::new(move |context, input, out, reply_check| {
        let args = decode_arguments::<K, A>(input)?;
        let reply = function(context, args)?;
        encode_reply::<K, R>(&reply, reply_check, out)
    })
}

/// Host functions and per-instance state. A plugin may import any of the
/// registered functions; the ones it does not import are never called.
impl<O: Target> Builder<O> {
    /// Registers host function `name` in the builder's codec (the host's
    /// codec for a [`HostBuilder`](crate::HostBuilder), bincode for a
    /// [`PluginBuilder`](crate::PluginBuilder)). It gets the calling
    /// instance's [`HostContext`] and the plugin's arguments decoded as
    /// `A` (the bare value for one argument, a tuple for several, `()` for
    /// none) and returns the reply.
    ///
    /// A panic ends the plugin call with [`Error::HostFunction`]
    /// ([`HostFunctionFailure::Panicked`]);
    /// the host goes on. For failures the plugin should not see as a
    /// value, use [`try_host_fn`](Builder::try_host_fn).
    pub fn host_fn<A, R, F>(self, name: &str, function: F) -> Self
    where
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        F: Fn(&mut HostContext<'_, O::State>, A) -> R + Send + Sync + 'static,
    {
        self.host_fn_in::<O::Codec, A, R, F>(name, function)
    }

    /// Like [`host_fn`](Builder::host_fn), for a host function the plugin
    /// declares without arguments: `host_fn0("now", |ctx| ...)` rather
    /// than `host_fn("now", |ctx, (): ()| ...)`.
    pub fn host_fn0<R, F>(self, name: &str, function: F) -> Self
    where
        R: Serialize + 'static,
        F: Fn(&mut HostContext<'_, O::State>) -> R + Send + Sync + 'static,
    {
        self.host_fn_in::<O::Codec, (), R, _>(name, move |context, ()| function(context))
    }

    /// Like [`host_fn`](Builder::host_fn), for plugins that declare the
    /// import with codec `K`.
    pub fn host_fn_in<K, A, R, F>(self, name: &str, function: F) -> Self
    where
        K: Codec,
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        F: Fn(&mut HostContext<'_, O::State>, A) -> R + Send + Sync + 'static,
    {
        self.register::<K, A>(
            name,
            thunk::<_, K, A, R, _>(move |context, args| Ok(function(context, args))),
        )
    }

    /// Registers a host function that can fail: its `Err` ends the plugin
    /// call with [`Error::HostFunction`], whose failure is
    /// [`HostFunctionFailure::Returned`] holding the error itself (reach
    /// it with [`Error::host_error`] and downcast it to its type); the
    /// plugin sees nothing of it. `Ok(reply)` is the reply. Any error type
    /// will do, and a `String` or `&str` message. (To hand the plugin a
    /// `Result` it can match, register a [`host_fn`](Builder::host_fn)
    /// that returns one.)
    pub fn try_host_fn<A, R, E, F>(self, name: &str, function: F) -> Self
    where
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: Fn(&mut HostContext<'_, O::State>, A) -> Result<R, E> + Send + Sync + 'static,
    {
        self.try_host_fn_in::<O::Codec, A, R, E, F>(name, function)
    }

    /// Like [`try_host_fn`](Builder::try_host_fn), for a host function
    /// the plugin declares without arguments (see
    /// [`host_fn0`](Builder::host_fn0)).
    pub fn try_host_fn0<R, E, F>(self, name: &str, function: F) -> Self
    where
        R: Serialize + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: Fn(&mut HostContext<'_, O::State>) -> Result<R, E> + Send + Sync + 'static,
    {
        self.try_host_fn_in::<O::Codec, (), R, E, _>(name, move |context, ()| function(context))
    }

    /// Like [`try_host_fn`](Builder::try_host_fn), for plugins that
    /// declare the import with codec `K`.
    pub fn try_host_fn_in<K, A, R, E, F>(self, name: &str, function: F) -> Self
    where
        K: Codec,
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: Fn(&mut HostContext<'_, O::State>, A) -> Result<R, E> + Send + Sync + 'static,
    {
        self.register::<K, A>(
            name,
            thunk::<_, K, A, R, _>(move |context, args| {
                function(context, args).map_err(|err| HostFunctionFailure::Returned(err.into()))
            }),
        )
    }

    /// Registers `thunk`, describing its argument type `A` for the check
    /// against the plugin's schemas.
    fn register<K: Codec, A: DeserializeOwned>(
        self,
        name: &str,
        thunk: Box<Thunk<O::State>>,
    ) -> Self {
        self.register_body::<K, A>(name, Body::Sync(thunk.into()))
    }

    /// Registers a host function's body, describing its argument type `A`
    /// for the check against the plugin's schemas.
    pub(crate) fn register_body<K: Codec, A: DeserializeOwned>(
        mut self,
        name: &str,
        body: Body<O::State>,
    ) -> Self {
        self.host.register(HostFn {
            name: Arc::from(name),
            codec: K::NAME,
            layout: K::LAYOUT,
            args: trace_type::<A>(K::LAYOUT),
            reply: ReplyCheck::default(),
            body,
        });
        self
    }
}

impl Builder<Plugin> {
    /// Gives every instance of the plugin a state of type `S`, made by
    /// `init` when the instance is made, that host functions read and
    /// change through [`HostContext::state_mut`]. Host functions
    /// registered before keep working; they see no state.
    pub fn state<S: Send + 'static>(
        self,
        init: impl Fn() -> S + Send + Sync + 'static,
    ) -> Builder<Plugin<S>> {
        let host = self.host.with_state(Arc::new(init));
        Builder::with_parts(self.limits, self.cache, host)
    }
}

impl<C: Codec> Builder<Host<C>> {
    /// Gives the host a state of type `S`, made by `init`, that host
    /// functions read and change through [`HostContext::state_mut`] and
    /// the host through [`Host::state`]. Host functions registered before
    /// keep working; they see no state.
    pub fn state<S: Send + 'static>(
        self,
        init: impl Fn() -> S + Send + Sync + 'static,
    ) -> Builder<Host<C, S>> {
        let host = self.host.with_state(Arc::new(init));
        Builder::with_parts(self.limits, self.cache, host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(names: &[(&str, &'static str)]) -> HostFunctions<()> {
        let mut host = HostFunctions::new();
        for (name, codec) in names {
            host.register(HostFn {
                name: Arc::from(*name),
                codec,
                layout: Layout::POSITIONAL,
                args: Err("not traced".to_owned()),
                reply: ReplyCheck::default(),
                body: Body::Sync(Arc::new(|_, _, _, _| Ok(()))),
            });
        }
        host
    }

    fn declared(name: &str, codec: &str) -> FunctionRecord {
        FunctionRecord {
            name: name.into(),
            codec: codec.into(),
            args: "&str".into(),
            ret: "()".into(),
        }
    }

    fn import(name: &str) -> (String, String) {
        (IMPORT_MODULE.to_owned(), name.to_owned())
    }

    fn host_import(name: &str) -> (String, String) {
        import(&format!("{HOST_FUNCTION_PREFIX}{name}"))
    }

    #[test]
    fn each_import_is_bound_to_its_host_function_in_module_order() {
        let host = registered(&[("log", "bincode"), ("unused", "json")]);
        let linked = host
            .link(
                &[declared("log", "bincode")],
                &[import(TAKE_REPLY_IMPORT), host_import("log")],
            )
            .unwrap();
        assert_eq!(linked.imports.len(), 2);
        assert!(matches!(linked.imports[0].binding, Binding::TakeReply));
        assert!(
            matches!(&linked.imports[1].binding, Binding::HostFunction(f) if &*f.name == "log")
        );
        assert_eq!(linked.imports[1].name, format!("{HOST_FUNCTION_PREFIX}log"));
        // A declared import the linker dropped is fine.
        assert!(
            registered(&[("log", "bincode")])
                .link(&[declared("log", "bincode")], &[])
                .is_ok()
        );
    }

    #[test]
    fn a_name_registered_twice_is_refused() {
        let host = registered(&[("log", "bincode"), ("log", "json")]);
        assert!(matches!(
            host.link(&[], &[]),
            Err(Error::DuplicateHostFunction { name }) if name == "log"
        ));
    }

    #[test]
    fn every_missing_function_is_named_with_its_types() {
        let host = registered(&[("log", "bincode")]);
        let err = host
            .link(
                &[
                    declared("config", "postcard"),
                    declared("log", "bincode"),
                    declared("clock", "json"),
                ],
                &[],
            )
            .err()
            .unwrap();
        match err {
            Error::MissingHostFunctions { missing } => assert_eq!(
                missing,
                // Sorted by name, not in the plugin's order.
                [
                    "`clock`: &str -> () (json)",
                    "`config`: &str -> () (postcard)"
                ]
            ),
            other => panic!("expected missing functions, got {other:?}"),
        }
    }

    #[test]
    fn an_import_in_another_codec_is_refused() {
        let host = registered(&[("log", "bincode")]);
        assert!(matches!(
            host.link(&[declared("log", "postcard")], &[]),
            Err(Error::HostFunctionCodecMismatch { host_function, plugin, host: "bincode" })
                if host_function == "log" && plugin == "postcard"
        ));
    }

    #[test]
    fn imports_nobody_declared_are_refused() {
        let undeclared: [(String, String); 4] = [
            ("env".to_owned(), "log".to_owned()),
            host_import("log"),
            import("log"),
            import("memory (not a function)"),
        ];
        for module_import in undeclared {
            let host = registered(&[("log", "bincode")]);
            let err = host
                .link(&[], std::slice::from_ref(&module_import))
                .err()
                .unwrap();
            assert!(
                matches!(&err, Error::UnknownImport { module, name }
                    if (module, name) == (&module_import.0, &module_import.1)),
                "{module_import:?}: {err:?}"
            );
        }
    }
}
