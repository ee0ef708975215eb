//! Calls into one plugin from any number of threads: one instance per
//! calling thread, made on first use and kept in a thread-local, at most
//! `max_instances` at once.
//!
//! Per thread rather than a shared pool of instances because a wasmer
//! store is neither `Send` nor `Sync`: an instance cannot move to another
//! thread without `unsafe`, while a thread-local one needs no lock on the
//! call path at all.
//!
//! A pool serves one version of its plugin at a time, and
//! [`HostPool::reload`] installs another while calls run: each call
//! compares the id of the version its thread's instance runs with the
//! pool's (one atomic load) and replaces an outdated instance before it
//! calls.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_abi::{Codec, Column, FunctionRecord};
use wasmer_plugin_codecs::Bincode;

use crate::host::lookup;
use crate::{Error, Function, Host, Plugin};

/// Default for [`HostPool::with_max_instances`]: 64 instances, one per
/// calling thread, so 64 times the plugin's memory at most.
pub const DEFAULT_MAX_INSTANCES: usize = 64;

/// One plugin called from any number of threads through `&self`.
///
/// Each thread that calls gets an instance of its own, made from the
/// compiled [`Plugin`] on its first call (no compiling) and kept for its
/// next calls until the thread ends or calls [`release`](HostPool::release).
/// (After the pool is dropped, a thread's instance of it goes when the
/// thread ends or first uses another pool.) Instances do not share statics:
/// state a plugin keeps between calls is per thread. A call that
/// [discards its instance](Error::discards_instance) affects only its own
/// thread's, and that thread's next call runs on a fresh one.
///
/// At most [`max_instances`](HostPool::with_max_instances) instances exist
/// at once. A thread without an instance that calls when the bound is
/// reached gets [`Error::InstanceLimit`] at once rather than waiting: the
/// other threads' instances are freed only when those threads end or
/// release them, which could be never. Size the bound to the threads
/// that call (a thread pool's size), not to the requests.
///
/// ```no_run
/// use wasmer_plugin_host::{HostPool, Plugin};
///
/// # fn main() -> Result<(), wasmer_plugin_host::Error> {
/// let plugin = Plugin::from_file("plugin.wasm")?;
/// let pool = HostPool::<wasmer_plugin_host::Bincode>::new(&plugin);
/// let greet = pool.function::<(&str, u32), String>("greet")?;
/// std::thread::scope(|scope| {
///     for i in 0..8 {
///         let (pool, greet) = (&pool, &greet);
///         scope.spawn(move || pool.call_function(greet, &("thread", i)));
///     }
/// });
/// # Ok(()) }
/// ```
///
/// With host functions, each instance has its own state `S`, made by the
/// plugin's [`state`](crate::Builder::state) function;
/// [`with_state`](HostPool::with_state) reaches the calling thread's.
pub struct HostPool<C: Codec = Bincode, S = ()> {
    /// Shared with the thread of a [`watch`](HostPool::watch).
    versions: Arc<Versions<S>>,
    shared: Arc<PoolShared>,
    codec: PhantomData<fn() -> C>,
}

/// The version of the plugin a pool serves, and the function names of
/// every version it served.
pub(crate) struct Versions<S> {
    current: RwLock<Plugin<S>>,
    /// `current`'s id, which every call reads without the lock.
    current_id: AtomicU64,
    /// By plugin id, the function names of each version the pool served:
    /// a handle looked up on an earlier version finds its function in the
    /// running one by name. Names only, so that nothing of an old
    /// version's compiled code stays; consecutive versions with the same
    /// functions share one list.
    served: Mutex<Vec<(u64, Arc<[String]>)>>,
    /// Held through a reload: reloads take turns.
    reloading: Mutex<()>,
}

impl<S> Versions<S> {
    fn new(plugin: &Plugin<S>) -> Self {
        Versions {
            current: RwLock::new(plugin.clone()),
            current_id: AtomicU64::new(plugin.id()),
            served: Mutex::new(vec![(plugin.id(), names(plugin))]),
            reloading: Mutex::new(()),
        }
    }

    /// Checks `plugin` (an instance of it, then `check`) and installs it.
    pub(crate) fn reload(
        &self,
        plugin: &Plugin<S>,
        check: impl FnOnce(&Plugin<S>) -> Result<(), Error>,
    ) -> Result<(), Error>
    where
        S: Send + 'static,
    {
        let _turn = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The codec of a host is only its calls' default: any will do.
        drop(Host::<Bincode, S>::from_plugin(plugin)?);
        check(plugin)?;
        self.install(plugin);
        Ok(())
    }

