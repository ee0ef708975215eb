//! One running instance of a compiled plugin, in its own store, and the
//! mechanics of a call: the input, the export call under the limits, the
//! slot, and what a trap means.

use std::sync::Arc;

use wasmer::{FunctionEnv, Memory, RuntimeError, Store, TypedFunction, Value};
use wasmer_plugin_abi::{
    ALLOC_EXPORT, BATCH_HEADER_SIZE, BATCH_ROW_OFFSET, BatchHeader, DIRECT_REPLY_VERSION,
    DirectReply, FREE_EXPORT, MEMORY_EXPORT, NO_ROW, SLOT_EXPORT, batch_export_name,
    function_export_name, import_schema_export_name, schema_export_name,
};

use crate::Error;
use crate::defer_start::{START_EXPORT, START_FUNCTION};
use crate::error::CallResult;
use crate::error::TrapCode;
use crate::guest_memory::GuestMemory;
use crate::host_functions::HostFn;
use crate::imports::{AsyncMode, CallEnv, HostTrap, bind, imports};
use crate::input_buffer::{InputBuffer, InputFailure};
use crate::limits::{InstanceLimits, Stop, take_interrupt_flag};
use crate::plugin::Plugin;
use crate::reply::{panic_message, read_direct_reply, read_reply};

/// A `#[wasmer_plugin]` function's export, or a batch export, by what it
/// returns (docs/ABI.md, "A call").
#[derive(Clone)]
enum PluginExport {
    /// `(input ptr, input len) -> output ptr`, the output's length and
    /// status in the slot: a function of a record older than
    /// [`DIRECT_REPLY_VERSION`], and every batch export.
    Address(TypedFunction<(u32, u32), u32>),
    /// `(input ptr, input len) -> DirectReply`: a function of a record of
    /// [`DIRECT_REPLY_VERSION`] or later.
    Direct(TypedFunction<(u32, u32), u64>),
}

/// What a plugin export returned.
#[derive(Clone, Copy)]
enum Returned {
    /// The output's address; the rest is in the slot.
    Address(u32),
    /// A [`DirectReply`], or [`DirectReply::IN_SLOT`].
    Direct(u64),
}

impl PluginExport {
    #[inline]
    fn call(&self, store: &mut Store, ptr: u32, len: u32) -> Result<Returned, RuntimeError> {
        match self {
            PluginExport::Address(export) => export.call(store, ptr, len).map(Returned::Address),
            PluginExport::Direct(export) => export.call(store, ptr, len).map(Returned::Direct),
        }
    }

    #[cfg(feature = "async")]
    async fn call_async(
        &self,
        store: &wasmer::StoreAsync,
        ptr: u32,
        len: u32,
    ) -> Result<Returned, RuntimeError> {
        match self {
            PluginExport::Address(export) => export
                .call_async(store, ptr, len)
                .await
                .map(Returned::Address),
            PluginExport::Direct(export) => export
                .call_async(store, ptr, len)
                .await
                .map(Returned::Direct),
        }
    }
}

/// A function's schema export: `() -> output ptr` (docs/ABI.md, "Schemas").
pub(crate) type SchemaExport = TypedFunction<(), u32>;

/// The schema exports of an instance: one per plugin function (`None`
/// where the module has none of that type), and one per host function the
/// module imports.
pub(crate) struct SchemaExports<S> {
    pub(crate) functions: Vec<Option<SchemaExport>>,
    pub(crate) host_functions: Vec<(Arc<HostFn<S>>, Option<SchemaExport>)>,
}

