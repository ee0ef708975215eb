//! The wall-clock deadline of a call: an interrupt flag compiled into the
//! plugin, and one watchdog thread per process that raises the flag of a
//! call past its deadline.
//!
//! Why this mechanism: wasmer 7.4 can interrupt a running call only with
//! its `experimental-host-interrupt` feature, which takes SIGUSR1 for the
//! whole process and works on Unix only. A flag checked by the compiled
//! code is portable and touches nothing outside the plugin: the
//! [`InterruptCheck`] middleware adds a global to the module and checks it
//! at every function entry and loop header and before every bulk memory
//! and table instruction (a store, a load and a branch, cheaper than
//! fuel), trapping when it is set. Every way a wasm call can last (a
//! loop, recursion, a long chain of calls, a run of bulk instructions
//! each touching the whole memory) passes one of these points; the
//! instructions that could block without them (atomic waits) are refused
//! at load (see `features`). Compilation is not covered: the module size
//! and code-shape limits bound it.
//!
//! wasmer offers no way to write a global from another thread, but it
//! creates each global through the engine's tunables (see `memory`), which
//! see its location inside the instance: the host keeps the flag's
//! location, checks it is the exported flag, and the watchdog writes it
//! under the lock that also guards the instance's teardown.

use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use wasmer::sys::vm::VMGlobalDefinition;
use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::wasmparser::{BlockType, Operator};
use wasmer::{
    ExportIndex, GlobalInit, GlobalType, Instance, LocalFunctionIndex, ModuleInfo, Mutability,
    Store, Type, Value,
};

use super::added_globals::AddedGlobals;
use crate::{Builder, Error};

/// Default for [`Builder::timeout`]: none.
pub const DEFAULT_TIMEOUT: Option<Duration> = None;

impl<O: crate::builder::Target> Builder<O> {
    /// Stops any call (and the module's start function at load) that runs
    /// longer than `limit` of wall-clock time, with [`Error::Timeout`];
    /// the instance is discarded and the next call runs on a fresh one.
    /// The plugin is stopped within a tenth of the limit after it passes
    /// (at least 1 ms, at most 10 ms, plus scheduling delays): one
    /// watchdog thread per process checks the running calls. It needs no
    /// fuel and costs a check at each function entry, loop header and bulk
    /// memory or table instruction of the plugin, and two uncontended
    /// locks per call. Compiling the module is not covered: bound it with
    /// [`max_module_bytes`](Builder::max_module_bytes) and the code-shape
    /// limits ([`max_calls`](Builder::max_calls) and its neighbours).
    /// Default
    /// [`DEFAULT_TIMEOUT`]: no deadline.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.limits.timeout = Some(limit);
        self
    }
}

/// The export of the interrupt flag (`i32`, non-zero to stop).
pub(crate) const INTERRUPT_EXPORT: &str = "__wasmer_plugin_interrupt";

/// The middleware for one module: adds the flag as the module's last
/// global and checks it at function entries, loop headers and before bulk
/// instructions.
#[derive(Debug)]
pub(crate) struct InterruptCheck {
    globals: AddedGlobals<CheckGlobals>,
}

impl InterruptCheck {
    /// A check for one module.
    pub(crate) fn new() -> Self {
        InterruptCheck {
            globals: AddedGlobals::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct CheckGlobals {
    flag: u32,
    /// Written before each check, so that the compiler cannot reuse an
    /// earlier load of the flag across a loop that stores nothing.
    scratch: u32,
}

impl ModuleMiddleware for InterruptCheck {
    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        Box::new(FunctionCheck {
            globals: self.globals.get(),
            entered: false,
        })
    }

    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        let mut add = || {
            let index = info
                .globals
                .push(GlobalType::new(Type::I32, Mutability::Var));
            info.global_initializers.push(GlobalInit::I32Const(0));
            index
        };
        let scratch = add();
        // Last, so that it is the last global an instance creates.
        let flag = add();
        info.exports
            .insert(INTERRUPT_EXPORT.into(), ExportIndex::Global(flag));
        self.globals.record(CheckGlobals {
            flag: flag.as_u32(),
            scratch: scratch.as_u32(),
        });
        Ok(())
    }
}

/// The check inside one function.
#[derive(Debug)]
struct FunctionCheck {
    globals: CheckGlobals,
    entered: bool,
}

impl FunctionCheck {
    fn check<'a>(&self, state: &mut MiddlewareReaderState<'a>) {
        state.extend([
            Operator::I32Const { value: 0 },
            Operator::GlobalSet {
                global_index: self.globals.scratch,
            },
            Operator::GlobalGet {
                global_index: self.globals.flag,
            },
            Operator::If {
                blockty: BlockType::Empty,
            },
            Operator::Unreachable,
            Operator::End,
        ]);
    }
}

