use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_abi::{
    BATCH_HEADER_SIZE, BatchHeader, Codec, Column, FunctionRecord, FunctionSchema, read_output,
};
use wasmer_plugin_codecs::Bincode;

use crate::error::CallResult;
use crate::instance::Instance;
use crate::limits::{check_input, keeps_instance};
use crate::observe::Span;
use crate::pipeline::StageInput;
use crate::reply::cap_message;
use crate::{Error, HostBuilder, Plugin};

/// One running instance of a plugin, ready to call from the thread that
/// owns it.
///
/// `C` is the codec calls use unless they name another: it must match the
/// codec each called function was built with (checked per call, from the
/// plugin's metadata). A plugin that mixes codecs is called through one
/// host with [`call_in`](Host::call_in) and [`function_in`](Host::function_in).
///
/// ```no_run
/// use wasmer_plugin_host::{Bincode, Host, Postcard};
///
/// # fn main() -> Result<(), wasmer_plugin_host::Error> {
/// let mut host = Host::<Bincode>::from_file("plugin.wasm")?;
/// let greeting: String = host.call("greet", &("wasm", 2u32))?;
///
/// // In a hot loop, look the function up once:
/// let greet = host.function::<(&str, u32), String>("greet")?;
/// for i in 0..1000 {
///     let greeting = host.call_function(&greet, &("wasm", i))?;
/// }
///
/// // A function of the same plugin built with another codec:
/// let total: u64 = host.call_in::<Postcard, _, _>("sum", &vec![1u64, 2, 3])?;
/// # Ok(()) }
/// ```
///
/// A host owns one plugin instance at a time, with its own memory and
/// statics. When a call fails in a way that
/// [discards the instance](Error::discards_instance) (a panic, a trap, a
/// limit) the instance is dropped with its memory and the next call runs
/// on a fresh one, so one failed call never spoils the next; state the
/// plugin kept in statics is lost then. A `Host` is not `Send`: keep one
/// per thread, made from a shared [`Plugin`] with
/// [`from_plugin`](Host::from_plugin), or let a
/// [`HostPool`](crate::HostPool) do it.
///
/// `S` is the state the plugin's host functions read and change (see
/// [`Builder::state`](crate::Builder::state)), `()` without one. It
/// belongs to the host, not to the instance: it survives an instance
/// discarded after a failure.
pub struct Host<C: Codec = Bincode, S = ()> {
    plugin: Plugin<S>,
    instance: Option<Instance<S>>,
    /// `None` only while lent to the instance during a call, which holds
    /// `&mut self`: every `&self` method finds it.
    state: Option<S>,
    /// Reused for every call's encoded arguments.
    args: Vec<u8>,
    codec: PhantomData<fn() -> C>,
}

/// `Host::state` when the state is missing: a call that lent it panicked
/// through the host (which catches plugin and host-function panics).
const STATE_LENT: &str = "the host's state is lent only during a call, which holds `&mut Host`";

/// A plugin function looked up once, for calling many times with
/// [`Host::call_function`] (or [`HostPool::call_function`](crate::HostPool::call_function))
/// without a lookup by name. `K` is the codec the function was built
/// with. A handle serves every host and pool of the plugin it was looked
/// up on.
///
/// Looking it up checked `R` against the plugin's return type; the first
/// call with an `A` checks the arguments it is given against the plugin's
/// argument types (an `A` that is only `Serialize` can be described only
/// from a value), and later calls check nothing more.
pub struct Function<A: ?Sized, R, K: Codec = Bincode> {
    plugin: u64,
    index: usize,
    /// Whether `A` had passed the check (or there was nothing to check)
    /// when the handle was looked up.
    arguments_checked: bool,
    types: PhantomData<fn(&A, K) -> R>,
}

impl<A: ?Sized, R, K: Codec> Clone for Function<A, R, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: ?Sized, R, K: Codec> Copy for Function<A, R, K> {}

impl<A: ?Sized, R, K: Codec> fmt::Debug for Function<A, R, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("index", &self.index)
            .field("args", &std::any::type_name::<A>())
            .field("ret", &std::any::type_name::<R>())
            .field("codec", &K::NAME)
            .finish()
    }
}

impl<C: Codec> Host<C> {
    /// Compiles and instantiates the plugin in `wasm` with default limits.
    pub fn new(wasm: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::builder().build(wasm)
    }

