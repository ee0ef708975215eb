//! The limits of one instance as they act while it runs: each run of
//! guest code gets a full fuel budget, a cleared memory-limit flag and the
//! deadline's clock; a trap is told apart from the limit that caused it;
//! and each host-function call is charged and checked. The files beside
//! this one hold each limit's default, setter and compiled-in part.

use std::ptr::NonNull;

use wasmer::sys::vm::VMGlobalDefinition;
use wasmer::{AsStoreMut, Instance, RuntimeError, Store};

use super::Limits;
use super::fuel::{FuelGauge, host_call_fuel};
use super::memory::take_grow_refused;
use super::timeout::{Deadline, DeadlineProbe};
use crate::Error;
use crate::error::CallResult;

/// The limits of one instance, with the parts of them that live in it.
pub(crate) struct InstanceLimits {
    limits: Limits,
    fuel: Option<FuelGauge>,
    /// Unregistered from the watchdog before the store goes: see
    /// [`InstanceLimits::release`].
    deadline: Option<Deadline>,
}

/// A limit that stopped guest code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Timeout,
    OutOfFuel,
    MemoryLimit,
}

impl InstanceLimits {
    /// The limits of `instance`, just made in `store` on this thread;
    /// `interrupt_flag` is the location the tunables saw last (see
    /// `timeout`).
    pub(crate) fn new(
        limits: Limits,
        instance: &Instance,
        store: &mut Store,
        interrupt_flag: Option<NonNull<VMGlobalDefinition>>,
    ) -> Result<InstanceLimits, Error> {
        let deadline = match limits.timeout {
            Some(limit) => Some(Deadline::register(instance, store, interrupt_flag, limit)?),
            None => None,
        };
        let fuel = match limits.fuel_per_call {
            Some(budget) => Some(FuelGauge::new(instance, budget)?),
            None => None,
        };
        Ok(InstanceLimits {
            limits,
            fuel,
            deadline,
        })
    }

    /// The limits as the builder set them.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs `run` (guest code: a call, or the start function) under the
    /// limits: a full fuel budget, a cleared memory-limit flag, and the
    /// deadline's clock running until it returns. Always inlined, as the
    /// call that runs in it is (see `Instance::run_export`).
    #[inline(always)]
    pub(crate) fn run<T>(
        &self,
        store: &mut Store,
        run: impl FnOnce(&mut Store) -> T,
    ) -> CallResult<T> {
        self.begin(store)?;
        let result = run(store);
        self.end();
        Ok(result)
    }

    /// The start of a run (see [`run`](InstanceLimits::run)), for a run
    /// that is not one closure: an async call.
    #[inline]
    pub(crate) fn begin(&self, store: &mut Store) -> Result<(), Error> {
        if let Some(fuel) = &self.fuel {
            fuel.refuel(store)?;
        }
        take_grow_refused();
        if let Some(deadline) = &self.deadline {
            deadline.arm();
        }
        Ok(())
    }

    /// The end of a run begun with [`begin`](InstanceLimits::begin).
    #[inline]
    pub(crate) fn end(&self) {
        if let Some(deadline) = &self.deadline {
            deadline.disarm();
        }
    }

    /// A handle that stops this instance's running call from any thread,
    /// when it has a deadline (only a deadline's flag reaches running
    /// code).
    #[cfg(feature = "async")]
    pub(crate) fn canceller(&self) -> Option<super::timeout::Canceller> {
        self.deadline.as_ref().map(Deadline::canceller)
    }

    /// Whether the deadline or the fuel stopped the last run: their traps
    /// look like any other.
    #[inline]
    pub(crate) fn stopped(&self, store: &mut Store) -> Option<Stop> {
        if let Some(deadline) = &self.deadline
            && deadline.fired()
        {
            return Some(Stop::Timeout);
        }
        if let Some(fuel) = &self.fuel
            && fuel.exhausted(store)
        {
            return Some(Stop::OutOfFuel);
        }
        None
    }

