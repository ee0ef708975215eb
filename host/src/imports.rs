//! The instance's side of host functions: the wasmer functions bound to a
//! plugin's imports, and what one host-function call does (read the
//! arguments out of guest memory, run the host function, write the reply
//! back), with its limits and failures.

use std::sync::Arc;

use wasmer::{
    AsStoreMut, Function, FunctionEnv, FunctionEnvMut, Imports, Memory, RuntimeError, Store,
};
use wasmer_plugin_abi::{IMPORT_MODULE, LOG_IMPORT, TAKE_REPLY_IMPORT};

use crate::capabilities::{CapabilityImport, CapabilityState};
use crate::caught_panic;
use crate::guest_memory::GuestMemory;
use crate::host_functions::{Binding, HostContext, HostFn};
use crate::limits::{HostCallLimits, HostCallStop, limit_trap};
use crate::observe::{self, Span};
use crate::reply::cap_message;
use crate::{Error, HostFunctionFailure, Plugin};

/// Whether an instance is in an async call, which its async host
/// functions may suspend; nothing without the `async` feature.
#[cfg(feature = "async")]
pub(crate) use crate::async_host_functions::AsyncMode;
#[cfg(not(feature = "async"))]
#[derive(Clone)]
pub(crate) struct AsyncMode;

#[cfg(not(feature = "async"))]
impl AsyncMode {
    pub(crate) fn new() -> AsyncMode {
        AsyncMode
    }
}

/// What the host functions of one instance share, in its store.
pub(crate) struct CallEnv<S> {
    /// Set right after instantiation.
    memory: Option<Memory>,
    /// The instance's state, lent here by the host for each call (and the
    /// start function); `None` in between.
    pub(crate) state: Option<S>,
    /// The last reply, kept for `take_reply` when it did not fit.
    pub(crate) reply: Vec<u8>,
    /// The host function whose `reply` waits for `take_reply`, if one does.
    pending: Option<Arc<HostFn<S>>>,
    limits: HostCallLimits,
    /// The instance's clock and generator, as granted.
    capabilities: CapabilityState,
    /// Whether the plugin's log records go to the `tracing` subscriber.
    forward_logs: bool,
}

/// Why a host-function call trapped, for [`Instance`](crate::instance)'s
/// error: carried through wasmer as the trap's user error.
#[derive(Debug)]
pub(crate) struct HostTrap {
    host_function: String,
    failure: HostFunctionFailure,
}

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host function `{}` failed", self.host_function)
    }
}

impl std::error::Error for HostTrap {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.failure)
    }
}

impl HostTrap {
    /// The error of plugin function `function`, which was calling.
    pub(crate) fn into_error(self, function: &str) -> Error {
        Error::HostFunction {
            function: function.to_owned(),
            host_function: self.host_function,
            failure: self.failure,
        }
    }
}

/// The environment and the imports of a new instance of `plugin` in
/// `store`.
pub(crate) fn imports<S: Send + 'static>(
    plugin: &Plugin<S>,
    store: &mut Store,
    mode: &AsyncMode,
) -> (FunctionEnv<CallEnv<S>>, Imports) {
    #[cfg(not(feature = "async"))]
    let AsyncMode = mode;
    let env = FunctionEnv::new(
        store,
        CallEnv {
            memory: None,
            state: None,
            reply: Vec::new(),
            pending: None,
            limits: HostCallLimits::input_only(plugin.limits().max_input_bytes),
            capabilities: plugin.linked().grants.instance_state(),
            forward_logs: plugin.linked().forward_logs,
        },
    );
    let mut imports = Imports::new();
    for import in &plugin.linked().imports {
        let function = match &import.binding {
            #[cfg(feature = "async")]
            Binding::HostFunction(host_fn) if host_fn.is_async() => {
                crate::async_host_functions::bind(store, &env, mode, host_fn.clone())
            }
            Binding::HostFunction(host_fn) => {
                let host_fn = host_fn.clone();
                Function::new_typed_with_env(
                    store,
                    &env,
                    move |mut env: FunctionEnvMut<CallEnv<S>>, ptr: u32, len: u32, cap: u32| {
                        call_host_fn(&mut env, &host_fn, ptr, len, cap)
                    },
                )
            }
            Binding::TakeReply => Function::new_typed_with_env(store, &env, take_reply::<S>),
            Binding::Capability(CapabilityImport::ClockWall) => {
                Function::new_typed_with_env(store, &env, clock_wall::<S>)
            }
            Binding::Capability(CapabilityImport::ClockMonotonic) => {
                Function::new_typed_with_env(store, &env, clock_monotonic::<S>)
            }
            Binding::Capability(CapabilityImport::RandomFill) => {
                Function::new_typed_with_env(store, &env, random_fill::<S>)
            }
            Binding::Log => Function::new_typed_with_env(store, &env, plugin_log::<S>),
        };
        imports.define(IMPORT_MODULE, &import.name, function);
    }
    (env, imports)
}