    fn current(&self) -> Plugin<S> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes `plugin` the version new calls get.
    fn install(&self, plugin: &Plugin<S>) {
        {
            let mut served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
            if !served.iter().any(|(id, _)| *id == plugin.id()) {
                let names = match served.last() {
                    Some((_, last))
                        if last.iter().eq(plugin.functions().iter().map(|f| &f.name)) =>
                    {
                        last.clone()
                    }
                    _ => names(plugin),
                };
                served.push((plugin.id(), names));
            }
        }
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        let old = std::mem::replace(&mut *current, plugin.clone());
        self.current_id.store(plugin.id(), Ordering::Release);
        drop(current);
        // The last reference to the old version, unless instances of it
        // still run or wait on their threads: its compiled code goes with
        // the last of them.
        drop(old);
    }

    /// The handle of `function`'s function in `plugin`, found by name,
    /// when `function` was looked up on another version this pool served.
    fn resolve<A: ?Sized, R: DeserializeOwned, K: Codec>(
        &self,
        function: &Function<A, R, K>,
        plugin: &Plugin<S>,
    ) -> Result<Function<A, R, K>, Error> {
        let served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        let name = served
            .iter()
            .find(|(id, _)| *id == function.plugin_id())
            .and_then(|(_, names)| names.get(function.index()));
        match name {
            Some(name) => lookup(plugin, name),
            None => Err(Error::ForeignFunction {
                handle: std::any::type_name::<Function<A, R, K>>(),
            }),
        }
    }
}

fn names<S>(plugin: &Plugin<S>) -> Arc<[String]> {
    plugin.functions().iter().map(|f| f.name.clone()).collect()
}

// The point of a pool: shared by reference across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<HostPool>();
    assert_send_sync::<HostPool<Bincode, std::cell::Cell<u8>>>();
};

/// What a pool's instances see of it.
struct PoolShared {
    id: u64,
    max: usize,
    live: AtomicUsize,
}

static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's instances, one per pool it called.
    static POOLED: RefCell<Vec<Pooled>> = const { RefCell::new(Vec::new()) };
}

struct Pooled {
    pool: u64,
    alive: Weak<PoolShared>,
    /// A `PooledHost<C>` of the pool's codec; `None` while in a call.
    host: Option<Box<dyn Any>>,
}

/// What a call finds in the thread's list for its pool.
enum Lend {
    /// The thread's idle instance, now lent to the call.
    Kept(Box<dyn Any>),
    /// The entry is empty: a call of this pool is running on this thread.
    Busy,
    /// No entry: one was made, empty, for this call.
    First,
}

/// A call's hold on its pool's entry in the thread's list: on drop, the
/// instance goes back into the entry, or, with no instance, the entry
/// goes. If the entry went during the call ([`HostPool::release`] from a
/// host function), the instance is dropped.
struct Loan<T: Any> {
    pool: u64,
    host: Option<Box<T>>,
}

impl<T: Any> Drop for Loan<T> {
    fn drop(&mut self) {
        let pool = self.pool;
        let host = self.host.take().map(|host| host as Box<dyn Any>);
        let unplaced = POOLED.with(|list| {
            let mut list = list.borrow_mut();
            match (list.iter().position(|entry| entry.pool == pool), host) {
                (Some(index), Some(host)) => {
                    list[index].host = Some(host);
                    None
                }
                (Some(index), None) => list.swap_remove(index).host,
                (None, host) => host,
            }
        });
        // Dropped outside the borrow: a state's drop may use a pool.
        drop(unplaced);
    }
}

/// A pool's instance with its place in the count.
struct PooledHost<C: Codec, S> {
    host: Host<C, S>,
    _permit: Permit,
}