/// A plugin instance with everything a call needs looked up once.
///
/// Not `Send`: its store is not. An instance stays on the thread that
/// made it; threads share the compiled [`Plugin`] instead.
///
/// `S` is the state its host functions see. The instance does not own it:
/// the host lends it for each call, so that it outlives an instance
/// discarded after a failure.
pub(crate) struct Instance<S> {
    /// Released before the store goes (see `Drop`): the watchdog may write
    /// into the store while the deadline is registered.
    limits: InstanceLimits,
    /// Each instance has its own store, so that dropping a trapped
    /// instance also frees its memory (a store keeps every instance it
    /// ever made alive).
    store: Store,
    memory: Memory,
    /// What the host functions share; holds the lent state during a call.
    env: FunctionEnv<CallEnv<S>>,
    /// Whether the module imports a host function: only they read the
    /// state (capabilities and logs do not), so without one a call does
    /// not lend it.
    imports_host_functions: bool,
    /// Whether one of them is async: only then does an async call need
    /// wasmer's coroutine (a fresh stack per call); otherwise it runs as
    /// a sync call on the plugin thread, where nothing could suspend it.
    #[cfg(feature = "async")]
    imports_async_host_functions: bool,
    input: InputBuffer,
    /// One export per metadata record, in the same order; a record whose
    /// export is missing or mistyped keeps the reason, reported when that
    /// function is called.
    exports: Vec<Result<PluginExport, String>>,
    /// The module's exports, for the batch exports, looked up at their
    /// first call (most hosts never make one).
    wasm: wasmer::Instance,
    /// One per metadata record: `None` until looked up, then the batch
    /// export if the module has one.
    batch_exports: Vec<Option<Option<PluginExport>>>,
    /// The slot's address, inside the memory (checked at instantiation;
    /// memory never shrinks).
    slot: u32,
    /// Set during an async call: only then may async host functions
    /// suspend the plugin.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    async_mode: AsyncMode,
}

impl<S> Drop for Instance<S> {
    fn drop(&mut self) {
        // Unregister from the watchdog before the fields, the store
        // among them, are dropped.
        self.limits.release();
    }
}