/// Completes the environment once the instance exists.
pub(crate) fn bind<S: Send + 'static>(
    env: &FunctionEnv<CallEnv<S>>,
    store: &mut Store,
    memory: Memory,
    limits: HostCallLimits,
) {
    let env = env.as_mut(store);
    env.memory = Some(memory);
    env.limits = limits;
}

pub(crate) fn trap(host_fn: &str, failure: HostFunctionFailure) -> RuntimeError {
    RuntimeError::user(Box::new(HostTrap {
        host_function: host_fn.to_owned(),
        failure,
    }))
}

pub(crate) fn bad_call(host_fn: &str, reason: String) -> RuntimeError {
    trap(host_fn, HostFunctionFailure::BadCall { reason })
}

/// The trap for a limit that stops a host-function call.
fn stopped(host_fn: &str, stop: HostCallStop) -> RuntimeError {
    match stop {
        HostCallStop::InputTooLarge { len, limit } => {
            trap(host_fn, HostFunctionFailure::InputTooLarge { len, limit })
        }
        HostCallStop::Limit => limit_trap(),
    }
}

/// One call of `host_fn` by the plugin: `(ptr, len, cap) -> reply length`
/// (docs/ABI.md, "Host functions").
fn call_host_fn<S: Send + 'static>(
    env: &mut FunctionEnvMut<CallEnv<S>>,
    host_fn: &Arc<HostFn<S>>,
    ptr: u32,
    len: u32,
    cap: u32,
) -> Result<u32, RuntimeError> {
    let name = &*host_fn.name;
    let span = Span::host_function(name, len);
    let _entered = span.enter();
    let (env, mut store) = env.data_and_store_mut();
    let outcome = with_arguments(env, &mut store, name, ptr, len, |state, args, reply| {
        let mut context = HostContext { state, name };
        // A panicking host function must not unwind through wasm frames or
        // take the host down: it ends this call like an error.
        caught_panic::catch(|| host_fn.sync_thunk()(&mut context, args, reply, &host_fn.reply))
    })?;
    let reply_len = deliver_reply(env, &mut store, host_fn, ptr, cap, outcome)?;
    span.output(reply_len as usize);
    Ok(reply_len)
}

/// The first half of a host-function call: checks the arguments' `len`
/// bytes at `ptr` against the limits and guest memory and hands them to
/// `run` with the lent state and the emptied reply buffer.
pub(crate) fn with_arguments<S, T>(
    env: &mut CallEnv<S>,
    store: &mut impl AsStoreMut,
    name: &str,
    ptr: u32,
    len: u32,
    run: impl FnOnce(&mut S, &[u8], &mut Vec<u8>) -> T,
) -> Result<T, RuntimeError> {
    let CallEnv {
        memory,
        state,
        reply,
        pending,
        limits,
        ..
    } = env;
    *pending = None;
    limits
        .arguments(store, len)
        .map_err(|stop| stopped(name, stop))?;
    let (Some(memory), Some(state)) = (memory.as_ref(), state.as_mut()) else {
        return Err(bad_call(name, "called outside a plugin call".to_owned()));
    };
    reply.clear();
    let guest = GuestMemory::new(memory, store);
    let args = guest
        .get("its arguments", ptr as u64, len as u64)
        .map_err(|outside| bad_call(name, outside.to_string()))?;
    Ok(run(state, args, reply))
}

