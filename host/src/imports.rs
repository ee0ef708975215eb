//! The instance's side of host functions: the wasmer functions bound to a
//! plugin's imports, and what one host-function call does (read the
//! arguments out of guest memory, run the host function, write the reply
//! back), with its bounds checks, limits and failures.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use wasmer::{Function, FunctionEnv, FunctionEnvMut, Imports, Memory, RuntimeError, Store};
use wasmer_plugin_abi::{IMPORT_MODULE, TAKE_REPLY_IMPORT};

use crate::host_functions::{Binding, HostContext, HostFailure, HostFn};
use crate::limits::{DeadlineProbe, FuelGauge, host_call_fuel};
use crate::reply::cap_message;
use crate::{Error, Plugin};

/// What the host functions of one instance share, in its store.
pub(crate) struct CallEnv<S> {
    /// Set right after instantiation.
    memory: Option<Memory>,
    /// The instance's state, lent here by the host for each call (and the
    /// start function); `None` in between.
    pub(crate) state: Option<S>,
    /// The last reply, kept for `take_reply` when it did not fit.
    reply: Vec<u8>,
    /// The host function whose `reply` waits for `take_reply`, if one does.
    pending: Option<Arc<HostFn<S>>>,
    /// The input limit, which bounds a host function's arguments too.
    max_input_bytes: u64,
    fuel: Option<FuelGauge>,
    deadline: Option<DeadlineProbe>,
}

/// Why a host-function call trapped, for [`Instance`](crate::instance)'s
/// error: carried through wasmer as the trap's user error.
#[derive(Debug)]
pub(crate) struct HostTrap {
    host_function: String,
    failure: HostFailure,
}

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "host function `{}` failed: {:?}",
            self.host_function, self.failure
        )
    }
}

impl std::error::Error for HostTrap {}

impl HostTrap {
    /// The error of plugin function `function`, which was calling.
    pub(crate) fn into_error(self, function: &str) -> Error {
        let function = function.to_owned();
        let host_function = self.host_function;
        match self.failure {
            HostFailure::Returned(message) => Error::HostFunctionError {
                function,
                host_function,
                message,
            },
            HostFailure::Panicked(message) => Error::HostFunctionPanic {
                function,
                host_function,
                message,
            },
            HostFailure::Decode {
                expected,
                codec,
                message,
            } => Error::HostFunctionDecode {
                function,
                host_function,
                expected,
                codec,
                message,
            },
            HostFailure::Encode { codec, message } => Error::HostFunctionEncode {
                function,
                host_function,
                codec,
                message,
            },
            HostFailure::InputTooLarge { len, limit } => Error::HostFunctionInputTooLarge {
                function,
                host_function,
                len,
                limit,
            },
            HostFailure::BadCall(reason) => Error::BadHostCall {
                function,
                host_function,
                reason,
            },
        }
    }
}

/// The trap that ends a call whose limit ran out during a host function;
/// the instance then reports the limit.
#[derive(Debug)]
struct LimitReached;

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a limit ran out while a host function ran")
    }
}

impl std::error::Error for LimitReached {}

