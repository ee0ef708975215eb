//! Plugin calls awaited from any tokio task: [`AsyncHostPool`].
//!
//! A wasmer store is neither `Send` nor `Sync`, and wasmer's async calls
//! are futures that are not `Send` either, driven by a single-threaded
//! executor. So the pool runs plugins on threads of its own, each a
//! current-thread tokio runtime with its own instances, and hands the
//! caller a `Send` future that sends the call to one of them and waits for
//! the answer. On a plugin thread many calls are in flight at once: while
//! one is suspended on an async host function's future, the thread runs
//! the others. No wasm ever runs on, or blocks, the caller's executor.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Semaphore, mpsc, oneshot};
use wasmer_plugin_abi::{Codec, FunctionRecord};
use wasmer_plugin_codecs::Bincode;

use crate::host::{decode_output, encode_for, index_of, lookup};
use crate::limits::Canceller;
use crate::observe::Caller;
use crate::{Error, Function, Host, Plugin};

/// Default for [`AsyncPoolBuilder::max_concurrent_calls`]: calls in
/// flight at once across the pool's threads, each with an instance of its
/// own (so at most this many times the plugin's memory); more wait.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 1024;

/// Default for [`AsyncPoolBuilder::max_idle_instances`]: instances each
/// plugin thread keeps between calls, for the next calls to reuse.
pub const DEFAULT_MAX_IDLE_INSTANCES: usize = 8;

/// One plugin called from async code: every method returns a `Send +
/// 'static` future, to await in any tokio task (an axum handler, a
/// `tokio::spawn`ed task) on any runtime.
///
/// ```no_run
/// use wasmer_plugin_host::{AsyncHostPool, Bincode, Plugin};
///
/// # async fn run() -> Result<(), wasmer_plugin_host::Error> {
/// let plugin = Plugin::builder()
///     .async_host_fn("lookup", |_ctx, key: String| async move {
///         tokio::time::sleep(std::time::Duration::from_millis(10)).await;
///         format!("value of {key}")
///     })
///     .build_from_file("plugin.wasm")?;
/// let pool = AsyncHostPool::<Bincode>::new(&plugin)?;
/// let greet = pool.function::<(&str, u32), String>("greet")?;
/// let greeting = pool.call_function(&greet, &("wasm", 2)).await?;
/// # Ok(()) }
/// ```
///
/// The calls run on the pool's plugin threads ([`threads`](AsyncPoolBuilder::threads),
/// one per core by default), each driving many calls at once: a call
/// suspended on an [async host function](crate::Builder::async_host_fn)
/// frees its thread for the others. Each call in flight has an instance of
/// its own, with its own state (made by the plugin's
/// [`state`](crate::Builder::state) function); an instance and its state
/// are reused by later calls on the same thread, and dropped with the
/// instance when a call [discards it](Error::discards_instance).
///
/// Dropping a call's future (or `tokio::time::timeout` around it)
/// cancels the call: a call suspended on a host future is abandoned at
/// once, its future dropped; a call running wasm is stopped at its next
/// check when the plugin has a [`timeout`](crate::Builder::timeout) (only
/// a deadline's check reaches running code), and otherwise runs to its
/// end first. A call stopped or abandoned discards its instance, with its
/// state, and the next call works as before. Every limit holds as in a sync call;
/// the deadline counts the time a call is suspended.
pub struct AsyncHostPool<C: Codec = Bincode, S = ()> {
    plugin: Plugin<S>,
    shared: Arc<Shared<C, S>>,
}

// The point of the pool: its futures cross threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<AsyncHostPool>();
};

/// How an [`AsyncHostPool`] is made: its threads and bounds.
pub struct AsyncPoolBuilder<C: Codec = Bincode, S = ()> {
    plugin: Plugin<S>,
    threads: usize,
    max_concurrent_calls: usize,
    max_idle_instances: usize,
    codec: PhantomData<fn() -> C>,
}

