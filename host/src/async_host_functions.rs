//! Async host functions: a host function whose closure returns a future.
//! While the future is pending the plugin's call is suspended (wasmer's
//! `experimental-async` keeps the wasm stack on a coroutine) and the
//! thread that ran it runs other calls; when the future is ready the
//! reply is written into the plugin's buffer and the plugin goes on, as
//! after a sync host function. The plugin side does not change: a
//! `#[host_functions]` declaration does not say how the host implements
//! it.
//!
//! Only an async call ([`AsyncHostPool`](crate::AsyncHostPool)) can
//! suspend. A sync call that reaches an async host function fails with
//! [`HostFunctionFailure::BadCall`] naming it, before the future is made.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer::{AsyncFunctionEnvMut, Function, FunctionEnv, Store};
use wasmer_plugin_abi::Codec;

use crate::builder::Target;
use crate::caught_panic;
use crate::host_functions::{Body, HostFn, decode_arguments, encode_reply};
use crate::imports::{CallEnv, bad_call, deliver_reply, with_arguments};
use crate::limits::{restore_grow_refused, take_grow_refused};
use crate::observe::Span;
use crate::schemas::ReplyCheck;
use crate::{Builder, HostFunctionFailure};

/// What an async host function gets besides its arguments: its name and
/// the calling instance's state, reached through
/// [`with_state`](AsyncHostContext::with_state).
///
/// It is valid for the host-function call it was made for: the state is
/// not reachable through a context kept (in a spawned task, say) after the
/// future it was given to is ready.
pub struct AsyncHostContext<S> {
    name: Arc<str>,
    access: Access<S>,
}

enum Access<S> {
    /// The calling instance's environment, cleared when the call's future
    /// is ready.
    Instance(Rc<RefCell<Option<AsyncFunctionEnvMut<CallEnv<S>>>>>),
    /// A host function registered before the builder's `state`: it sees a
    /// state of its own type, `()`.
    Detached(RefCell<S>),
}

impl<S: 'static> AsyncHostContext<S> {
    /// The name of the host function running, as the plugin imports it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `change` on the calling instance's state, as the builder's
    /// [`state`](Builder::state) made it and earlier calls left it, and
    /// returns what it returns. The closure is not async: hold nothing of
    /// the state across an `.await`, copy out what the future needs.
    ///
    /// # Panics
    ///
    /// If the context is used after its host-function call ended (it was
    /// moved into a task that outlived the future), or from inside
    /// `change`. Inside the call a panic ends the plugin call with
    /// [`HostFunctionFailure::Panicked`].
    pub async fn with_state<T>(&self, change: impl FnOnce(&mut S) -> T) -> T {
        match &self.access {
            Access::Detached(state) => change(&mut state.borrow_mut()),
            Access::Instance(env) => {
                let env = env.borrow_mut().as_mut().map(AsyncFunctionEnvMut::as_mut);
                let Some(env) = env else {
                    panic!(
                        "the AsyncHostContext of host function `{}` was used after its call ended",
                        self.name
                    );
                };
                let mut handle = env.write().await;
                let state = handle
                    .data_mut()
                    .state
                    .as_mut()
                    .expect("an async call lends the state to its instance");
                change(state)
            }
        }
    }
}

impl<S> fmt::Debug for AsyncHostContext<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncHostContext")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Encodes a host future's reply once it is ready: the future's output,
/// so that the reply's type stays inside it.
type ReplyEncoder = Box<dyn FnOnce(&ReplyCheck, &mut Vec<u8>) -> Result<(), HostFunctionFailure>>;

/// The future of one async host-function call.
type HostFuture = Pin<Box<dyn Future<Output = Result<ReplyEncoder, HostFunctionFailure>>>>;

/// Decodes the arguments and makes the host function's future.
pub(crate) type AsyncThunk<S> =
    dyn Fn(AsyncHostContext<S>, &[u8]) -> Result<HostFuture, HostFunctionFailure> + Send + Sync;

