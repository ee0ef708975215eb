//! One running instance of a compiled plugin, in its own store, and the
//! mechanics of a call: input buffer, fuel, deadline, export call, slot,
//! and what a trap means.

use wasmer::{FunctionEnv, Memory, MemoryView, RuntimeError, Store, TypedFunction, Value};
use wasmer_plugin_abi::{
    ALLOC_EXPORT, FREE_EXPORT, MEMORY_EXPORT, SLOT_EXPORT, SLOT_SIZE, function_export_name,
};

use crate::Error;
use crate::defer_start::{START_EXPORT, START_FUNCTION};
use crate::imports::{CallEnv, HostTrap, bind, imports};
use crate::limits::{Deadline, FuelGauge, Limits, take_grow_refused, take_interrupt_flag};
use crate::plugin::Plugin;
use crate::reply::{panic_message, read_reply, slot_at};

/// A `#[wasmer_plugin]` function's export: `(input ptr, input len) ->
/// output ptr`.
type PluginExport = TypedFunction<(u32, u32), u32>;

/// A plugin instance with everything a call needs looked up once.
///
/// Not `Send`: its store is not. An instance stays on the thread that
/// made it; threads share the compiled [`Plugin`] instead.
///
/// `S` is the state its host functions see. The instance does not own it:
/// the host lends it for each call, so that it outlives an instance
/// discarded after a failure.
pub(crate) struct Instance<S> {
    /// Cleared before the store goes (see `Drop`): the watchdog may write
    /// into the store while it is registered.
    deadline: Option<Deadline>,
    /// Each instance has its own store, so that dropping a trapped
    /// instance also frees its memory (a store keeps every instance it
    /// ever made alive).
    store: Store,
    memory: Memory,
    /// What the host functions share; holds the lent state during a call.
    env: FunctionEnv<CallEnv<S>>,
    /// Whether the module imports anything: without imports nothing reads
    /// the state, and a call does not lend it.
    has_imports: bool,
    alloc: TypedFunction<u32, u32>,
    free: TypedFunction<(u32, u32), ()>,
    /// One export per metadata record, in the same order; a record whose
    /// export is missing or mistyped keeps the reason, reported when that
    /// function is called.
    exports: Vec<Result<PluginExport, String>>,
    slot: u64,
    /// The host-owned input buffer in guest memory, reused across calls.
    input: Option<InputBuffer>,
    fuel: Option<FuelGauge>,
}

impl<S> Drop for Instance<S> {
    fn drop(&mut self) {
        // Unregister from the watchdog before the fields, the store
        // among them, are dropped.
        self.deadline = None;
    }
}

#[derive(Clone, Copy)]
struct InputBuffer {
    ptr: u32,
    capacity: u32,
}

/// Smallest input buffer the host asks for, so that small arguments of
/// growing size do not reallocate on every call.
const MIN_INPUT_CAPACITY: u32 = 1024;

/// Inputs this long and longer are placed (see [`placement`]): shorter
/// copies never take glibc's `rep movsb`.
const PLACED_INPUT: u32 = 2048;

/// The distance modulo which CPUs confuse addresses (4K aliasing).
const ALIASING_PERIOD: u32 = 4096;

/// The spare bytes an input buffer needs to place `len` bytes of input.
fn placement_slack(len: u32) -> u32 {
    if len >= PLACED_INPUT {
        ALIASING_PERIOD - 1
    } else {
        0
    }
}

/// Where in an input buffer at host address `buffer` the `len` bytes at
/// host address `source` go: at the same offset modulo 4 KiB as the
/// source, for long inputs.
///
/// On some x86 CPUs glibc copies a few KiB and up with `rep movsb`, which
/// runs about fourteen times slower when the destination lies a few bytes
/// above the source modulo 4 KiB (docs/BENCHMARKS.md); at the same offset
/// it runs at full speed. The guest is told the address, so where the
/// input starts inside the buffer is the host's choice (docs/ABI.md).
fn placement(buffer: usize, source: usize, len: u32) -> u32 {
    if placement_slack(len) == 0 {
        return 0;
    }
    (source.wrapping_sub(buffer) % ALIASING_PERIOD as usize) as u32
}