/// What the callers and the plugin threads share.
struct Shared<C: Codec, S> {
    threads: Vec<PluginThread<C, S>>,
    calls: Semaphore,
    max_concurrent_calls: usize,
    /// Instances alive across the threads, idle or running.
    instances: Arc<AtomicUsize>,
}

/// One plugin thread as the callers see it.
struct PluginThread<C: Codec, S> {
    jobs: mpsc::UnboundedSender<Job<C, S>>,
    /// Calls sent to it and not finished, to send the next to the least
    /// busy thread.
    load: Arc<AtomicUsize>,
}

/// A call, as a plugin thread runs it.
type Job<C, S> = Box<dyn FnOnce(Rc<ThreadState<C, S>>) -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// What one plugin thread keeps between calls.
struct ThreadState<C: Codec, S> {
    plugin: Plugin<S>,
    idle: RefCell<Vec<Counted<C, S>>>,
    max_idle: usize,
    instances: Arc<AtomicUsize>,
}

/// A host (one instance and its state) in the pool's count.
struct Counted<C: Codec, S> {
    host: Host<C, S>,
    instances: Arc<AtomicUsize>,
}

impl<C: Codec, S> Drop for Counted<C, S> {
    fn drop(&mut self) {
        self.instances.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<C: Codec + 'static, S: Send + 'static> ThreadState<C, S> {
    /// An idle host, or a new one.
    fn host(&self) -> Result<Counted<C, S>, Error> {
        if let Some(host) = self.idle.borrow_mut().pop() {
            return Ok(host);
        }
        let host = Host::from_plugin(&self.plugin)?;
        self.instances.fetch_add(1, Ordering::AcqRel);
        Ok(Counted {
            host,
            instances: self.instances.clone(),
        })
    }

    /// Keeps `host` for the next call, unless its instance is gone (with
    /// it, the state it had) or enough are idle.
    fn put_back(&self, host: Counted<C, S>) {
        let mut idle = self.idle.borrow_mut();
        if host.host.memory_size().is_some() && idle.len() < self.max_idle {
            idle.push(host);
        }
    }
}

/// Whether a call's caller went away, and how to stop the call then.
#[derive(Default)]
struct Cancel {
    state: Mutex<CancelState>,
}

#[derive(Default)]
struct CancelState {
    cancelled: bool,
    /// While the call runs (a plugin with a deadline).
    canceller: Option<Canceller>,
}

impl Cancel {
    fn lock(&self) -> std::sync::MutexGuard<'_, CancelState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// On the plugin thread, when the call starts running.
    fn started(&self, canceller: Option<Canceller>) {
        let mut state = self.lock();
        if state.cancelled {
            if let Some(canceller) = &canceller {
                canceller.cancel();
            }
            return;
        }
        state.canceller = canceller;
    }

    /// On the plugin thread, when the call is over: the instance may run
    /// other calls now, which this one's caller must not stop.
    fn finished(&self) {
        self.lock().canceller = None;
    }

    /// On the caller's side, when its future is dropped before the answer.
    fn cancel(&self) {
        let mut state = self.lock();
        state.cancelled = true;
        if let Some(canceller) = state.canceller.take() {
            canceller.cancel();
        }
    }
}

/// Cancels the call when the caller's future is dropped before the answer.
struct CancelOnDrop(Option<Arc<Cancel>>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = self.0.take() {
            cancel.cancel();
        }
    }
}

/// Counts a call against its thread's load until the job is done or
/// dropped unrun.
struct Load(Arc<AtomicUsize>);

impl Drop for Load {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<C: Codec + 'static, S: Send + 'static> AsyncPoolBuilder<C, S> {
    /// How many plugin threads run the calls (at least one). Default: the
    /// machine's available parallelism.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// How many calls may be in flight at once, each holding an instance
    /// (at least one); later calls wait for a place. Default
    /// [`DEFAULT_MAX_CONCURRENT_CALLS`]. An async host function that
    /// awaits a call of its own pool holds a place while it waits for
    /// another: with every place held that way, the calls wait forever.
    /// Leave room for them.
    pub fn max_concurrent_calls(mut self, calls: usize) -> Self {
        self.max_concurrent_calls = calls.max(1);
        self
    }