fn async_thunk<S, K, A, R, F, Fut>(function: F) -> Box<AsyncThunk<S>>
where
    S: 'static,
    K: Codec,
    A: DeserializeOwned + 'static,
    R: Serialize + 'static,
    F: Fn(AsyncHostContext<S>, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, HostFunctionFailure>> + 'static,
{
    Box::new(move |context, input| {
        let args = decode_arguments::<K, A>(input)?;
        let future = function(context, args);
        Ok(Box::pin(async move {
            let reply = future.await?;
            let encode: ReplyEncoder =
                Box::new(move |check, out| encode_reply::<K, R>(&reply, check, out));
            Ok(encode)
        }))
    })
}

/// An async host function registered before the builder's `state`, for
/// instances with state `S`: it keeps seeing `()`.
pub(crate) fn without_state<S: 'static>(function: Arc<HostFn<()>>) -> Box<AsyncThunk<S>> {
    Box::new(move |context: AsyncHostContext<S>, input| {
        let Body::Async(thunk) = &function.body else {
            unreachable!("only async host functions are adapted here")
        };
        let detached = AsyncHostContext {
            name: context.name,
            access: Access::Detached(RefCell::new(())),
        };
        thunk(detached, input)
    })
}

/// Whether an instance is in an async call, shared with its async host
/// functions: only then can they suspend it.
#[derive(Clone, Default)]
pub(crate) struct AsyncMode(Rc<Cell<bool>>);

impl AsyncMode {
    pub(crate) fn new() -> AsyncMode {
        AsyncMode::default()
    }

    pub(crate) fn set(&self, on: bool) {
        self.0.set(on);
    }
}

/// The wasmer function for async host function `host_fn` of an instance.
pub(crate) fn bind<S: Send + 'static>(
    store: &mut Store,
    env: &FunctionEnv<CallEnv<S>>,
    mode: &AsyncMode,
    host_fn: Arc<HostFn<S>>,
) -> Function {
    let mode = mode.clone();
    Function::new_typed_with_env_async(
        store,
        env,
        move |env: AsyncFunctionEnvMut<CallEnv<S>>, ptr: u32, len: u32, cap: u32| {
            let host_fn = host_fn.clone();
            let in_async_call = mode.0.get();
            async move {
                if !in_async_call {
                    return Err(bad_call(
                        &host_fn.name,
                        "it is an async host function, and the plugin was called without async: call it through an AsyncHostPool".to_owned(),
                    ));
                }
                call(env, &host_fn, ptr, len, cap).await
            }
        },
    )
}

/// One call of async host function `host_fn`: the arguments are read and
/// the future made at once (the plugin is suspended meanwhile, its store
/// unlocked); the reply is delivered when the future is ready, as a sync
/// host function's is.
async fn call<S: Send + 'static>(
    mut env: AsyncFunctionEnvMut<CallEnv<S>>,
    host_fn: &Arc<HostFn<S>>,
    ptr: u32,
    len: u32,
    cap: u32,
) -> Result<u32, wasmer::RuntimeError> {
    let name = &*host_fn.name;
    let Body::Async(thunk) = &host_fn.body else {
        unreachable!("bound as an async host function")
    };
    let span = Span::host_function(name, len);
    // Other calls run on this thread while this one is suspended: it keeps
    // its own memory-grow flag meanwhile.
    let grow_refused = take_grow_refused();
    let context_env = Rc::new(RefCell::new(Some(env.as_mut())));
    let made = {
        let mut handle = env.write().await;
        let (data, store) = handle.data_and_store_mut();
        with_arguments(data, store, name, ptr, len, |_, args, _| {
            let context = AsyncHostContext {
                name: host_fn.name.clone(),
                access: Access::Instance(context_env.clone()),
            };
            caught_panic::catch(|| thunk(context, args))
        })
    };
    let made = match made {
        Ok(made) => made,
        Err(trap) => {
            restore_grow_refused(grow_refused);
            return Err(trap);
        }
    };
    let outcome = match made {
        Err(panic) => Err(panic),
        Ok(Err(failure)) => Ok(Err(failure)),
        Ok(Ok(mut future)) => {
            // A panic in the future ends the call like an error, as a sync
            // host function's does; it unwinds no wasm frame (the future
            // is polled outside the coroutine).
            std::future::poll_fn(
                |cx| match caught_panic::catch(|| future.as_mut().poll(cx)) {
                    Ok(Poll::Pending) => Poll::Pending,
                    Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
                    Err(panic) => Poll::Ready(Err(panic)),
                },
            )
            .await
        }
    };
    // The state is not reachable through the context after this.
    context_env.borrow_mut().take();
    let mut handle = env.write().await;
    let (data, store) = handle.data_and_store_mut();
    let outcome = match outcome {
        Ok(Ok(encode)) => {
            data.reply.clear();
            let reply = &mut data.reply;
            caught_panic::catch(|| encode(&host_fn.reply, reply))
        }
        Ok(Err(failure)) => Ok(Err(failure)),
        Err(panic) => Err(panic),
    };
    // The plugin resumes as soon as this returns.
    restore_grow_refused(grow_refused);
    let reply_len = deliver_reply(data, store, host_fn, ptr, cap, outcome)?;
    span.output(reply_len as usize);
    Ok(reply_len)
}