/// The second half of a host-function call: the trap for a failed or
/// panicked host function, or the reply (already in the environment's
/// buffer) written into the plugin's buffer of `cap` bytes at `ptr` or
/// kept for `take_reply`, charged, and its length.
pub(crate) fn deliver_reply<S>(
    env: &mut CallEnv<S>,
    store: &mut impl AsStoreMut,
    host_fn: &Arc<HostFn<S>>,
    ptr: u32,
    cap: u32,
    outcome: Result<Result<(), HostFunctionFailure>, String>,
) -> Result<u32, RuntimeError> {
    let name = &*host_fn.name;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => return Err(trap(name, failure)),
        Err(message) => {
            return Err(trap(
                name,
                HostFunctionFailure::Panicked {
                    message: cap_message(message),
                },
            ));
        }
    }
    let CallEnv {
        memory,
        reply,
        pending,
        limits,
        ..
    } = env;
    let Some(memory) = memory.as_ref() else {
        return Err(bad_call(name, "called outside a plugin call".to_owned()));
    };
    let reply_len = reply.len();
    let Ok(reply_len32) = u32::try_from(reply_len) else {
        return Err(trap(
            name,
            HostFunctionFailure::Encode {
                codec: host_fn.codec,
                message: format!(
                    "the reply is {reply_len} bytes, more than a wasm32 plugin can address"
                ),
            },
        ));
    };
    if reply_len32 <= cap {
        GuestMemory::new(memory, store)
            .get_mut("its reply buffer", ptr as u64, reply_len as u64)
            .map_err(|outside| bad_call(name, outside.to_string()))?
            .copy_from_slice(reply);
    } else {
        *pending = Some(host_fn.clone());
    }
    limits
        .reply(store, reply_len)
        .map_err(|stop| stopped(name, stop))?;
    Ok(reply_len32)
}

/// `__wasmer_plugin_take_reply(ptr, len)`: the reply that did not fit.
fn take_reply<S: Send + 'static>(
    mut env: FunctionEnvMut<CallEnv<S>>,
    ptr: u32,
    len: u32,
) -> Result<(), RuntimeError> {
    let (env, mut store) = env.data_and_store_mut();
    // The error names the host function whose reply was asked for.
    let Some(host_fn) = env.pending.take() else {
        return Err(bad_call(
            TAKE_REPLY_IMPORT,
            "no host function's reply is waiting to be taken".to_owned(),
        ));
    };
    let bad = |reason: String| bad_call(&host_fn.name, reason);
    if len as usize != env.reply.len() {
        return Err(bad(format!(
            "it took {len} bytes of a {}-byte reply",
            env.reply.len()
        )));
    }
    let Some(memory) = &env.memory else {
        return Err(bad("called outside a plugin call".to_owned()));
    };
    GuestMemory::new(memory, &mut store)
        .get_mut("where it took the reply", ptr as u64, len as u64)
        .map_err(|outside| bad(outside.to_string()))?
        .copy_from_slice(&env.reply);
    Ok(())
}

/// `__wasmer_plugin_clock_wall() -> i64`: nanoseconds since the epoch.
fn clock_wall<S: Send + 'static>(mut env: FunctionEnvMut<CallEnv<S>>) -> Result<i64, RuntimeError> {
    read_clock(
        &mut env,
        CapabilityImport::ClockWall,
        CapabilityState::wall_nanos,
    )
}