    /// How many instances each plugin thread keeps between calls. Default
    /// [`DEFAULT_MAX_IDLE_INSTANCES`].
    pub fn max_idle_instances(mut self, instances: usize) -> Self {
        self.max_idle_instances = instances;
        self
    }

    /// Starts the plugin threads and makes the first instance on one of
    /// them (which reads the plugin's schemas, for lookups). It blocks
    /// until that instance exists: make pools at startup.
    pub fn build(self) -> Result<AsyncHostPool<C, S>, Error> {
        let instances = Arc::new(AtomicUsize::new(0));
        let mut threads = Vec::with_capacity(self.threads);
        let mut first = None;
        for number in 0..self.threads {
            let (jobs, receiver) = mpsc::unbounded_channel();
            let (plugin, max_idle, count) = (
                self.plugin.clone(),
                self.max_idle_instances,
                instances.clone(),
            );
            let (made, first_made) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name(format!("wasmer-plugin-async-{number}"))
                .spawn(move || {
                    // Made here: instances never leave their thread.
                    let state = ThreadState {
                        plugin,
                        idle: RefCell::new(Vec::new()),
                        max_idle,
                        instances: count,
                    };
                    run_thread(state, receiver, (number == 0).then_some(made))
                })
                .map_err(|err| Error::PluginThread {
                    reason: format!("could not start plugin thread {number}: {err}"),
                })?;
            if number == 0 {
                first = Some(first_made);
            }
            threads.push(PluginThread {
                jobs,
                load: Arc::new(AtomicUsize::new(0)),
            });
        }
        let made = first
            .expect("at least one thread")
            .recv()
            .map_err(|_| Error::PluginThread {
                reason: "plugin thread 0 stopped before it made an instance".to_owned(),
            })?;
        made?;
        Ok(AsyncHostPool {
            plugin: self.plugin.clone(),
            shared: Arc::new(Shared {
                threads,
                calls: Semaphore::new(self.max_concurrent_calls),
                max_concurrent_calls: self.max_concurrent_calls,
                instances,
            }),
        })
    }
}

/// A plugin thread: a current-thread runtime that runs each call sent to
/// it as a task of its own, until the pool and its futures are gone.
/// Thread 0 makes the pool's first instance, and says how it went.
fn run_thread<C: Codec + 'static, S: Send + 'static>(
    state: ThreadState<C, S>,
    mut jobs: mpsc::UnboundedReceiver<Job<C, S>>,
    first: Option<std::sync::mpsc::Sender<Result<(), Error>>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            if let Some(first) = first {
                let _ = first.send(Err(Error::PluginThread {
                    reason: format!("could not start a plugin thread's runtime: {err}"),
                }));
            }
            return;
        }
    };
    let state = Rc::new(state);
    if let Some(first) = first {
        let made = state.host().map(|host| state.put_back(host));
        let _ = first.send(made);
    }
    let tasks = tokio::task::LocalSet::new();
    tasks.block_on(&runtime, async move {
        while let Some(job) = jobs.recv().await {
            tokio::task::spawn_local(job(state.clone()));
        }
    });
}

impl<C: Codec + 'static, S: Send + 'static> AsyncHostPool<C, S> {
    /// A pool of `plugin` with the default threads and bounds; see
    /// [`builder`](AsyncHostPool::builder).
    pub fn new(plugin: &Plugin<S>) -> Result<Self, Error> {
        Self::builder(plugin).build()
    }