/// The environment and the imports of a new instance of `plugin` in
/// `store`.
pub(crate) fn imports<S: Send + 'static>(
    plugin: &Plugin<S>,
    store: &mut Store,
) -> (FunctionEnv<CallEnv<S>>, Imports) {
    let env = FunctionEnv::new(
        store,
        CallEnv {
            memory: None,
            state: None,
            reply: Vec::new(),
            pending: None,
            max_input_bytes: plugin.limits().max_input_bytes,
            fuel: None,
            deadline: None,
        },
    );
    let mut imports = Imports::new();
    for import in &plugin.linked().imports {
        let function = match &import.binding {
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
    fuel: Option<FuelGauge>,
    deadline: Option<DeadlineProbe>,
) {
    let env = env.as_mut(store);
    env.memory = Some(memory);
    env.fuel = fuel;
    env.deadline = deadline;
}

fn trap(host_fn: &str, failure: HostFailure) -> RuntimeError {
    RuntimeError::user(Box::new(HostTrap {
        host_function: host_fn.to_owned(),
        failure,
    }))
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
    let (env, mut store) = env.data_and_store_mut();
    let CallEnv {
        memory,
        state,
        reply,
        pending,
        max_input_bytes,
        fuel,
        deadline,
    } = env;
    *pending = None;
    if len as u64 > *max_input_bytes {
        return Err(trap(
            name,
            HostFailure::InputTooLarge {
                len: len as u64,
                limit: *max_input_bytes,
            },
        ));
    }
    if let Some(fuel) = fuel
        && !fuel.charge(&mut store, host_call_fuel(len as u64))
    {
        return Err(RuntimeError::user(Box::new(LimitReached)));
    }
    let (Some(memory), Some(state)) = (memory.as_ref(), state.as_mut()) else {
        return Err(trap(
            name,
            HostFailure::BadCall("called outside a plugin call".to_owned()),
        ));
    };
    reply.clear();
    let outcome = {
        let view = memory.view(&store);
        // SAFETY: the slice lives while `view` borrows the store, during
        // which no wasm runs (the host function cannot reach the store)
        // and the memory cannot grow or change; plugin memories are not
        // shared with other threads.
        let bytes = unsafe { view.data_unchecked() };
        let Some(args) = bytes.get(ptr as usize..ptr as usize + len as usize) else {
            return Err(trap(
                name,
                HostFailure::BadCall(format!(
                    "its arguments at bytes {ptr}..{} lie outside the {}-byte memory",
                    ptr as u64 + len as u64,
                    bytes.len()
                )),
            ));
        };
        let mut context = HostContext { state, name };
        // A panicking host function must not unwind through wasm frames or
        // take the host down: it ends this call like an error.
        catch_unwind(AssertUnwindSafe(|| {
            (host_fn.thunk)(&mut context, args, reply)
        }))
    };
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => return Err(trap(name, failure)),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            return Err(trap(name, HostFailure::Panicked(cap_message(message))));
        }
    }
    let reply_len = reply.len();
    let Ok(reply_len32) = u32::try_from(reply_len) else {
        return Err(trap(
            name,
            HostFailure::Encode {
                codec: host_fn.codec,
                message: format!(
                    "the reply is {reply_len} bytes, more than a wasm32 plugin can address"
                ),
            },
        ));
    };
    if reply_len32 <= cap {
        let view = memory.view(&store);
        // SAFETY: as above, and the mutable slice is the only reference
        // into guest memory while it lives.
        let bytes = unsafe { view.data_unchecked_mut() };
        let size = bytes.len();
        let Some(target) = bytes.get_mut(ptr as usize..ptr as usize + reply_len) else {
            return Err(trap(
                name,
                HostFailure::BadCall(format!(
                    "its reply buffer at bytes {ptr}..{} lies outside the {size}-byte memory",
                    ptr as u64 + reply_len as u64
                )),
            ));
        };
        target.copy_from_slice(reply);
    } else {
        *pending = Some(host_fn.clone());
    }
    if let Some(fuel) = fuel
        && !fuel.charge(&mut store, host_call_fuel(reply_len as u64))
    {
        return Err(RuntimeError::user(Box::new(LimitReached)));
    }
    // The deadline may have passed while the host function ran: stop here
    // rather than at the guest's next loop or call.
    if let Some(deadline) = deadline
        && deadline.fired()
    {
        return Err(RuntimeError::user(Box::new(LimitReached)));
    }
    Ok(reply_len32)
}

/// `__wasmer_plugin_take_reply(ptr, len)`: the reply that did not fit.
fn take_reply<S: Send + 'static>(
    mut env: FunctionEnvMut<CallEnv<S>>,
    ptr: u32,
    len: u32,
) -> Result<(), RuntimeError> {
    let (env, store) = env.data_and_store_mut();
    // The error names the host function whose reply was asked for.
    let Some(host_fn) = env.pending.take() else {
        return Err(trap(
            TAKE_REPLY_IMPORT,
            HostFailure::BadCall("no host function's reply is waiting to be taken".to_owned()),
        ));
    };
    let bad = |reason: String| trap(&host_fn.name, HostFailure::BadCall(reason));
    if len as usize != env.reply.len() {
        return Err(bad(format!(
            "it took {len} bytes of a {}-byte reply",
            env.reply.len()
        )));
    }
    let Some(memory) = &env.memory else {
        return Err(bad("called outside a plugin call".to_owned()));
    };
    let view = memory.view(&store);
    // SAFETY: as in `call_host_fn`.
    let bytes = unsafe { view.data_unchecked_mut() };
    let size = bytes.len();
    let target = bytes
        .get_mut(ptr as usize..ptr as usize + len as usize)
        .ok_or_else(|| {
            bad(format!(
                "it took the reply to bytes {ptr}..{}, outside the {size}-byte memory",
                ptr as u64 + len as u64
            ))
        })?;
    target.copy_from_slice(&env.reply);
    Ok(())
}