impl<S: Send + 'static> Instance<S> {
    /// Instantiates `plugin` in a store of its own and runs the module's
    /// start function (which the engine always defers) under the limits,
    /// with `state` lent to its host functions.
    pub(crate) fn new(plugin: &Plugin<S>, state: &mut Option<S>) -> Result<Instance<S>, Error> {
        Self::instantiate(plugin, state, false).map(|(instance, _)| instance)
    }

    /// Like [`new`](Instance::new), with the schema exports.
    pub(crate) fn with_schema_exports(
        plugin: &Plugin<S>,
        state: &mut Option<S>,
    ) -> Result<(Instance<S>, SchemaExports<S>), Error> {
        Self::instantiate(plugin, state, true)
    }

    fn instantiate(
        plugin: &Plugin<S>,
        state: &mut Option<S>,
        schemas: bool,
    ) -> Result<(Instance<S>, SchemaExports<S>), Error> {
        // Once the first instance found a host function of the wrong type,
        // no instance runs.
        plugin.type_checks().host_functions_match()?;
        let functions = plugin.functions();
        let mut store = Store::new(plugin.engine().clone());
        let async_mode = AsyncMode::new();
        let (env, imports) = imports(plugin, &mut store, &async_mode);
        // The interrupt flag's location is the last global the tunables
        // see on this thread during instantiation.
        take_interrupt_flag();
        let instance = wasmer::Instance::new(&mut store, plugin.module(), &imports)
            .map_err(|err| Error::Instantiate(Box::new(err)))?;
        let limits = InstanceLimits::new(
            *plugin.limits(),
            &instance,
            &mut store,
            take_interrupt_flag(),
        )?;
        let exports = &instance.exports;
        let bad = |export: &str, reason: String| Error::BadExport {
            export: export.to_owned(),
            reason,
        };
        let memory = exports
            .get_memory(MEMORY_EXPORT)
            .map_err(|err| bad(MEMORY_EXPORT, err.to_string()))?
            .clone();
        let alloc = exports
            .get_typed_function(&store, ALLOC_EXPORT)
            .map_err(|err| bad(ALLOC_EXPORT, err.to_string()))?;
        let free = exports
            .get_typed_function(&store, FREE_EXPORT)
            .map_err(|err| bad(FREE_EXPORT, err.to_string()))?;
        let plugin_exports = functions
            .iter()
            .zip(plugin.function_versions())
            .map(|(function, &version)| {
                let name = function_export_name(&function.name);
                let export = match version >= DIRECT_REPLY_VERSION {
                    true => exports
                        .get_typed_function(&store, &name)
                        .map(PluginExport::Direct),
                    false => exports
                        .get_typed_function(&store, &name)
                        .map(PluginExport::Address),
                };
                export.map_err(|err| {
                    format!(
                        "{err} (the metadata lists function `{}`, in a record of ABI version {version})",
                        function.name
                    )
                })
            })
            .collect();
        let schema_exports = SchemaExports {
            functions: match schemas {
                true => functions
                    .iter()
                    .map(|function| {
                        let name = schema_export_name(&function.name);
                        exports.get_typed_function(&store, &name).ok()
                    })
                    .collect(),
                false => Vec::new(),
            },
            host_functions: match schemas {
                true => plugin
                    .linked()
                    .host_functions()
                    .map(|host_fn| {
                        let name = import_schema_export_name(&host_fn.name);
                        let export = exports.get_typed_function(&store, &name).ok();
                        (host_fn.clone(), export)
                    })
                    .collect(),
                false => Vec::new(),
            },
        };
        let slot = match exports
            .get_global(SLOT_EXPORT)
            .map_err(|err| bad(SLOT_EXPORT, err.to_string()))?
            .get(&mut store)
        {
            Value::I32(address) => address as u32,
            other => {
                return Err(bad(
                    SLOT_EXPORT,
                    format!("expected an i32 global, found {:?}", other.ty()),
                ));
            }
        };
        GuestMemory::new(&memory, &mut store)
            .slot(slot)
            .map_err(|outside| bad(SLOT_EXPORT, outside.to_string()))?;
        bind(&env, &mut store, memory.clone(), limits.host_calls());
        // A deferred start function is exported rather than run by
        // instantiation (see `defer_start`), so that it runs under the
        // limits.
        let start = exports
            .get_typed_function::<(), ()>(&store, START_EXPORT)
            .ok();
        let mut instance = Instance {
            limits,
            store,
            memory,
            env,
            imports_host_functions: plugin.linked().host_functions().next().is_some(),
            #[cfg(feature = "async")]
            imports_async_host_functions: plugin
                .linked()
                .host_functions()
                .any(|host_fn| host_fn.is_async()),
            input: InputBuffer::new(alloc, free),
            exports: plugin_exports,
            batch_exports: vec![None; functions.len()],
            wasm: instance.clone(),
            slot,
            async_mode,
        };
        if let Some(start) = start
            && let Err(trap) = instance
                .with_state(state, |instance| {
                    instance
                        .limits
                        .run(&mut instance.store, |store| start.call(store))
                })
                .map_err(|error| *error)?
        {
            return Err(instance.trap_error(trap, START_FUNCTION));
        }
        Ok((instance, schema_exports))
    }

    /// Runs `run` with `state` lent to the host functions, and takes it
    /// back after, whatever happened. Always inlined: out of line, the
    /// call's result went through memory twice (measured, 2-3 ns of an
    /// empty call).
    #[inline(always)]
    fn with_state<T>(
        &mut self,
        state: &mut Option<S>,
        run: impl FnOnce(&mut Instance<S>) -> T,
    ) -> T {
        if !self.imports_host_functions {
            return run(self);
        }
        self.env.as_mut(&mut self.store).state = state.take();
        let result = run(self);
        *state = self.env.as_mut(&mut self.store).state.take();
        result
    }

    /// Calls export `index` with `input` and hands the output bytes of a
    /// successful call to `decode`, straight from guest memory.
    /// Host functions the plugin calls meanwhile get `state`.
    #[inline]
    pub(crate) fn call<T>(
        &mut self,
        index: usize,
        function: &str,
        input: &[u8],
        state: &mut Option<S>,
        decode: impl FnOnce(&[u8]) -> CallResult<T>,
    ) -> CallResult<T> {
        self.call_started(index, function, input, state, |_| {}, decode)
    }

    /// [`call`](Instance::call), with `started` run once the limits run
    /// (an async call takes what stops it from another thread there).
    #[inline]
    fn call_started<T>(
        &mut self,
        index: usize,
        function: &str,
        input: &[u8],
        state: &mut Option<S>,
        started: impl FnOnce(&InstanceLimits),
        decode: impl FnOnce(&[u8]) -> CallResult<T>,
    ) -> CallResult<T> {
        let export = self.export(index, function)?;
        self.run_export(&export, function, input, state, started, decode)
            .map_err(|(error, _)| error)
    }

    /// Calls `export` with `input` and hands the output bytes to
    /// `decode`; a failure comes with where the input was written, when
    /// it was.
    #[inline]
    fn run_export<T>(
        &mut self,
        export: &PluginExport,
        function: &str,
        input: &[u8],
        state: &mut Option<S>,
        started: impl FnOnce(&InstanceLimits),
        decode: impl FnOnce(&[u8]) -> CallResult<T>,
    ) -> Result<T, (Box<Error>, Option<u32>)> {
        let mut written = None;
        // The limits cover the guest's allocator too. The closure is
        // inlined so that what the run returns stays in registers: out of
        // line, it went through memory and stalled the load that read it
        // back (a few ns of an empty call, in `perf`).
        let ran = self.with_state(
            state,
            #[inline(always)]
            |instance| {
                let Instance {
                    limits,
                    store,
                    memory,
                    input: buffer,
                    ..
                } = instance;
                limits.run(
                    store,
                    #[inline(always)]
                    |store| {
                        started(limits);
                        match buffer.write(store, memory, input) {
                            Ok((ptr, len)) => {
                                written = Some(ptr);
                                Ran::Called(export.call(store, ptr, len))
                            }
                            Err(failure) => Ran::NoInput(Box::new(failure)),
                        }
                    },
                )
            },
        );
        let returned = match ran {
            Ok(Ran::Called(Ok(returned))) => returned,
            Ok(Ran::Called(Err(trap))) => {
                return Err((Box::new(self.trap_error(trap, function)), written));
            }
            Ok(Ran::NoInput(failure)) => {
                let error = self.input_error(*failure, function, input.len());
                return Err((Box::new(error), None));
            }
            Err(error) => return Err((error, None)),
        };
        self.read_output(returned, function, decode)
            .map_err(|error| (error, written))
    }

    /// Calls the batch export of function `index` with `batch` (a batch
    /// in the column layout, docs/ABI.md "Batches") and hands the output
    /// bytes to `decode`. A failure while the plugin ran a row is an
    /// [`Error::BatchRow`] naming it.
    pub(crate) fn call_batch<T>(
        &mut self,
        index: usize,
        function: &str,
        batch: &[u8],
        state: &mut Option<S>,
        decode: impl FnOnce(&[u8]) -> CallResult<T>,
    ) -> CallResult<T> {
        let export = match &self.batch_exports[index] {
            Some(export) => export.clone(),
            None => {
                let export = self
                    .wasm
                    .exports
                    .get_typed_function(&self.store, &batch_export_name(function))
                    .ok()
                    .map(PluginExport::Address);
                self.batch_exports[index].insert(export).clone()
            }
        };
        let export = export.ok_or_else(|| Error::NoBatchExport {
            function: function.to_owned(),
        })?;
        let rows = batch
            .first_chunk::<BATCH_HEADER_SIZE>()
            .map_or(0, |header| BatchHeader::read(header).rows);
        self.run_export(&export, function, batch, state, |_| {}, decode)
            .map_err(
                |(error, written)| match written.and_then(|ptr| self.running_row(ptr)) {
                    Some(row) if row < rows => Box::new(Error::BatchRow {
                        function: function.to_owned(),
                        row,
                        rows,
                        source: error,
                    }),
                    _ => error,
                },
            )
    }

    /// The row the guest was running when a batch call written at `ptr`
    /// stopped, if it had started one.
    fn running_row(&mut self, ptr: u32) -> Option<usize> {
        let memory = GuestMemory::new(&self.memory, &mut self.store);
        let bytes = memory
            .get("the batch header", ptr as u64 + BATCH_ROW_OFFSET as u64, 4)
            .ok()?;
        let row = u32::from_le_bytes(bytes.try_into().ok()?);
        (row != NO_ROW).then_some(row as usize)
    }

    /// Like [`call`](Instance::call), with the plugin driven as a future
    /// that async host functions suspend; `started` gets what stops the
    /// call from another thread once it runs (see `Canceller`). Dropped
    /// before it is ready, the call is abandoned and the instance must be
    /// dropped: it holds a stand-in store then, and the state it was lent
    /// is gone with the real one.
    #[cfg(feature = "async")]
    pub(crate) async fn call_async<T>(
        &mut self,
        index: usize,
        function: &str,
        input: &[u8],
        state: &mut Option<S>,
        started: impl FnOnce(Option<crate::limits::Canceller>),
        decode: impl FnOnce(&[u8]) -> CallResult<T>,
    ) -> CallResult<T> {
        if !self.imports_async_host_functions {
            let started = |limits: &InstanceLimits| started(limits.canceller());
            return self.call_started(index, function, input, state, started, decode);
        }
        let export = self.export(index, function)?;
        if self.imports_host_functions {
            self.env.as_mut(&mut self.store).state = state.take();
        }
        let run = self.run_async(&export, input, started).await;
        if self.imports_host_functions && !matches!(run, Err(AsyncFailure::StoreHeld)) {
            *state = self.env.as_mut(&mut self.store).state.take();
        }
        let returned = match run {
            Ok(Ok(returned)) => returned,
            Ok(Err(trap)) => return Err(Box::new(self.trap_error(trap, function))),
            Err(AsyncFailure::Input(failure)) => {
                return Err(Box::new(self.input_error(failure, function, input.len())));
            }
            Err(AsyncFailure::Limits(error)) => return Err(Box::new(error)),
            Err(AsyncFailure::Suspended) => {
                return Err(Box::new(self.limits.error(Stop::Timeout, function)));
            }
            Err(AsyncFailure::StoreHeld) => {
                return Err(Box::new(Error::PluginThread {
                    reason: format!(
                        "a handle to the store of `{function}`'s instance outlived the call, so the instance was dropped"
                    ),
                }));
            }
        };
        self.read_output(returned, function, decode)
    }

    /// The run of an async call: the limits begin, the input is written
    /// (the guest's allocator runs sync), the store is lent to the
    /// coroutine that runs the export, and given back.
    #[cfg(feature = "async")]
    async fn run_async(
        &mut self,
        export: &PluginExport,
        input: &[u8],
        started: impl FnOnce(Option<crate::limits::Canceller>),
    ) -> Result<Result<Returned, RuntimeError>, AsyncFailure> {
        let Instance {
            limits,
            store,
            memory,
            input: buffer,
            async_mode,
            ..
        } = self;
        limits.begin(store).map_err(AsyncFailure::Limits)?;
        let (ptr, len) = match buffer.write(store, memory, input) {
            Ok(written) => written,
            Err(failure) => {
                limits.end();
                return Err(AsyncFailure::Input(failure));
            }
        };
        started(limits.canceller());
        let stand_in = Store::new(store.engine().clone());
        let mut lent = LentStore {
            store: Some(std::mem::replace(store, stand_in).into_async()),
            limits,
        };
        let timeout = lent.limits.limits().timeout;
        let call = export.call_async(lent.store.as_ref().expect("just lent"), ptr, len);
        async_mode.set(true);
        // The deadline counts the time the call is suspended: a host
        // future that never ends must still end the call. The watchdog
        // stops running code; this stops a pending future.
        let result = match timeout {
            Some(limit) => tokio::time::timeout(limit, call).await.ok(),
            None => Some(call.await),
        };
        async_mode.set(false);
        let lent_store = lent.store.take().expect("taken once");
        match lent_store.into_store() {
            Ok(real) => *store = real,
            Err(_held) => {
                // Something kept a handle to the store: the instance
                // cannot run again (its deadline goes before the store).
                lent.limits.release();
                return Err(AsyncFailure::StoreHeld);
            }
        }
        lent.limits.end();
        result.ok_or(AsyncFailure::Suspended)
    }

    /// The export of function `index`, or why it is unusable.
    #[inline]
    fn export(&self, index: usize, function: &str) -> Result<PluginExport, Error> {
        match &self.exports[index] {
            Ok(export) => Ok(export.clone()),
            Err(reason) => Err(Error::BadExport {
                export: function_export_name(function),
                reason: reason.clone(),
            }),
        }
    }

    /// The fuel the last call used, when the instance is metered.
    #[cfg(feature = "tracing")]
    pub(crate) fn fuel_used(&mut self) -> Option<u64> {
        self.limits.fuel_used(&mut self.store)
    }

    /// Calls the schema export of `function`, returning the bytes it
    /// wrote. Host functions the plugin calls meanwhile get `state`.
    pub(crate) fn call_schema(
        &mut self,
        export: &SchemaExport,
        function: &str,
        state: &mut Option<S>,
    ) -> Result<Vec<u8>, Error> {
        let result = self
            .with_state(state, |instance| {
                instance
                    .limits
                    .run(&mut instance.store, |store| export.call(store))
            })
            .map_err(|error| *error)?;
        match result {
            Ok(returned) => self
                .read_output(Returned::Address(returned), function, |bytes| {
                    Ok(bytes.to_vec())
                })
                .map_err(|error| *error),
            Err(trap) => Err(self.trap_error(trap, function)),
        }
    }

    /// The output of a call whose export returned `returned`, read from
    /// guest memory (through the slot, unless the export returned the
    /// whole answer) and handed to `decode` straight from there.
    #[inline]
    fn read_output<T>(
        &mut self,
        returned: Returned,
        function: &str,
        decode: impl FnOnce(&[u8]) -> CallResult<T>,
    ) -> CallResult<T> {
        let max_output_bytes = self.limits.limits().max_output_bytes;
        let address = match returned {
            Returned::Address(address) => Some(address),
            Returned::Direct(returned) => match DirectReply::from_u64(returned) {
                // Nothing to read, so no view of the memory either (an
                // empty output is within any limit).
                Some(DirectReply { len: 0, .. }) => return decode(&[]),
                Some(reply) => {
                    let memory = GuestMemory::new(&self.memory, &mut self.store);
                    return decode(read_direct_reply(
                        function,
                        reply,
                        &memory,
                        max_output_bytes,
                    )?);
                }
                None => None,
            },
        };
        let memory = GuestMemory::new(&self.memory, &mut self.store);
        // The slot was checked against the memory at instantiation, and
        // memory never shrinks; an error here would be wasmer's breach.
        let slot = memory.slot(self.slot).map_err(|outside| Error::BadOutput {
            function: function.to_owned(),
            reason: outside.to_string(),
        })?;
        let address = address.unwrap_or(slot.ptr);
        let reply = read_reply(function, slot, address, &memory, max_output_bytes)?;
        decode(reply.output(function)?)
    }

    /// The error for an input the guest's allocator could not take: a
    /// limit as such, anything else as a failed allocation.
    fn input_error(&mut self, failure: InputFailure, function: &str, len: usize) -> Error {
        let alloc_error = |reason: String| Error::GuestAlloc {
            function: function.to_owned(),
            len: len as u64,
            reason,
        };
        match failure {
            InputFailure::Trapped { export, trap } => match self.trap_cause(trap) {
                TrapCause::Panic(message) => {
                    alloc_error(format!("its {export} export panicked: {message}"))
                }
                TrapCause::Other(trap) => {
                    alloc_error(format!("its {export} export trapped: {}", trap.message()))
                }
                cause => cause.into_error(function, &self.limits),
            },
            InputFailure::OutOfMemory { capacity } => {
                if self.limits.memory_refused() {
                    return self.limits.error(Stop::MemoryLimit, function);
                }
                alloc_error(format!(
                    "its alloc export returned 0 for {capacity} bytes (out of memory)"
                ))
            }
            InputFailure::Outside(outside) => alloc_error(outside.to_string()),
        }
    }

    /// The error of `function` for a trap of the guest.
    fn trap_error(&mut self, trap: RuntimeError, function: &str) -> Error {
        self.trap_cause(trap).into_error(function, &self.limits)
    }

    /// Why the guest trapped: a failed host function first (its trap
    /// carries the reason), then the deadline or fuel (their traps look
    /// like any other), then a panic the guest recorded, then a refused
    /// `memory.grow` (a Rust guest aborts when allocation fails).
    fn trap_cause(&mut self, trap: RuntimeError) -> TrapCause {
        let trap = match trap.downcast::<HostTrap>() {
            Ok(host) => return TrapCause::HostFunction(host),
            Err(trap) => trap,
        };
        if let Some(stop) = self.limits.stopped(&mut self.store) {
            return TrapCause::Limit(stop);
        }
        let memory = GuestMemory::new(&self.memory, &mut self.store);
        if let Some(message) = memory
            .slot(self.slot)
            .ok()
            .and_then(|slot| panic_message(slot, &memory))
        {
            return TrapCause::Panic(message);
        }
        if self.limits.memory_refused() {
            return TrapCause::Limit(Stop::MemoryLimit);
        }
        TrapCause::Other(trap)
    }

    /// Bytes of guest memory, for tests of the contract's "a call leaks
    /// nothing" promise.
    pub(crate) fn memory_size(&self) -> u64 {
        self.memory.view(&self.store).data_size()
    }
}