    /// Whether the memory refused to grow during the last run (a Rust
    /// guest aborts, or its allocator gives up, when allocation fails).
    /// The fuel the last call used, when metered.
    #[cfg(feature = "tracing")]
    pub(crate) fn fuel_used(&self, store: &mut Store) -> Option<u64> {
        self.fuel.as_ref().map(|fuel| fuel.used(store))
    }

    pub(crate) fn memory_refused(&self) -> bool {
        take_grow_refused()
    }

    /// The error of plugin function `function` stopped by `stop`.
    pub(crate) fn error(&self, stop: Stop, function: &str) -> Error {
        let function = function.to_owned();
        match stop {
            Stop::Timeout => Error::Timeout {
                function,
                limit: self.limits.timeout.unwrap_or_default(),
            },
            Stop::OutOfFuel => Error::OutOfFuel {
                function,
                budget: self.limits.fuel_per_call.unwrap_or_default(),
            },
            Stop::MemoryLimit => Error::MemoryLimit {
                function,
                limit: self.limits.max_memory_bytes,
            },
        }
    }

    /// What the instance's host-function calls check and charge.
    pub(crate) fn host_calls(&self) -> HostCallLimits {
        HostCallLimits {
            max_input_bytes: self.limits.max_input_bytes,
            fuel: self.fuel.clone(),
            deadline: self.deadline.as_ref().map(Deadline::probe),
        }
    }

    /// Unregisters the deadline from the watchdog, which may write into the
    /// store while it is registered: called before the store is dropped.
    pub(crate) fn release(&mut self) {
        self.deadline = None;
    }
}

/// The limits as a host-function call sees them: the input limit bounds
/// a host function's arguments as it bounds a call's, each side of a host
/// call costs fuel ([`host_call_fuel`]), and the deadline is checked when
/// the host function returns.
pub(crate) struct HostCallLimits {
    max_input_bytes: u64,
    fuel: Option<FuelGauge>,
    deadline: Option<DeadlineProbe>,
}

/// Why a host-function call may not go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostCallStop {
    /// The plugin sent more bytes of arguments than the input limit.
    InputTooLarge { len: u64, limit: u64 },
    /// The fuel ran out or the deadline passed; the instance reports which
    /// ([`InstanceLimits::stopped`]).
    Limit,
}

impl HostCallLimits {
    /// The limits before an instance exists: only the input limit.
    pub(crate) fn input_only(max_input_bytes: u64) -> HostCallLimits {
        HostCallLimits {
            max_input_bytes,
            fuel: None,
            deadline: None,
        }
    }

    /// Before the host function runs: its `len` bytes of arguments.
    #[inline]
    pub(crate) fn arguments(
        &self,
        store: &mut impl AsStoreMut,
        len: u32,
    ) -> Result<(), HostCallStop> {
        let len = len as u64;
        if len > self.max_input_bytes {
            return Err(HostCallStop::InputTooLarge {
                len,
                limit: self.max_input_bytes,
            });
        }
        self.charge(store, len)
    }

    /// After the host function ran: its `len` bytes of reply, and the
    /// deadline, which may have passed meanwhile (stop here rather than at
    /// the guest's next loop or call).
    #[inline]
    pub(crate) fn reply(
        &self,
        store: &mut impl AsStoreMut,
        len: usize,
    ) -> Result<(), HostCallStop> {
        self.charge(store, len as u64)?;
        if let Some(deadline) = &self.deadline
            && deadline.fired()
        {
            return Err(HostCallStop::Limit);
        }
        Ok(())
    }

    #[inline]
    fn charge(&self, store: &mut impl AsStoreMut, bytes: u64) -> Result<(), HostCallStop> {
        match &self.fuel {
            Some(fuel) if !fuel.charge(store, host_call_fuel(bytes)) => Err(HostCallStop::Limit),
            _ => Ok(()),
        }
    }
}

/// The trap that ends a call whose limit ran out during a host-function
/// call; the instance then finds and reports the limit.
#[derive(Debug)]
struct LimitReached;

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a limit ran out during a host-function call")
    }
}

impl std::error::Error for LimitReached {}

/// The trap for [`HostCallStop::Limit`].
pub(crate) fn limit_trap() -> RuntimeError {
    RuntimeError::user(Box::new(LimitReached))
}
