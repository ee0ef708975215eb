use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer::{Engine, Module};
use wasmer_plugin_abi::{Codec, FunctionRecord};
use wasmer_plugin_codecs::Bincode;

use crate::Error;
use crate::engine::{compile, plugin_engine};
use crate::instance::{CallError, Live};
use crate::limits::Limits;
use crate::memory_limit::GrowRefused;
use crate::module_shape::ModuleShape;
use crate::reply::cap_message;

/// A loaded plugin, ready to call.
///
/// `C` is the codec the host speaks; it must match the codec each called
/// function was built with (checked per call, from the plugin's metadata).
///
/// ```no_run
/// use wasmer_plugin_host::{Bincode, Host};
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
/// # Ok(()) }
/// ```
///
/// A host owns one plugin instance at a time. When a call traps (a panic,
/// an out-of-bounds access…) the instance is dropped with its memory and the
/// next call runs on a fresh one, so one failed call never spoils the next;
/// state the plugin kept in statics is lost then. A `Host` is not `Send`:
/// keep one per thread.
pub struct Host<C: Codec = Bincode> {
    id: u64,
    engine: Engine,
    module: Module,
    grow_refused: GrowRefused,
    functions: Vec<FunctionRecord>,
    limits: Limits,
    live: Option<Live>,
    /// Reused for every call's encoded arguments.
    args: Vec<u8>,
    codec: PhantomData<fn() -> C>,
}

/// A plugin function looked up once, for calling many times with
/// [`Host::call_function`] without a lookup by name.
pub struct Function<A: ?Sized, R> {
    host: u64,
    index: usize,
    types: PhantomData<fn(&A) -> R>,
}

impl<A: ?Sized, R> Clone for Function<A, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: ?Sized, R> Copy for Function<A, R> {}

impl<A: ?Sized, R> fmt::Debug for Function<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("index", &self.index)
            .field("args", &std::any::type_name::<A>())
            .field("ret", &std::any::type_name::<R>())
            .finish()
    }
}

/// Configures a [`Host`] before loading a plugin.
///
/// ```no_run
/// use wasmer_plugin_host::{Host, Postcard};
///
/// # fn main() -> Result<(), wasmer_plugin_host::Error> {
/// # let wasm: Vec<u8> = vec![];
/// let host = Host::<Postcard>::builder()
///     .max_output_bytes(1 << 20)
///     .build(&wasm)?;
/// # Ok(()) }
/// ```
pub struct HostBuilder<C: Codec = Bincode> {
    limits: Limits,
    codec: PhantomData<fn() -> C>,
}

impl<C: Codec> HostBuilder<C> {
    /// The longest output a call may return; longer is
    /// [`Error::OutputTooLarge`]. Default 64 MiB.
    pub fn max_output_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_output_bytes = bytes;
        self
    }

    /// The longest encoded arguments a call may send; longer is
    /// [`Error::InputTooLarge`]. Default 64 MiB; at most 4 GiB - 1, the
    /// most a wasm32 guest can address.
    pub fn max_input_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_input_bytes = bytes.min(u32::MAX as u64);
        self
    }

    /// The most memory one plugin instance may have, in bytes: its linear
    /// memory and its tables together. Each table is charged 16 bytes per
    /// element at the most it may hold (its declared maximum, at most
    /// 2^20 elements; a table without a maximum does not grow) and the
    /// memory may grow to the rest, in whole 64 KiB pages. A plugin that
    /// tries to grow its memory past that gets [`Error::MemoryLimit`]; one
    /// whose tables and initial memory do not fit fails to load with
    /// [`Error::LoadLimit`]. Default 512 MiB; the memory is at most 4 GiB,
    /// all a wasm32 guest can address.
    pub fn max_memory_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_memory_bytes = bytes;
        self
    }

    /// Meters every call: a call that spends more than `units` of fuel
    /// (allocating its input included) stops with [`Error::OutOfFuel`]. A
    /// unit is one wasm instruction (the few the runtime serves cost more),
    /// or 8 bytes or one element that a bulk memory or table instruction
    /// touches; docs/SECURITY.md gives the costs and what a unit takes in
    /// time (about a quarter of a nanosecond). The module's start function,
    /// if any, runs under the same budget at load. Default: no metering,
    /// which is right for trusted plugins; set it for any plugin that
    /// could loop forever. Metering costs a little speed in loop-heavy
    /// plugin code.
    pub fn fuel_per_call(mut self, units: u64) -> Self {
        self.limits.fuel_per_call = Some(units);
        self
    }

    /// The largest plugin module the host loads; a larger one is
    /// [`Error::LoadLimit`] before anything is compiled. Default 8 MiB.
    /// Compiling costs time and memory in proportion to the module: up to
    /// about a second and 300 MB per MiB for the worst shapes measured
    /// (docs/SECURITY.md), so lower it for plugins from untrusted sources.
    pub fn max_module_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_module_bytes = bytes;
        self
    }

    /// Compiles and instantiates the plugin module in `wasm`.
    pub fn build(self, wasm: impl AsRef<[u8]>) -> Result<Host<C>, Error> {
        Host::load(wasm.as_ref(), self.limits)
    }

    /// Like [`build`](HostBuilder::build), reading the plugin from a file.
    pub fn build_from_file(self, path: impl AsRef<Path>) -> Result<Host<C>, Error> {
        let path = path.as_ref();
        let wasm = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        self.build(wasm)
    }
}

static NEXT_HOST_ID: AtomicU64 = AtomicU64::new(0);