/// How a run of a plugin export ended, in two words (its result is
/// passed up through the limits and the lent state): the export's own
/// result, or why the input could not be placed first.
enum Ran {
    Called(Result<Returned, RuntimeError>),
    NoInput(Box<InputFailure>),
}

/// Why an async call ended without the export's result.
#[cfg(feature = "async")]
enum AsyncFailure {
    /// The guest's allocator did not take the input.
    Input(InputFailure),
    /// The limits could not be set for the run.
    Limits(Error),
    /// The deadline passed while the call was suspended on a host future.
    Suspended,
    /// The store could not be taken back after the call.
    StoreHeld,
}

/// The store of an instance while an async call has it. Dropped with it
/// (the call abandoned), it unregisters the deadline first: the watchdog
/// may write into the store while the deadline is registered.
#[cfg(feature = "async")]
struct LentStore<'a> {
    store: Option<wasmer::StoreAsync>,
    limits: &'a mut InstanceLimits,
}

#[cfg(feature = "async")]
impl Drop for LentStore<'_> {
    fn drop(&mut self) {
        if self.store.is_some() {
            self.limits.release();
        }
    }
}

enum TrapCause {
    HostFunction(HostTrap),
    Limit(Stop),
    Panic(String),
    Other(RuntimeError),
}

impl TrapCause {
    fn into_error(self, function: &str, limits: &InstanceLimits) -> Error {
        match self {
            TrapCause::HostFunction(host) => host.into_error(function),
            TrapCause::Limit(stop) => limits.error(stop, function),
            TrapCause::Panic(message) => Error::Panic {
                function: function.to_owned(),
                message,
            },
            TrapCause::Other(trap) => Error::Trap {
                function: function.to_owned(),
                message: trap.message(),
                code: trap.to_trap().map(TrapCode::from_wasmer),
            },
        }
    }
}