    /// Reads, compiles and instantiates the plugin file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder().build_from_file(path)
    }

    /// A builder for a host with non-default limits, host functions or
    /// state.
    pub fn builder() -> HostBuilder<C> {
        HostBuilder::new()
    }
}

impl<C: Codec, S: Send + 'static> Host<C, S> {
    /// Instantiates a compiled plugin, without compiling anything; the
    /// host keeps a clone of it. Its state is made by the plugin's
    /// [`state`](crate::Builder::state) function.
    ///
    /// The first instance of a plugin also reads its functions' schemas
    /// (docs/ABI.md, "Schemas"), once for every host and pool of it.
    pub fn from_plugin(plugin: &Plugin<S>) -> Result<Self, Error> {
        let mut state = Some((plugin.linked().init)());
        let instance = match plugin.schemas() {
            Some(_) => Instance::new(plugin, &mut state)?,
            None => {
                let (mut instance, exports) = Instance::with_schema_exports(plugin, &mut state)?;
                let spoiled =
                    plugin
                        .type_checks()
                        .read(&mut instance, &exports, plugin, &mut state);
                plugin.type_checks().host_functions_match()?;
                match spoiled {
                    true => Instance::new(plugin, &mut state)?,
                    false => instance,
                }
            }
        };
        Ok(Host {
            plugin: plugin.clone(),
            instance: Some(instance),
            state,
            args: Vec::new(),
            codec: PhantomData,
        })
    }

    /// The compiled plugin this host runs.
    pub fn plugin(&self) -> &Plugin<S> {
        &self.plugin
    }

    /// The state the host functions keep.
    pub fn state(&self) -> &S {
        self.state.as_ref().expect(STATE_LENT)
    }

    /// The state the host functions keep, to change between calls.
    pub fn state_mut(&mut self) -> &mut S {
        self.state.as_mut().expect(STATE_LENT)
    }

    /// The plugin's functions, as its metadata describes them.
    pub fn functions(&self) -> &[FunctionRecord] {
        self.plugin.functions()
    }

    /// The schema of plugin function `name`'s arguments and return value,
    /// which lookups and calls check the host's types against. A side the
    /// plugin could not describe (a type without `Deserialize`, a plugin
    /// built before schemas) holds the reason, and is not checked.
    pub fn schema(&self, name: &str) -> Result<&FunctionSchema, Error> {
        let index = index_of(&self.plugin, name)?;
        Ok(&self
            .plugin
            .schemas()
            .expect("read by the host's first instance")[index])
    }

    /// Calls plugin function `name` with `args` and decodes its return
    /// value as `R`.
    ///
    /// `args` is the bare value for a one-argument function, a tuple for
    /// several, `&()` for none.
    pub fn call<A, R>(&mut self, name: &str, args: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call_in::<C, A, R>(name, args)
    }

    /// Like [`call`](Host::call), for a function built with codec `K`
    /// rather than the host's.
    pub fn call_in<K, A, R>(&mut self, name: &str, args: &A) -> Result<R, Error>
    where
        K: Codec,
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let function = self.function_in::<K, A, R>(name)?;
        self.call_function(&function, args)
    }

    /// Looks up plugin function `name` once, checking that it uses this
    /// host's codec and that `R` reads its return value
    /// ([`Error::TypeMismatch`] otherwise), for calling with
    /// [`call_function`](Host::call_function).
    pub fn function<A: ?Sized, R: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Function<A, R, C>, Error> {
        self.function_in::<C, A, R>(name)
    }

    /// Like [`function`](Host::function), for a function built with codec
    /// `K` rather than the host's.
    pub fn function_in<K: Codec, A: ?Sized, R: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Function<A, R, K>, Error> {
        lookup(&self.plugin, name)
    }

    /// Calls a function looked up with [`function`](Host::function) or
    /// [`function_in`](Host::function_in).
    pub fn call_function<A, R, K>(
        &mut self,
        function: &Function<A, R, K>,
        args: &A,
    ) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
        K: Codec,
    {
        self.args.clear();
        encode_for(&self.plugin, function, args, &mut self.args)?;
        self.send_args(function.index, decode_output::<K, R>)
            .map_err(|error| *error)
    }

    /// Calls plugin function `name` with arguments the caller encoded
    /// and returns its output as the plugin encoded it, for hosts that
    /// forward bytes already in the function's codec. The codec is not
    /// checked: `input` must be in the one [`functions`](Host::functions)
    /// names for `name`. It copies the input and the output once more
    /// than a typed [`call`](Host::call), which is the simpler choice.
    pub fn call_raw(&mut self, name: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
        let index = index_of(&self.plugin, name)?;
        self.args.clear();
        self.args.extend_from_slice(input);
        self.send_args(index, |_, output| Ok(output.to_vec()))
            .map_err(|error| *error)
    }

    /// Calls function `index` as a pipeline stage: with the previous
    /// stage's output, or the pipeline's input encoded straight into the
    /// host's buffer; the output, as the plugin encoded it, is left in
    /// `output`.
    pub(crate) fn call_stage(
        &mut self,
        index: usize,
        input: StageInput<'_>,
        output: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let copy_out = |_: &str, bytes: &[u8]| {
            output.clear();
            output.extend_from_slice(bytes);
            Ok(())
        };
        let result: CallResult<()> = match input {
            StageInput::Bytes(bytes) => {
                // The buffers change hands for the call, and back after:
                // nothing is copied on the host.
                std::mem::swap(&mut self.args, bytes);
                let result = self.send_args(index, copy_out);
                std::mem::swap(&mut self.args, bytes);
                result
            }
            StageInput::Encoded(bytes) => {
                self.args.clear();
                self.args.extend_from_slice(bytes);
                self.send_args(index, copy_out)
            }
            StageInput::Encode(encode) => {
                self.args.clear();
                let name = &self.plugin.functions()[index].name;
                encode(self.plugin.type_checks(), index, name, &mut self.args)?;
                self.send_args(index, copy_out)
            }
        };
        result.map_err(|error| *error)
    }

    /// Sends the encoded arguments in `self.args` to function `index` on
    /// the instance (a fresh one after a failure) and decodes the answer
    /// with `decode(function name, output)`.
    fn send_args<T>(
        &mut self,
        index: usize,
        decode: impl FnOnce(&str, &[u8]) -> Result<T, Error>,
    ) -> CallResult<T> {
        let record = &self.plugin.functions()[index];
        let span = Span::call(
            self.plugin.id(),
            &record.name,
            &record.codec,
            self.args.len(),
        );
        let _entered = span.enter();
        let result = self.call_instance(index, &span, decode);
        span.finish(&result);
        result
    }

    /// [`send_args`](Host::send_args) inside its span.
    fn call_instance<T>(
        &mut self,
        index: usize,
        span: &Span,
        decode: impl FnOnce(&str, &[u8]) -> Result<T, Error>,
    ) -> CallResult<T> {
        let name = &self.plugin.functions()[index].name;
        check_input(name, self.args.len(), self.plugin.limits().max_input_bytes)?;
        let instance = match &mut self.instance {
            Some(instance) => instance,
            empty => empty.insert(Instance::new(&self.plugin, &mut self.state)?),
        };
        let decode = |output: &[u8]| {
            span.output(output.len());
            decode(name, output).map_err(Box::new)
        };
        let result = instance.call(index, name, &self.args, &mut self.state, decode);
        #[cfg(feature = "tracing")]
        span.fuel(|| instance.fuel_used());
        if !keeps_instance(self.plugin.limits().fresh_instance_per_call, &result) {
            self.instance = None;
        }
        result
    }

    /// Calls plugin function `name` once for every row of `batch`, in one
    /// call into the plugin, and hands the result column to `read`
    /// straight from guest memory.
    ///
    /// `batch` is a batch of argument columns in the layout of
    /// docs/ABI.md, "Batches" (built with [`write_batch_header`] and
    /// [`write_column`], from [`ColumnBuilder`]s or from buffers of that
    /// layout); the result column has been checked to have as many rows.
    ///
    /// [`write_batch_header`]: crate::write_batch_header
    /// [`write_column`]: crate::write_column
    /// [`ColumnBuilder`]: crate::ColumnBuilder The function must have a batch
    /// export ([`Error::NoBatchExport`] otherwise, see
    /// [`Plugin::has_batch_export`](crate::Plugin::has_batch_export)). The
    /// limits apply to the whole batch as to one call; a failure while
    /// the plugin ran a row is an [`Error::BatchRow`] naming it, and
    /// discards the instance as that failure would.
    pub fn call_batch<T>(
        &mut self,
        name: &str,
        batch: &[u8],
        read: impl FnOnce(Column<'_>) -> T,
    ) -> Result<T, Error> {
        let index = index_of(&self.plugin, name)?;
        let record = &self.plugin.functions()[index];
        let span = Span::call(self.plugin.id(), &record.name, &record.codec, batch.len());
        let _entered = span.enter();
        let result = self.call_batch_instance(index, &span, batch, read);
        span.finish(&result);
        result.map_err(|error| *error)
    }

    /// [`call_batch`](Host::call_batch) inside its span.
    fn call_batch_instance<T>(
        &mut self,
        index: usize,
        span: &Span,
        batch: &[u8],
        read: impl FnOnce(Column<'_>) -> T,
    ) -> CallResult<T> {
        let name = &self.plugin.functions()[index].name;
        check_input(name, batch.len(), self.plugin.limits().max_input_bytes)?;
        let rows = batch
            .first_chunk::<BATCH_HEADER_SIZE>()
            .map_or(0, |header| BatchHeader::read(header).rows);
        let instance = match &mut self.instance {
            Some(instance) => instance,
            empty => empty.insert(Instance::new(&self.plugin, &mut self.state)?),
        };
        let decode = |output: &[u8]| {
            span.output(output.len());
            let bad = |reason: String| {
                Box::new(Error::BadOutput {
                    function: name.clone(),
                    reason,
                })
            };
            let column = read_output(output).map_err(|err| bad(err.to_string()))?;
            if column.rows != rows {
                return Err(bad(format!(
                    "its batch output has {} rows for {rows} input rows",
                    column.rows
                )));
            }
            Ok(read(column))
        };
        let result = instance.call_batch(index, name, batch, &mut self.state, decode);
        if !keeps_instance(self.plugin.limits().fresh_instance_per_call, &result) {
            self.instance = None;
        }
        result
    }

    /// The size in bytes of the current instance's linear memory, or
    /// `None` between a trap and the next call (and between any two calls
    /// with [`fresh_instance_per_call`](crate::Builder::fresh_instance_per_call),
    /// which keeps no instance). Useful to check that a plugin does not
    /// leak across calls.
    pub fn memory_size(&self) -> Option<u64> {
        self.instance.as_ref().map(Instance::memory_size)
    }
}

/// Checks that `function` is a handle of `plugin` and, on its first call
/// with an `A`, that `args` fits the plugin's argument types, then
/// encodes `args` into `out`.
#[inline]
pub(crate) fn encode_for<A, R, K, S>(
    plugin: &Plugin<S>,
    function: &Function<A, R, K>,
    args: &A,
    out: &mut Vec<u8>,
) -> Result<(), Error>
where
    A: Serialize + ?Sized,
    K: Codec,
{
    let functions = plugin.functions();
    if function.plugin != plugin.id() || function.index >= functions.len() {
        return Err(Error::ForeignFunction {
            handle: std::any::type_name::<Function<A, R, K>>(),
        });
    }
    if !function.arguments_checked && !plugin.type_checks().arguments_passed::<A>(function.index) {
        check_arguments(plugin, function, args)?;
    }
    K::encode(args, out).map_err(|err| Error::Encode {
        function: functions[function.index].name.clone(),
        codec: K::NAME,
        message: err.to_string(),
    })
}

impl<A: ?Sized, R, K: Codec> Function<A, R, K> {
    /// The function's place in the plugin's metadata.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// The id of the plugin it was looked up on.
    pub(crate) fn plugin_id(&self) -> u64 {
        self.plugin
    }
}

#[cfg(feature = "async")]
impl<C: Codec, S: Send + 'static> Host<C, S> {
    /// One async call of function `index` with the encoded `args`, on the
    /// instance (a fresh one after a failure); `started` gets what stops
    /// it from another thread once it runs. Dropped before it is ready,
    /// the call takes its instance, and the state lent to it, with it.
    pub(crate) async fn call_encoded_async<T>(
        &mut self,
        index: usize,
        args: &[u8],
        started: impl FnOnce(Option<crate::limits::Canceller>),
        decode: impl FnOnce(&str, &[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let plugin = self.plugin.clone();
        let record = &plugin.functions()[index];
        let name = &record.name;
        let span = Span::call(plugin.id(), name, &record.codec, args.len());
        let call = self.run_encoded_async(&plugin, index, args, started, |output| {
            span.output(output.len());
            decode(name, output)
        });
        let mut call = std::pin::pin!(call);
        // Entered for each poll, not across them: other calls run on this
        // thread while this one waits.
        let result = std::future::poll_fn(|cx| {
            let _entered = span.enter();
            call.as_mut().poll(cx)
        })
        .await;
        span.finish(&result);
        result
    }

    /// [`call_encoded_async`](Host::call_encoded_async) inside its span.
    async fn run_encoded_async<T>(
        &mut self,
        plugin: &Plugin<S>,
        index: usize,
        args: &[u8],
        started: impl FnOnce(Option<crate::limits::Canceller>),
        decode: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let name = &plugin.functions()[index].name;
        check_input(name, args.len(), plugin.limits().max_input_bytes)?;
        let mut instance = match self.instance.take() {
            Some(instance) => instance,
            None => Instance::new(plugin, &mut self.state)?,
        };
        let decode = |output: &[u8]| decode(output).map_err(Box::new);
        let result = instance
            .call_async(index, name, args, &mut self.state, started, decode)
            .await
            .map_err(|error| *error);
        let keep = match &result {
            // The instance lost its store.
            Err(Error::PluginThread { .. }) => false,
            result => keeps_instance(plugin.limits().fresh_instance_per_call, result),
        };
        if keep {
            self.instance = Some(instance);
        }
        result
    }
}

/// The handle of function `name` of `plugin`, checked against codec `K`
/// and, when the plugin describes it, return type `R`.
pub(crate) fn lookup<K: Codec, A: ?Sized, R: DeserializeOwned, S>(
    plugin: &Plugin<S>,
    name: &str,
) -> Result<Function<A, R, K>, Error> {
    let index = index_of(plugin, name)?;
    let record = &plugin.functions()[index];
    check_codec::<K>(record)?;
    let checks = plugin.type_checks();
    checks.check_return::<K, R>(index, &record.name)?;
    Ok(Function {
        plugin: plugin.id(),
        index,
        arguments_checked: !checks.arguments_unchecked::<A>(index),
        types: PhantomData,
    })
}

/// Fails unless the function of `record` was built with codec `K`.
pub(crate) fn check_codec<K: Codec>(record: &FunctionRecord) -> Result<(), Error> {
    match record.codec == K::NAME {
        true => Ok(()),
        false => Err(Error::CodecMismatch {
            function: record.name.clone(),
            plugin: record.codec.clone(),
            host: K::NAME,
        }),
    }
}

/// The first call's check of `args` against the plugin's argument types.
/// Out of line: a checked handle's calls only test the flag.
#[cold]
#[inline(never)]
pub(crate) fn check_arguments<A, R, K, S>(
    plugin: &Plugin<S>,
    function: &Function<A, R, K>,
    args: &A,
) -> Result<(), Error>
where
    A: Serialize + ?Sized,
    K: Codec,
{
    let name = &plugin.functions()[function.index].name;
    plugin
        .type_checks()
        .check_arguments::<K, A>(function.index, name, args)
}

pub(crate) fn index_of<S>(plugin: &Plugin<S>, name: &str) -> Result<usize, Error> {
    let functions = plugin.functions();
    functions
        .iter()
        .position(|function| function.name == name)
        .ok_or_else(|| Error::UnknownFunction {
            name: name.to_owned(),
            available: function_list(functions),
        })
}

fn function_list(functions: &[FunctionRecord]) -> String {
    if functions.is_empty() {
        return "none".to_owned();
    }
    // By name, so that a message reads the same whatever order the
    // plugin's metadata lists them in.
    let mut names: Vec<&str> = functions
        .iter()
        .map(|function| function.name.as_str())
        .collect();
    names.sort_unstable();
    let listed: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    // The names are the plugin's: up to 65,536 of them.
    cap_message(listed.join(", "))
}

impl<C: Codec, S> fmt::Debug for Host<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("codec", &C::NAME)
            .field("plugin", &self.plugin)
            .field("instantiated", &self.instance.is_some())
            .finish()
    }
}

/// Decodes a plugin function's output as `R`.
pub(crate) fn decode_output<C: Codec, R: DeserializeOwned>(
    function: &str,
    output: &[u8],
) -> Result<R, Error> {
    C::decode::<R>(output).map_err(|err| Error::Decode {
        function: function.to_owned(),
        expected: std::any::type_name::<R>(),
        codec: C::NAME,
        // A codec's message may quote the output (an unknown variant's
        // name, say), which the plugin chose.
        message: cap_message(err.to_string()),
    })
}