impl<'a> FunctionMiddleware<'a> for FunctionCheck {
    fn feed(
        &mut self,
        operator: Operator<'a>,
        state: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        if !self.entered {
            self.entered = true;
            self.check(state);
        }
        let is_loop = matches!(operator, Operator::Loop { .. });
        // Before a bulk instruction too: one may touch the whole memory,
        // so a straight-line run of them could outlast the deadline by far
        // without reaching a loop header. The check leaves the operand
        // stack as it was.
        if super::fuel::counted(&operator).is_some() {
            self.check(state);
        }
        state.push_operator(operator);
        if is_loop {
            self.check(state);
        }
        Ok(())
    }
}

thread_local! {
    /// The location of the last global the engine created on this thread.
    static LAST_GLOBAL: Cell<Option<NonNull<VMGlobalDefinition>>> = const { Cell::new(None) };
}

/// Called by the tunables for every global they create.
pub(crate) fn offer_global_location(location: NonNull<VMGlobalDefinition>) {
    let _ = LAST_GLOBAL.try_with(|last| last.set(Some(location)));
}

/// The location of the last global created on this thread since the last
/// take: after instantiating a module with an interrupt check, its flag.
pub(crate) fn take_interrupt_flag() -> Option<NonNull<VMGlobalDefinition>> {
    LAST_GLOBAL.with(Cell::take)
}

/// The flag of one instance, as the host and the watchdog see it.
struct FlagLocation(NonNull<AtomicI32>);

// SAFETY: the pointer is only dereferenced under `Slot::state`'s lock,
// and only while the instance that owns the flag is alive (the `Deadline`
// clears it before the store is dropped); the location itself is plain
// memory any thread may write atomically.
unsafe impl Send for FlagLocation {}

/// What the watchdog shares with one instance.
struct Slot {
    limit: Duration,
    state: Mutex<SlotState>,
}

struct SlotState {
    /// `None` once the instance is gone.
    flag: Option<FlagLocation>,
    /// When the running call must stop; `None` between calls.
    deadline: Option<Instant>,
    /// Whether the flag was raised during the current call (by the
    /// watchdog, or for a cancelled async call).
    fired: bool,
}

impl Slot {
    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Raises the flag if the running call is past its deadline.
    fn check(&self, now: Instant) {
        let mut state = self.state();
        if state.fired || state.deadline.is_none_or(|deadline| now < deadline) {
            return;
        }
        state.raise();
    }
}

impl SlotState {
    /// Raises the flag of the running call, if the instance still lives:
    /// the plugin traps at its next check.
    fn raise(&mut self) {
        if let Some(flag) = &self.flag {
            // SAFETY: `flag` is set only while the instance lives (see
            // `FlagLocation`), the caller holds the lock its teardown takes
            // (`self` is borrowed from its guard), and it is the 4-aligned
            // first word of a 16-aligned global definition. The compiled
            // plugin reads it with plain loads, as compiled code reads
            // wasmtime's epoch counter: an aligned 4-byte store is seen
            // whole.
            unsafe { flag.0.as_ref() }.store(1, Ordering::Relaxed);
            self.fired = true;
        }
    }
}

/// The deadline of one instance.
pub(crate) struct Deadline {
    slot: Arc<Slot>,
}

impl Deadline {
    /// Finds the interrupt flag of `instance`, just created on this thread
    /// in `store`, given the location the tunables saw last, and registers
    /// it with the watchdog.
    pub(crate) fn register(
        instance: &Instance,
        store: &mut Store,
        location: Option<NonNull<VMGlobalDefinition>>,
        limit: Duration,
    ) -> Result<Deadline, Error> {
        let unusable = |reason: String| Error::BadExport {
            export: INTERRUPT_EXPORT.to_owned(),
            reason,
        };
        let global = instance
            .exports
            .get_global(INTERRUPT_EXPORT)
            .map_err(|err| unusable(format!("the timeout's flag: {err}")))?;
        let location = location
            .ok_or_else(|| unusable("the engine created no global for the flag".to_owned()))?;
        let flag = location.cast::<AtomicI32>();
        // Check that the location is the flag's: write through one, read
        // through the other.
        const PROBE: i32 = 0x5afe_f1a9;
        let set = |store: &mut Store, value| {
            global
                .set(store, Value::I32(value))
                .map_err(|err| unusable(format!("the timeout's flag cannot be set: {err}")))
        };
        set(store, PROBE)?;
        // SAFETY: the location was handed to the tunables for a global of
        // the instance just created, which `store` keeps alive; no wasm
        // runs, and the value is read atomically and aligned (see `check`).
        let seen = unsafe { flag.as_ref() }.load(Ordering::Relaxed);
        set(store, 0)?;
        if seen != PROBE {
            return Err(unusable(
                "the engine did not create the flag last, so the timeout cannot reach it"
                    .to_owned(),
            ));
        }
        let slot = Arc::new(Slot {
            limit,
            state: Mutex::new(SlotState {
                flag: Some(FlagLocation(flag)),
                deadline: None,
                fired: false,
            }),
        });
        Watchdog::get()?.register(&slot);
        Ok(Deadline { slot })
    }