impl<C: Codec> Host<C> {
    /// Compiles and instantiates the plugin in `wasm` with default limits.
    pub fn new(wasm: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::builder().build(wasm)
    }

    /// Reads, compiles and instantiates the plugin file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder().build_from_file(path)
    }

    /// A builder for a host with non-default limits.
    pub fn builder() -> HostBuilder<C> {
        HostBuilder {
            limits: Limits::default(),
            codec: PhantomData,
        }
    }

    fn load(wasm: &[u8], limits: Limits) -> Result<Self, Error> {
        let ModuleShape { functions, budget } = ModuleShape::read(wasm, &limits)?;
        let grow_refused = GrowRefused::default();
        let engine = plugin_engine(&limits, budget, grow_refused.clone());
        // The place for a load deadline, when hosts get one: compiling
        // and the start function are the costs that depend on the module.
        let module = compile(&engine, wasm)?;
        let live = Live::new(&engine, &module, &functions, &limits, grow_refused.clone())?;
        Ok(Host {
            id: NEXT_HOST_ID.fetch_add(1, Ordering::Relaxed),
            engine,
            module,
            grow_refused,
            functions,
            limits,
            live: Some(live),
            args: Vec::new(),
            codec: PhantomData,
        })
    }

    /// The plugin's functions, as its metadata describes them.
    pub fn functions(&self) -> &[FunctionRecord] {
        &self.functions
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
        let function = self.function::<A, R>(name)?;
        self.call_function(&function, args)
    }

    /// Looks up plugin function `name` once, checking that it uses this
    /// host's codec, for calling with [`call_function`](Host::call_function).
    pub fn function<A: ?Sized, R>(&self, name: &str) -> Result<Function<A, R>, Error> {
        let index = self.index_of(name)?;
        let record = &self.functions[index];
        if record.codec != C::NAME {
            return Err(Error::CodecMismatch {
                function: record.name.clone(),
                plugin: record.codec.clone(),
                host: C::NAME,
            });
        }
        Ok(Function {
            host: self.id,
            index,
            types: PhantomData,
        })
    }

    /// Calls a function looked up with [`function`](Host::function).
    pub fn call_function<A, R>(&mut self, function: &Function<A, R>, args: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        if function.host != self.id || function.index >= self.functions.len() {
            return Err(Error::ForeignFunction {
                handle: std::any::type_name::<Function<A, R>>(),
            });
        }
        self.args.clear();
        if let Err(err) = C::encode(args, &mut self.args) {
            return Err(Error::Encode {
                function: self.functions[function.index].name.clone(),
                codec: C::NAME,
                message: err.to_string(),
            });
        }
        self.send_args(function.index, decode_output::<C, R>)
    }

    /// Calls plugin function `name` with arguments the caller encoded
    /// and returns its output as the plugin encoded it, for hosts that
    /// forward bytes already in the function's codec. The codec is not
    /// checked: `input` must be in the one [`functions`](Host::functions)
    /// names for `name`. It copies the input and the output once more
    /// than a typed [`call`](Host::call), which is the simpler choice.
    pub fn call_raw(&mut self, name: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
        let index = self.index_of(name)?;
        self.args.clear();
        self.args.extend_from_slice(input);
        self.send_args(index, |_, output| Ok(output.to_vec()))
    }

    /// Sends the encoded arguments in `self.args` to function `index` on
    /// the live instance (a fresh one after a failure) and decodes the
    /// answer with `decode(function name, output)`.
    fn send_args<T>(
        &mut self,
        index: usize,
        decode: impl FnOnce(&str, &[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let name = &self.functions[index].name;
        if self.args.len() as u64 > self.limits.max_input_bytes {
            return Err(Error::InputTooLarge {
                function: name.clone(),
                len: self.args.len() as u64,
                limit: self.limits.max_input_bytes,
            });
        }
        let live = match &mut self.live {
            Some(live) => live,
            empty => empty.insert(Live::new(
                &self.engine,
                &self.module,
                &self.functions,
                &self.limits,
                self.grow_refused.clone(),
            )?),
        };
        let decode = |output: &[u8]| decode(name, output);
        match live.call(index, name, &self.args, &self.limits, decode) {
            Ok(value) => Ok(value),
            Err(CallError::Recoverable(err)) => Err(err),
            Err(CallError::Poisoned(err)) => {
                self.live = None;
                Err(err)
            }
        }
    }

    /// The size in bytes of the current instance's linear memory, or
    /// `None` between a trap and the next call. Useful to check that a
    /// plugin does not leak across calls.
    pub fn memory_size(&self) -> Option<u64> {
        self.live.as_ref().map(Live::memory_size)
    }

    fn index_of(&self, name: &str) -> Result<usize, Error> {
        self.functions
            .iter()
            .position(|function| function.name == name)
            .ok_or_else(|| Error::UnknownFunction {
                name: name.to_owned(),
                available: self.function_list(),
            })
    }

    fn function_list(&self) -> String {
        if self.functions.is_empty() {
            return "none".to_owned();
        }
        let names: Vec<String> = self
            .functions
            .iter()
            .map(|function| format!("`{}`", function.name))
            .collect();
        // The names are the plugin's: up to 65,536 of them.
        cap_message(names.join(", "))
    }
}

impl<C: Codec> fmt::Debug for Host<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("codec", &C::NAME)
            .field("functions", &self.functions)
            .field("limits", &self.limits)
            .field("instantiated", &self.live.is_some())
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