/// Holds one of the pool's `max` places; gives it back when dropped.
struct Permit(Weak<PoolShared>);

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(shared) = self.0.upgrade() {
            shared.live.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl<C: Codec + 'static, S: Send + 'static> HostPool<C, S> {
    /// A pool of at most [`DEFAULT_MAX_INSTANCES`] instances of `plugin`.
    pub fn new(plugin: &Plugin<S>) -> Self {
        Self::with_max_instances(plugin, DEFAULT_MAX_INSTANCES)
    }

    /// A pool of at most `max` instances of `plugin` (at least one).
    pub fn with_max_instances(plugin: &Plugin<S>, max: usize) -> Self {
        HostPool {
            versions: Arc::new(Versions::new(plugin)),
            shared: Arc::new(PoolShared {
                id: NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed),
                max: max.max(1),
                live: AtomicUsize::new(0),
            }),
            codec: PhantomData,
        }
    }

    /// The compiled plugin the pool runs: the version new calls get.
    pub fn plugin(&self) -> Plugin<S> {
        self.versions.current()
    }

    /// The functions of the version new calls get, as its metadata
    /// describes them.
    pub fn functions(&self) -> Vec<FunctionRecord> {
        self.versions.current().functions().to_vec()
    }

    /// Makes `plugin` the version of the plugin this pool serves, while
    /// calls run: calls already running finish on the version they
    /// started on, and each thread's next call runs on a fresh instance
    /// of `plugin`. No call fails because of the swap.
    ///
    /// `plugin` is checked first by making an instance of it (which reads
    /// its schemas, checks its host functions' types and runs its start
    /// function): if that fails, the running version keeps serving and the
    /// error is returned. Build the new version with the builder of the
    /// running one (a [`PluginBuilder`](crate::PluginBuilder) is `Clone`):
    /// a file that is not a plugin, or lacks a host function, fails there,
    /// before the pool is touched.
    ///
    /// Handles looked up before the swap keep working, checked against the
    /// new version at their next call: a function whose types changed
    /// gives [`Error::TypeMismatch`], one that is gone
    /// [`Error::UnknownFunction`], one now built with another codec
    /// [`Error::CodecMismatch`]. They find their function by name on every
    /// call, which costs a lock: look them up again for the fast path.
    ///
    /// The old version's compiled code is freed when its last instance
    /// goes. An instance is replaced at its thread's next call (or goes
    /// with [`release`](HostPool::release), or when its thread ends): a
    /// thread that never calls again keeps its old instance until it ends.
    pub fn reload(&self, plugin: &Plugin<S>) -> Result<(), Error> {
        self.reload_checked(plugin, |_| Ok(()))
    }

    /// [`reload`](HostPool::reload), refused when `check` fails for the
    /// new version once its schemas are read.
    pub(crate) fn reload_checked(
        &self,
        plugin: &Plugin<S>,
        check: impl FnOnce(&Plugin<S>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.versions.reload(plugin, check)
    }

    /// What a [`watch`](HostPool::watch) reloads.
    pub(crate) fn versions(&self) -> &Arc<Versions<S>> {
        &self.versions
    }

    /// How many instances exist now, across all threads.
    pub fn instances(&self) -> usize {
        self.shared.live.load(Ordering::Acquire)
    }

    /// Calls plugin function `name` on the calling thread's instance; see
    /// [`Host::call`].
    pub fn call<A, R>(&self, name: &str, args: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call_in::<C, A, R>(name, args)
    }

    /// Like [`call`](HostPool::call), for a function built with codec `K`.
    pub fn call_in<K, A, R>(&self, name: &str, args: &A) -> Result<R, Error>
    where
        K: Codec,
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let function = self.function_in::<K, A, R>(name)?;
        self.call_function(&function, args)
    }

    /// Looks up plugin function `name` once; the handle serves every
    /// thread. See [`Host::function`].
    pub fn function<A: ?Sized, R: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Function<A, R, C>, Error> {
        self.function_in::<C, A, R>(name)
    }

    /// Like [`function`](HostPool::function), for a function built with
    /// codec `K`.
    pub fn function_in<K: Codec, A: ?Sized, R: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Function<A, R, K>, Error> {
        let plugin = self.versions.current();
        if plugin.schemas().is_none() {
            // The schemas come with the plugin's first instance: one made
            // and dropped here, so that a lookup leaves no instance behind
            // on a thread that may never call.
            drop(Host::<C, S>::from_plugin(&plugin)?);
        }
        lookup(&plugin, name)
    }

    /// Calls a looked-up function on the calling thread's instance.
    pub fn call_function<A, R, K>(&self, function: &Function<A, R, K>, args: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
        K: Codec,
    {
        self.with_host(|host| {
            if function.plugin_id() == host.plugin().id() {
                return host.call_function(function, args);
            }
            let function = self.versions.resolve(function, host.plugin())?;
            host.call_function(&function, args)
        })
    }

    /// Calls plugin function `name` with encoded arguments; see
    /// [`Host::call_raw`].
    pub fn call_raw(&self, name: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
        self.with_host(|host| host.call_raw(name, input))
    }

    /// Calls plugin function `name` on every row of `batch`, on the
    /// calling thread's instance; see [`Host::call_batch`].
    pub fn call_batch<T>(
        &self,
        name: &str,
        batch: &[u8],
        read: impl FnOnce(Column<'_>) -> T,
    ) -> Result<T, Error> {
        self.with_host(|host| host.call_batch(name, batch, read))
    }

    /// The size in bytes of the linear memory of the calling thread's
    /// instance, or `None` when the thread has none (see
    /// [`Host::memory_size`]).
    pub fn memory_size(&self) -> Option<u64> {
        POOLED.with(|pooled| {
            let pooled = pooled.borrow();
            let entry = pooled.iter().find(|entry| entry.pool == self.shared.id)?;
            let host = entry.host.as_ref()?.downcast_ref::<PooledHost<C, S>>()?;
            host.host.memory_size()
        })
    }

    /// Runs `access` on the state of the calling thread's instance, made
    /// first if the thread has none (which may fail as a call would).
    pub fn with_state<T>(&self, access: impl FnOnce(&mut S) -> T) -> Result<T, Error> {
        self.with_host(|host| Ok(access(host.state_mut())))
    }

    /// Drops the calling thread's instance, if it has one, giving its
    /// place back to the pool; its next call makes a fresh one. Called
    /// during one of the pool's calls on this thread (from a host
    /// function), it drops that call's instance when the call returns.
    pub fn release(&self) {
        let dropped = POOLED.with(|pooled| {
            let mut pooled = pooled.borrow_mut();
            let index = pooled
                .iter()
                .position(|entry| entry.pool == self.shared.id)?;
            Some(pooled.swap_remove(index))
        });
        // Dropped outside the borrow: an instance's drop runs no plugin
        // code, but it need not hold the thread's list either.
        drop(dropped);
    }

    /// Runs `call` on this thread's instance, made first if need be.
    ///
    /// The instance is lent out of the thread's list for the call, its
    /// entry left empty, so that a call of this pool from inside it (a
    /// host function re-entering the pool on the same thread) sees the
    /// pool busy: it runs on an instance of its own, dropped when it
    /// returns, and the outer call's instance, state and statics stay
    /// exactly as a call without the nested one would leave them.
    pub(crate) fn with_host<T>(
        &self,
        call: impl FnOnce(&mut Host<C, S>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let id = self.shared.id;
        let lent = POOLED.with(|pooled| {
            let mut list = pooled.borrow_mut();
            if let Some(entry) = list.iter_mut().find(|entry| entry.pool == id) {
                return match entry.host.take() {
                    Some(host) => Lend::Kept(host),
                    None => Lend::Busy,
                };
            }
            // Forget the instances of pools that are gone.
            list.retain(|entry| entry.alive.strong_count() > 0);
            list.push(Pooled {
                pool: id,
                alive: Arc::downgrade(&self.shared),
                host: None,
            });
            Lend::First
        });
        let current = self.versions.current_id.load(Ordering::Acquire);
        let kept = match lent {
            Lend::Busy => return call(&mut self.new_instance()?.host),
            // An instance of a version the pool no longer serves is
            // dropped here, giving its place back before a new one takes
            // it.
            Lend::Kept(host) => host
                .downcast::<PooledHost<C, S>>()
                .ok()
                .filter(|kept| kept.host.plugin().id() == current),
            Lend::First => None,
        };
        // From here the entry is this call's: the guard puts the instance
        // back, or clears the entry if there is none, however the call
        // ends (an error, a panic of `call`).
        let mut loan = Loan {
            pool: id,
            host: None,
        };
        let host = match kept {
            Some(host) => host,
            None => Box::new(self.new_instance()?),
        };
        call(&mut loan.host.insert(host).host)
    }

    /// A new instance for the calling thread, if the bound allows one.
    fn new_instance(&self) -> Result<PooledHost<C, S>, Error> {
        let shared = &self.shared;
        let mut live = shared.live.load(Ordering::Acquire);
        loop {
            if live >= shared.max {
                return Err(Error::InstanceLimit { limit: shared.max });
            }
            match shared
                .live
                .compare_exchange(live, live + 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(now) => live = now,
            }
        }
        let permit = Permit(Arc::downgrade(shared));
        Ok(PooledHost {
            host: Host::from_plugin(&self.versions.current())?,
            _permit: permit,
        })
    }
}

impl<C: Codec + 'static, S: Send + 'static> fmt::Debug for HostPool<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostPool")
            .field("codec", &C::NAME)
            .field("plugin", &self.versions.current())
            .field("max_instances", &self.shared.max)
            .field("instances", &self.instances())
            .finish()
    }
}