    /// A builder for a pool of `plugin` with other threads or bounds.
    pub fn builder(plugin: &Plugin<S>) -> AsyncPoolBuilder<C, S> {
        AsyncPoolBuilder {
            plugin: plugin.clone(),
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            max_idle_instances: DEFAULT_MAX_IDLE_INSTANCES,
            codec: PhantomData,
        }
    }

    /// The compiled plugin the pool runs.
    pub fn plugin(&self) -> &Plugin<S> {
        &self.plugin
    }

    /// The plugin's functions, as its metadata describes them.
    pub fn functions(&self) -> &[FunctionRecord] {
        self.plugin.functions()
    }

    /// How many instances exist now, idle or running a call, across the
    /// pool's threads.
    pub fn instances(&self) -> usize {
        self.shared.instances.load(Ordering::Acquire)
    }

    /// How many plugin threads the pool runs.
    pub fn threads(&self) -> usize {
        self.shared.threads.len()
    }

    /// Looks up plugin function `name` once; see [`Host::function`].
    pub fn function<A: ?Sized, R: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Function<A, R, C>, Error> {
        lookup(&self.plugin, name)
    }

    /// Like [`function`](AsyncHostPool::function), for a function built
    /// with codec `K`.
    pub fn function_in<K: Codec, A: ?Sized, R: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Function<A, R, K>, Error> {
        lookup(&self.plugin, name)
    }

    /// Calls plugin function `name` with `args`; see [`Host::call`]. The
    /// arguments are encoded before this returns: the future does not
    /// borrow them.
    pub fn call<A, R>(&self, name: &str, args: &A) -> AsyncCall<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned + Send + 'static,
    {
        self.call_in::<C, A, R>(name, args)
    }

    /// Like [`call`](AsyncHostPool::call), for a function built with codec
    /// `K`.
    pub fn call_in<K, A, R>(&self, name: &str, args: &A) -> AsyncCall<R>
    where
        K: Codec + 'static,
        A: Serialize + ?Sized,
        R: DeserializeOwned + Send + 'static,
    {
        match self.function_in::<K, A, R>(name) {
            Ok(function) => self.call_function(&function, args),
            Err(error) => AsyncCall::failed(error),
        }
    }

    /// Calls a function looked up with [`function`](AsyncHostPool::function)
    /// or [`function_in`](AsyncHostPool::function_in).
    pub fn call_function<A, R, K>(&self, function: &Function<A, R, K>, args: &A) -> AsyncCall<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned + Send + 'static,
        K: Codec + 'static,
    {
        let args = match self.encode(function, args) {
            Ok(args) => args,
            Err(error) => return AsyncCall::failed(error),
        };
        let index = function.index();
        let shared = self.shared.clone();
        AsyncCall(Box::pin(async move {
            shared.dispatch(index, args, decode_output::<K, R>).await
        }))
    }

    /// Calls plugin function `name` with arguments the caller encoded; see
    /// [`Host::call_raw`].
    pub fn call_raw(&self, name: &str, input: &[u8]) -> AsyncCall<Vec<u8>> {
        let index = match index_of(&self.plugin, name) {
            Ok(index) => index,
            Err(error) => return AsyncCall::failed(error),
        };
        let input = input.to_vec();
        let shared = self.shared.clone();
        AsyncCall(Box::pin(async move {
            shared
                .dispatch(index, input, |_, output| Ok(output.to_vec()))
                .await
        }))
    }

    fn encode<A, R, K>(&self, function: &Function<A, R, K>, args: &A) -> Result<Vec<u8>, Error>
    where
        A: Serialize + ?Sized,
        K: Codec,
    {
        let mut encoded = Vec::new();
        encode_for(&self.plugin, function, args, &mut encoded)?;
        Ok(encoded)
    }
}