/// `__wasmer_plugin_clock_monotonic() -> i64`: nanoseconds since the
/// instance's origin.
fn clock_monotonic<S: Send + 'static>(
    mut env: FunctionEnvMut<CallEnv<S>>,
) -> Result<i64, RuntimeError> {
    read_clock(
        &mut env,
        CapabilityImport::ClockMonotonic,
        CapabilityState::monotonic_nanos,
    )
}

/// A clock reading, charged and deadline-checked like a host-function
/// call without arguments, so that a plugin polling the clock still runs
/// out of fuel or time.
fn read_clock<S: Send + 'static>(
    env: &mut FunctionEnvMut<CallEnv<S>>,
    import: CapabilityImport,
    read: fn(&mut CapabilityState) -> Result<u64, String>,
) -> Result<i64, RuntimeError> {
    let name = import.import_name();
    let (env, mut store) = env.data_and_store_mut();
    let nanos = read(&mut env.capabilities).map_err(|reason| bad_call(name, reason))?;
    env.limits
        .reply(&mut store, 0)
        .map_err(|stop| stopped(name, stop))?;
    // At most `i64::MAX` (see `capabilities::saturating_nanos`).
    Ok(nanos as i64)
}

/// `__wasmer_plugin_random_fill(ptr, len)`: random bytes into guest
/// memory, charged like a reply of `len` bytes.
fn random_fill<S: Send + 'static>(
    mut env: FunctionEnvMut<CallEnv<S>>,
    ptr: u32,
    len: u32,
) -> Result<(), RuntimeError> {
    let name = CapabilityImport::RandomFill.import_name();
    let (env, mut store) = env.data_and_store_mut();
    env.limits
        .reply(&mut store, len as usize)
        .map_err(|stop| stopped(name, stop))?;
    let Some(memory) = &env.memory else {
        return Err(bad_call(name, "called outside a plugin call".to_owned()));
    };
    let mut guest = GuestMemory::new(memory, &mut store);
    let bytes = guest
        .get_mut("the bytes it asked for", ptr as u64, len as u64)
        .map_err(|outside| bad_call(name, outside.to_string()))?;
    env.capabilities
        .fill(bytes)
        .map_err(|reason| bad_call(name, reason))
}

/// `__wasmer_plugin_log(level, target_ptr, target_len, message_ptr,
/// message_len)`: one log record of the plugin, charged by its bytes,
/// checked against memory and cut at 4 KiB, forwarded when the builder
/// said so and dropped unread otherwise.
fn plugin_log<S: Send + 'static>(
    mut env: FunctionEnvMut<CallEnv<S>>,
    level: u32,
    target_ptr: u32,
    target_len: u32,
    message_ptr: u32,
    message_len: u32,
) -> Result<(), RuntimeError> {
    let (env, mut store) = env.data_and_store_mut();
    // Charged by its bytes like a reply, not held to the input limit: a
    // log line must not end a call that sends small arguments.
    let len = (target_len as usize).saturating_add(message_len as usize);
    env.limits
        .reply(&mut store, len)
        .map_err(|stop| stopped(LOG_IMPORT, stop))?;
    // A host that does not forward logs reads nothing of them.
    if !env.forward_logs {
        return Ok(());
    }
    let Some(memory) = &env.memory else {
        return Err(bad_call(
            LOG_IMPORT,
            "called outside a plugin call".to_owned(),
        ));
    };
    let guest = GuestMemory::new(memory, &mut store);
    let read = |what: &'static str, ptr: u32, len: u32| {
        guest
            .get(what, ptr as u64, len as u64)
            .map(|bytes| cap_message(String::from_utf8_lossy(bytes).into_owned()))
            .map_err(|outside| bad_call(LOG_IMPORT, outside.to_string()))
    };
    let target = read("its log target", target_ptr, target_len)?;
    let message = read("its log message", message_ptr, message_len)?;
    observe::plugin_log(level, &target, &message);
    Ok(())
}