impl<S: Send + 'static> Instance<S> {
    /// Instantiates `plugin` in a store of its own and, when the engine
    /// deferred it, runs the module's start function under the limits,
    /// with `state` lent to its host functions.
    pub(crate) fn new(plugin: &Plugin<S>, state: &mut Option<S>) -> Result<Instance<S>, Error> {
        let limits = plugin.limits();
        let functions = plugin.functions();
        let mut store = Store::new(plugin.engine().clone());
        let (env, imports) = imports(plugin, &mut store);
        // The interrupt flag's location is the last global the tunables
        // see on this thread during instantiation.
        take_interrupt_flag();
        let instance = wasmer::Instance::new(&mut store, plugin.module(), &imports)
            .map_err(|err| Error::Instantiate(Box::new(err)))?;
        let deadline = match limits.timeout {
            Some(limit) => Some(Deadline::register(
                &instance,
                &mut store,
                take_interrupt_flag(),
                limit,
            )?),
            None => None,
        };
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
            .map(|function| {
                let name = function_export_name(&function.name);
                exports.get_typed_function(&store, &name).map_err(|err| {
                    format!("{err} (the metadata lists function `{}`)", function.name)
                })
            })
            .collect();
        let slot = match exports
            .get_global(SLOT_EXPORT)
            .map_err(|err| bad(SLOT_EXPORT, err.to_string()))?
            .get(&mut store)
        {
            Value::I32(address) => address as u32 as u64,
            other => {
                return Err(bad(
                    SLOT_EXPORT,
                    format!("expected an i32 global, found {:?}", other.ty()),
                ));
            }
        };
        let memory_size = memory.view(&store).data_size();
        if slot + SLOT_SIZE as u64 > memory_size {
            return Err(bad(
                SLOT_EXPORT,
                format!("slot address {slot} lies outside the {memory_size}-byte memory"),
            ));
        }
        let fuel = match limits.fuel_per_call {
            Some(budget) => Some(FuelGauge::new(&instance, budget)?),
            None => None,
        };
        bind(
            &env,
            &mut store,
            memory.clone(),
            fuel.clone(),
            deadline.as_ref().map(Deadline::probe),
        );
        // A deferred start function is exported rather than run by
        // instantiation (see `defer_start`), so that it runs under the
        // limits.
        let start = exports
            .get_typed_function::<(), ()>(&store, START_EXPORT)
            .ok();
        let mut instance = Instance {
            deadline,
            store,
            memory,
            env,
            has_imports: !plugin.linked().imports.is_empty(),
            alloc,
            free,
            exports: plugin_exports,
            slot,
            input: None,
            fuel,
        };
        if let Some(start) = start
            && let Err(trap) = instance.with_state(state, |instance| {
                instance.limited(|instance| start.call(&mut instance.store))
            })?
        {
            return Err(instance.trap_cause(trap).into_error(START_FUNCTION, limits));
        }
        Ok(instance)
    }

    /// Runs `run` with `state` lent to the host functions, and takes it
    /// back after, whatever happened.
    fn with_state<T>(
        &mut self,
        state: &mut Option<S>,
        run: impl FnOnce(&mut Instance<S>) -> T,
    ) -> T {
        if !self.has_imports {
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
    pub(crate) fn call<T>(
        &mut self,
        index: usize,
        function: &str,
        input: &[u8],
        limits: &Limits,
        state: &mut Option<S>,
        decode: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let export = match &self.exports[index] {
            Ok(export) => export.clone(),
            Err(reason) => {
                return Err(Error::BadExport {
                    export: function_export_name(function),
                    reason: reason.clone(),
                });
            }
        };
        // The limits cover the guest's allocator too.
        let result = self.with_state(state, |instance| {
            instance.limited(|instance| {
                let (ptr, len) = instance.write_input(function, input, limits)?;
                Ok(export.call(&mut instance.store, ptr, len))
            })
        })?;
        let returned = match result? {
            Ok(returned) => returned,
            Err(trap) => return Err(self.trap_cause(trap).into_error(function, limits)),
        };

        let view = self.memory.view(&self.store);
        let memory = guest_bytes(&view);
        // The slot was checked against the memory at instantiation, and
        // memory never shrinks; an error here would be wasmer's breach.
        let slot = slot_at(memory, self.slot).ok_or_else(|| Error::BadOutput {
            function: function.to_owned(),
            reason: format!("the slot at {} lies outside memory", self.slot),
        })?;
        let reply = read_reply(function, &slot, returned, memory, limits.max_output_bytes)?;
        reply.output(function).and_then(decode)
    }

    /// Runs `run` (guest code: a call or the start function) under the
    /// limits: a full fuel budget, a cleared memory-limit flag, and the
    /// deadline's clock running.
    fn limited<T>(&mut self, run: impl FnOnce(&mut Instance<S>) -> T) -> Result<T, Error> {
        if let Some(fuel) = &self.fuel {
            fuel.refuel(&mut self.store)?;
        }
        take_grow_refused();
        if let Some(deadline) = &self.deadline {
            deadline.arm();
        }
        let result = run(self);
        if let Some(deadline) = &self.deadline {
            deadline.disarm();
        }
        Ok(result)
    }

    /// Copies `input` into the reusable input buffer, growing it through
    /// the guest's allocator when it is too small. An empty input is passed
    /// as `(0, 0)` without touching the allocator.
    fn write_input(
        &mut self,
        function: &str,
        input: &[u8],
        limits: &Limits,
    ) -> Result<(u32, u32), Error> {
        if input.is_empty() {
            return Ok((0, 0));
        }
        let alloc_error = |reason: String| Error::GuestAlloc {
            function: function.to_owned(),
            len: input.len() as u64,
            reason,
        };
        // The caller checked the input limit, which is far below 4 GiB.
        let len = input.len() as u32;
        let needed = len.saturating_add(placement_slack(len));
        let buffer = match self.input {
            Some(buffer) if buffer.capacity >= needed => buffer,
            previous => {
                if let Some(old) = previous {
                    self.input = None;
                    if let Err(trap) = self.free.call(&mut self.store, old.ptr, old.capacity) {
                        return Err(self.allocator_trap(
                            function,
                            FREE_EXPORT,
                            trap,
                            limits,
                            alloc_error,
                        ));
                    }
                }
                let capacity = needed
                    .checked_next_power_of_two()
                    .unwrap_or(needed)
                    .max(MIN_INPUT_CAPACITY);
                let ptr = match self.alloc.call(&mut self.store, capacity) {
                    Ok(ptr) => ptr,
                    Err(trap) => {
                        return Err(self.allocator_trap(
                            function,
                            ALLOC_EXPORT,
                            trap,
                            limits,
                            alloc_error,
                        ));
                    }
                };
                if ptr == 0 {
                    if take_grow_refused() {
                        return Err(TrapCause::MemoryLimit.into_error(function, limits));
                    }
                    return Err(alloc_error(format!(
                        "its alloc export returned 0 for {capacity} bytes (out of memory)"
                    )));
                }
                let memory_size = self.memory.view(&self.store).data_size();
                if ptr as u64 + capacity as u64 > memory_size {
                    return Err(alloc_error(format!(
                        "its alloc export returned address {ptr} for {capacity} bytes, outside the {memory_size}-byte memory"
                    )));
                }
                let buffer = InputBuffer { ptr, capacity };
                self.input = Some(buffer);
                buffer
            }
        };
        let view = self.memory.view(&self.store);
        // SAFETY: as for `guest_bytes`, plus: the mutable slice is the
        // only reference into guest memory while it lives.
        let memory = unsafe { view.data_unchecked_mut() };
        let offset = placement(
            memory.as_ptr() as usize + buffer.ptr as usize,
            input.as_ptr() as usize,
            len,
        );
        // wasmer's `MemoryView::write` copies with volatile stores, several
        // times slower than `copy_from_slice` on large inputs; no wasm runs
        // during this copy, so a plain one is sound.
        let start = buffer.ptr as usize + offset as usize;
        memory
            .get_mut(start..start + input.len())
            .ok_or_else(|| {
                alloc_error(format!(
                    "the input buffer at {start} lies outside the {}-byte memory",
                    view.data_size()
                ))
            })?
            .copy_from_slice(input);
        Ok((buffer.ptr + offset, len))
    }

    /// The error for a trap in the guest's allocator or free export: a
    /// limit as such, anything else as a failed allocation.
    fn allocator_trap(
        &mut self,
        function: &str,
        export: &str,
        trap: RuntimeError,
        limits: &Limits,
        alloc_error: impl Fn(String) -> Error,
    ) -> Error {
        match self.trap_cause(trap) {
            TrapCause::Panic(message) => {
                alloc_error(format!("its {export} export panicked: {message}"))
            }
            TrapCause::Other(trap) => {
                alloc_error(format!("its {export} export trapped: {}", trap.message()))
            }
            limit => limit.into_error(function, limits),
        }
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
        if let Some(deadline) = &self.deadline
            && deadline.fired()
        {
            return TrapCause::Timeout;
        }
        if let Some(fuel) = &self.fuel
            && fuel.exhausted(&mut self.store)
        {
            return TrapCause::OutOfFuel;
        }
        let view = self.memory.view(&self.store);
        let memory = guest_bytes(&view);
        if let Some(message) =
            slot_at(memory, self.slot).and_then(|slot| panic_message(&slot, memory))
        {
            return TrapCause::Panic(message);
        }
        if take_grow_refused() {
            return TrapCause::MemoryLimit;
        }
        TrapCause::Other(trap)
    }

    /// Bytes of guest memory, for tests of the contract's "a call leaks
    /// nothing" promise.
    pub(crate) fn memory_size(&self) -> u64 {
        self.memory.view(&self.store).data_size()
    }
}

enum TrapCause {
    HostFunction(HostTrap),
    Timeout,
    OutOfFuel,
    MemoryLimit,
    Panic(String),
    Other(RuntimeError),
}

impl TrapCause {
    fn into_error(self, function: &str, limits: &Limits) -> Error {
        let function = function.to_owned();
        match self {
            TrapCause::HostFunction(host) => host.into_error(&function),
            TrapCause::Timeout => Error::Timeout {
                function,
                limit: limits.timeout.unwrap_or_default(),
            },
            TrapCause::OutOfFuel => Error::OutOfFuel {
                function,
                budget: limits.fuel_per_call.unwrap_or_default(),
            },
            TrapCause::MemoryLimit => Error::MemoryLimit {
                function,
                limit: limits.max_memory_bytes,
            },
            TrapCause::Panic(message) => Error::Panic { function, message },
            TrapCause::Other(trap) => Error::Trap {
                function,
                message: trap.message(),
                code: trap.to_trap().map(|code| code.message().to_owned()),
            },
        }
    }
}

/// The whole guest memory as a slice.
fn guest_bytes<'a>(view: &'a MemoryView<'_>) -> &'a [u8] {
    // SAFETY: the slice lives while `view` borrows the store, during which
    // no wasm code runs and the memory cannot grow or change; plugin
    // memories are not shared with other threads.
    unsafe { view.data_unchecked() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_inputs_sit_at_the_source_offset_modulo_4k() {
        for (buffer, source) in [(0x1000, 0x7f00_0010), (0x1_2348, 0x5555_1003), (8, 8)] {
            let offset = placement(buffer, source, PLACED_INPUT);
            assert!(offset < ALIASING_PERIOD, "{offset}");
            assert_eq!((buffer + offset as usize) % 4096, source % 4096);
            // The buffer has room for the input at that offset.
            assert!(offset + PLACED_INPUT <= PLACED_INPUT + placement_slack(PLACED_INPUT));
        }
        assert_eq!(placement(0x1008, 0x7f00_0010, PLACED_INPUT - 1), 0);
        assert_eq!(placement_slack(PLACED_INPUT - 1), 0);
    }
}