impl<C: Codec + 'static, S: Send + 'static> Shared<C, S> {
    /// Sends a call of function `index` with `args` to the least busy
    /// plugin thread once there is room, and waits for its answer.
    async fn dispatch<T, D>(&self, index: usize, args: Vec<u8>, decode: D) -> Result<T, Error>
    where
        T: Send + 'static,
        D: FnOnce(&str, &[u8]) -> Result<T, Error> + Send + 'static,
    {
        let _place = self
            .calls
            .acquire()
            .await
            .map_err(|_| Error::PluginThread {
                reason: "the pool is closed".to_owned(),
            })?;
        let (number, thread) = self
            .threads
            .iter()
            .enumerate()
            .min_by_key(|(_, thread)| thread.load.load(Ordering::Acquire))
            .expect("at least one thread");
        thread.load.fetch_add(1, Ordering::AcqRel);
        let load = Load(thread.load.clone());
        let cancel = Arc::new(Cancel::default());
        let mut cancel_on_drop = CancelOnDrop(Some(cancel.clone()));
        let (answer, answered) = oneshot::channel();
        let caller = Caller::here();
        let job: Job<C, S> = Box::new(move |state| {
            let call = run_call(state, index, args, decode, answer, cancel, load);
            Box::pin(async move {
                let mut call = std::pin::pin!(call);
                std::future::poll_fn(|cx| caller.within(|| call.as_mut().poll(cx))).await
            })
        });
        thread.jobs.send(job).map_err(|_| Error::PluginThread {
            reason: format!("plugin thread {number} has stopped"),
        })?;
        let answer = answered.await.map_err(|_| Error::PluginThread {
            reason: format!("plugin thread {number} dropped the call (it stopped)"),
        });
        // Answered: nothing to cancel.
        cancel_on_drop.0 = None;
        answer?
    }
}

/// One call on its plugin thread: on an idle instance or a new one,
/// abandoned when the caller goes away.
async fn run_call<C, S, T, D>(
    state: Rc<ThreadState<C, S>>,
    index: usize,
    args: Vec<u8>,
    decode: D,
    mut answer: oneshot::Sender<Result<T, Error>>,
    cancel: Arc<Cancel>,
    _load: Load,
) where
    C: Codec + 'static,
    S: Send + 'static,
    D: FnOnce(&str, &[u8]) -> Result<T, Error>,
{
    let mut host = match state.host() {
        Ok(host) => host,
        Err(error) => {
            let _ = answer.send(Err(error));
            return;
        }
    };
    let result = {
        let call = host.host.call_encoded_async(
            index,
            &args,
            |canceller| cancel.started(canceller),
            decode,
        );
        tokio::select! {
            biased;
            result = call => Some(result),
            () = answer.closed() => None,
        }
    };
    cancel.finished();
    if let Some(result) = result {
        // Back (or dropped) before the answer: a caller that counts the
        // instances after it sees them settled, and its next call finds
        // this one idle.
        state.put_back(host);
        let _ = answer.send(result);
    }
}

/// The future of one call through an [`AsyncHostPool`]: `Send` and
/// `'static`, borrowing neither the pool nor the arguments (encoded when
/// it was made). Dropped before it is ready, it cancels the call.
#[must_use = "a call runs only while its future is awaited"]
pub struct AsyncCall<T>(Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>);

impl<T> AsyncCall<T> {
    /// A call that failed before it was sent.
    fn failed(error: Error) -> Self
    where
        T: Send + 'static,
    {
        AsyncCall(Box::pin(std::future::ready(Err(error))))
    }
}

impl<T> Future for AsyncCall<T> {
    type Output = Result<T, Error>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for AsyncCall<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncCall").finish_non_exhaustive()
    }
}

impl<C: Codec, S> fmt::Debug for AsyncHostPool<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncHostPool")
            .field("codec", &C::NAME)
            .field("plugin", &self.plugin)
            .field("threads", &self.shared.threads.len())
            .field("max_concurrent_calls", &self.shared.max_concurrent_calls)
            .finish()
    }
}