    /// Starts the clock for a call.
    pub(crate) fn arm(&self) {
        let mut state = self.slot.state();
        if let Some(flag) = &state.flag {
            // SAFETY: as in `Slot::check`.
            unsafe { flag.0.as_ref() }.store(0, Ordering::Relaxed);
        }
        state.fired = false;
        state.deadline = Some(Instant::now() + self.slot.limit);
    }

    /// Stops the clock: the watchdog leaves the instance alone until the
    /// next call.
    pub(crate) fn disarm(&self) {
        self.slot.state().deadline = None;
    }

    /// Whether the watchdog stopped the current or last call.
    pub(crate) fn fired(&self) -> bool {
        self.slot.state().fired
    }

    /// A handle that stops the running call from any thread.
    #[cfg(feature = "async")]
    pub(crate) fn canceller(&self) -> Canceller {
        Canceller {
            slot: self.slot.clone(),
        }
    }

    /// A handle that tells whether the deadline fired, for host-function
    /// calls to check after the host function ran.
    pub(crate) fn probe(&self) -> DeadlineProbe {
        DeadlineProbe {
            slot: self.slot.clone(),
        }
    }
}

/// Whether an instance's deadline fired; see [`Deadline::probe`].
pub(crate) struct DeadlineProbe {
    slot: Arc<Slot>,
}

impl DeadlineProbe {
    /// Whether the watchdog stopped the current call.
    pub(crate) fn fired(&self) -> bool {
        self.slot.state().fired
    }
}

/// Stops an instance's running call from another thread: what dropping
/// an async call does to a call that is running wasm (see
/// `AsyncHostPool`).
#[cfg(feature = "async")]
pub(crate) struct Canceller {
    slot: Arc<Slot>,
}

#[cfg(feature = "async")]
impl Canceller {
    /// Raises the flag if a call is running: the plugin traps at its next
    /// check. Between calls it does nothing (the next call clears it).
    pub(crate) fn cancel(&self) {
        let mut state = self.slot.state();
        if state.deadline.is_some() {
            state.raise();
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        // Before the store (and the flag in it) goes away.
        let mut state = self.slot.state();
        state.flag = None;
        state.deadline = None;
    }
}

/// The process's watchdog: a thread that wakes while instances with a
/// deadline exist and raises the flag of every call past its deadline.
struct Watchdog {
    slots: Mutex<Vec<Weak<Slot>>>,
    wake: Condvar,
}

/// How often the watchdog looks, for the shortest limit it watches.
fn tick(limit: Duration) -> Duration {
    (limit / 10).clamp(Duration::from_millis(1), Duration::from_millis(10))
}

impl Watchdog {
    /// The process's watchdog, started on first use; a failed start is
    /// tried again by the next instance with a deadline.
    fn get() -> Result<Arc<Watchdog>, Error> {
        static WATCHDOG: Mutex<Option<Arc<Watchdog>>> = Mutex::new(None);
        let mut running = WATCHDOG
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(watchdog) = &*running {
            return Ok(Arc::clone(watchdog));
        }
        let watchdog = Arc::new(Watchdog {
            slots: Mutex::new(Vec::new()),
            wake: Condvar::new(),
        });
        let thread = Arc::clone(&watchdog);
        std::thread::Builder::new()
            .name("wasmer-plugin-watchdog".to_owned())
            .spawn(move || thread.run())
            .map_err(Error::Watchdog)?;
        *running = Some(Arc::clone(&watchdog));
        Ok(watchdog)
    }

    fn slots(&self) -> MutexGuard<'_, Vec<Weak<Slot>>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn register(&self, slot: &Arc<Slot>) {
        self.slots().push(Arc::downgrade(slot));
        self.wake.notify_one();
    }

    fn run(&self) {
        let mut slots = self.slots();
        loop {
            slots.retain(|slot| slot.strong_count() > 0);
            let mut shortest: Option<Duration> = None;
            let now = Instant::now();
            for slot in slots.iter().filter_map(Weak::upgrade) {
                slot.check(now);
                shortest = Some(shortest.map_or(slot.limit, |limit| limit.min(slot.limit)));
            }
            slots = match shortest {
                // Nothing to watch: sleep until an instance registers.
                None => self
                    .wake
                    .wait(slots)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
                Some(limit) => {
                    self.wake
                        .wait_timeout(slots, tick(limit))
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
            };
        }
    }
}