/// Async host functions, for plugins called through an
/// [`AsyncHostPool`](crate::AsyncHostPool).
impl<O: Target> Builder<O> {
    /// Registers async host function `name` in the builder's codec: like
    /// [`host_fn`](Builder::host_fn), but `function` returns a future of
    /// the reply. While it is pending the plugin's call is suspended and
    /// the pool's thread runs other calls. The future need not be `Send`;
    /// it reaches the instance's state through
    /// [`AsyncHostContext::with_state`].
    ///
    /// A panic, when the future is made or while it is polled, ends the
    /// plugin call with [`Error::HostFunction`](crate::Error::HostFunction)
    /// ([`HostFunctionFailure::Panicked`]). The plugin's deadline
    /// ([`timeout`](Builder::timeout)) counts the time the future takes.
    /// Only an async call can run it: a plugin that reaches it through a
    /// sync [`Host`](crate::Host) or [`HostPool`](crate::HostPool), or
    /// from its start function (which runs sync, when an instance is
    /// made), gets [`HostFunctionFailure::BadCall`].
    pub fn async_host_fn<A, R, F, Fut>(self, name: &str, function: F) -> Self
    where
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        F: Fn(AsyncHostContext<O::State>, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + 'static,
    {
        self.async_host_fn_in::<O::Codec, A, R, F, Fut>(name, function)
    }

    /// Like [`async_host_fn`](Builder::async_host_fn), for plugins that
    /// declare the import with codec `K`.
    pub fn async_host_fn_in<K, A, R, F, Fut>(self, name: &str, function: F) -> Self
    where
        K: Codec,
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        F: Fn(AsyncHostContext<O::State>, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + 'static,
    {
        let body = async_thunk::<_, K, A, R, _, _>(move |context, args| {
            let future = function(context, args);
            async move { Ok(future.await) }
        });
        self.register_body::<K, A>(name, Body::Async(body.into()))
    }

    /// Registers an async host function that can fail: its `Err` ends the
    /// plugin call as a [`try_host_fn`](Builder::try_host_fn)'s does, the
    /// error kept as itself ([`Error::host_error`](crate::Error::host_error)).
    pub fn try_async_host_fn<A, R, E, F, Fut>(self, name: &str, function: F) -> Self
    where
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: Fn(AsyncHostContext<O::State>, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + 'static,
    {
        self.try_async_host_fn_in::<O::Codec, A, R, E, F, Fut>(name, function)
    }

    /// Like [`try_async_host_fn`](Builder::try_async_host_fn), for plugins
    /// that declare the import with codec `K`.
    pub fn try_async_host_fn_in<K, A, R, E, F, Fut>(self, name: &str, function: F) -> Self
    where
        K: Codec,
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: Fn(AsyncHostContext<O::State>, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + 'static,
    {
        let body = async_thunk::<_, K, A, R, _, _>(move |context, args| {
            let future = function(context, args);
            async move {
                future
                    .await
                    .map_err(|err| HostFunctionFailure::Returned(err.into()))
            }
        });
        self.register_body::<K, A>(name, Body::Async(body.into()))
    }
}
