use std::fmt;
use std::path::PathBuf;

use wasmer_plugin_abi::MetadataError;

/// The result of each layer of a call under the public methods: the
/// [`Error`] boxed, so that a successful call passes its value and a
/// pointer up the layers rather than copying a result the size of the
/// whole error at each (`perf` showed those copies, read back through
/// memory, stalling on store forwarding in an empty call). The public
/// methods unbox it once.
pub(crate) type CallResult<T> = Result<T, Box<Error>>;

/// Everything that can go wrong loading or calling a plugin.
///
/// Errors that name a `function` come from a call, or from loading for
/// the module's start function, which they name `(start function)`; the
/// others come from loading. Whether a call's error cost the plugin
/// instance its state is [`Error::discards_instance`].
///
/// A message never repeats its [`source`](std::error::Error::source):
/// log [`Error::report`], or any reporter that walks the sources, to see
/// the whole chain (the wasmer error under `Compile`, the I/O error under
/// `Io`, the failure under `HostFunction` and a host function's own error
/// under that).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plugin file could not be read.
    #[error("could not read plugin file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// wasmer could not compile the bytes as a WebAssembly module.
    #[error("could not compile the plugin")]
    Compile(#[source] wasmer::CompileError),
    /// The module uses a WebAssembly feature this host turns off
    /// (docs/SECURITY.md says which and why).
    #[error("the plugin uses {feature}, which this host does not allow: {message}")]
    UnsupportedFeature {
        /// The feature, in words (`"threads (shared memory and atomics)"`).
        feature: &'static str,
        /// The validator's message, with its offset in the module.
        message: String,
    },
    /// The module is over a limit that is checked when it is loaded.
    #[error("the plugin is over the builder's `{limit}`: {reason}")]
    LoadLimit {
        /// The builder setting that bounds it (`"max_module_bytes"`,
        /// `"max_file_bytes"`, `"max_functions"`, `"max_function_bytes"`,
        /// `"max_control_blocks"`, `"max_calls"`, `"max_memory_bytes"`).
        limit: &'static str,
        /// What the module needs.
        reason: String,
    },
    /// The module has no metadata section, or one that describes no
    /// function: it was not built with `#[wasmer_plugin]` functions.
    #[error(
        "the module is not a wasmer-plugin plugin: it has no function records in a `{section}` custom section (a plugin needs at least one #[wasmer_plugin] function)",
        section = wasmer_plugin_abi::METADATA_SECTION
    )]
    NotAPlugin,
    /// The plugin was built for another version of the contract.
    #[error(
        "the plugin was built for wasmer-plugin ABI version {plugin}, this host serves versions {oldest} to {host}: rebuild the plugin with a matching wasmer-plugin",
        oldest = wasmer_plugin_abi::OLDEST_ABI_VERSION
    )]
    AbiMismatch {
        /// The version in the plugin's metadata.
        plugin: u32,
        /// This host's [`ABI_VERSION`](wasmer_plugin_abi::ABI_VERSION).
        host: u32,
    },
    /// The metadata section is damaged.
    #[error("the plugin's metadata is damaged")]
    Metadata(#[source] MetadataError),
    /// wasmer could not instantiate the module (for example, an import's
    /// signature is not the contract's).
    #[error("could not instantiate the plugin")]
    Instantiate(#[source] Box<wasmer::InstantiationError>),
    /// An export the contract requires is missing or has the wrong type.
    #[error("the plugin's export `{export}` is unusable: {reason}")]
    BadExport {
        /// The export's name.
        export: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The plugin has no function of this name.
    #[error("the plugin has no function `{name}`; it has {available}")]
    UnknownFunction {
        /// The name asked for.
        name: String,
        /// The functions it does have, for the message.
        available: String,
    },
    /// The plugin function was built with another codec than the one it
    /// was called with.
    #[error(
        "plugin function `{function}` uses the {plugin} codec but was called with {host}: name the plugin's codec with `function_in` or `call_in` (a pipeline's stages all use the pipeline's)"
    )]
    CodecMismatch {
        /// The function.
        function: String,
        /// The codec in the plugin's metadata.
        plugin: String,
        /// The codec of the call.
        host: &'static str,
    },
    /// The host's argument or return type for a plugin function differs
    /// from the plugin's where the function's codec would misread the
    /// bytes (docs/ABI.md, "Compatible types"). Found when the function is
    /// looked up (its return type) or first called (its arguments), before
    /// any byte is encoded or decoded.
    #[error(
        "plugin function `{function}` and the host disagree on its types: {path}: {difference}"
    )]
    TypeMismatch {
        /// The function.
        function: String,
        /// Where the types first differ: `argument 1 .name`, `return value`…
        path: String,
        /// How they differ: `the plugin has String, the host has u32`.
        difference: String,
    },
    /// A [`Function`](crate::Function) handle was used with a host of
    /// another plugin than the one it was looked up on.
    #[error("function handle `{handle}` was looked up on another plugin")]
    ForeignFunction {
        /// The handle's type, naming its argument and return types.
        handle: &'static str,
    },
    /// The host could not encode the arguments.
    #[error("could not encode the arguments of `{function}` with {codec}: {message}")]
    Encode {
        /// The function.
        function: String,
        /// The codec's name.
        codec: &'static str,
        /// The codec's error.
        message: String,
    },
    /// The host could not decode the plugin's return value as the type it
    /// asked for.
    #[error(
        "could not decode the return value of `{function}` as `{expected}` with {codec}: {message}"
    )]
    Decode {
        /// The function.
        function: String,
        /// The type the host asked for.
        expected: &'static str,
        /// The codec's name.
        codec: &'static str,
        /// The codec's error.
        message: String,
    },
    /// The plugin could not decode the arguments it was sent: usually the
    /// host passed another type than the function takes.
    #[error("plugin function `{function}` rejected its arguments: {message}")]
    GuestDecode {
        /// The function.
        function: String,
        /// The plugin's message, naming the type it expected.
        message: String,
    },
    /// The plugin could not encode its return value.
    #[error("plugin function `{function}` could not encode its return value: {message}")]
    GuestEncode {
        /// The function.
        function: String,
        /// The plugin's message.
        message: String,
    },
    /// The plugin panicked.
    #[error("plugin function `{function}` panicked: {message}")]
    Panic {
        /// The function.
        function: String,
        /// The panic message after its source location
        /// (`src/lib.rs:3:5: index out of bounds…`).
        message: String,
    },
    /// The plugin trapped for another reason than a panic.
    #[error("plugin function `{function}` trapped: {message}")]
    Trap {
        /// The function.
        function: String,
        /// wasmer's description of the trap.
        message: String,
        /// What the engine trapped on, when the engine raised the trap.
        code: Option<TrapCode>,
    },
    /// The plugin reported an output outside its memory, or a status the
    /// contract does not define.
    #[error("plugin function `{function}` returned a bad output: {reason}")]
    BadOutput {
        /// The function.
        function: String,
        /// What was wrong.
        reason: String,
    },
    /// The plugin's output is longer than the host accepts.
    #[error(
        "plugin function `{function}` returned {len} bytes, over this host's {limit}-byte output limit: raise it with the builder's `max_output_bytes`"
    )]
    OutputTooLarge {
        /// The function.
        function: String,
        /// The length the plugin reported.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The encoded arguments are longer than the host sends.
    #[error(
        "the arguments of `{function}` encode to {len} bytes, over this host's {limit}-byte input limit: raise it with the builder's `max_input_bytes`"
    )]
    InputTooLarge {
        /// The function.
        function: String,
        /// The encoded length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The call, or the module's start function at load (named
    /// `(start function)`), ran through its fuel budget (see
    /// [`HostBuilder::fuel_per_call`](crate::HostBuilder::fuel_per_call)):
    /// usually an endless loop.
    #[error(
        "plugin function `{function}` ran out of fuel: it did more than {budget} units of work (wasm instructions, and bytes or elements of bulk instructions), the builder's `fuel_per_call`"
    )]
    OutOfFuel {
        /// The function.
        function: String,
        /// The budget per call.
        budget: u64,
    },
    /// The plugin tried to grow its memory past the host's limit (see
    /// [`HostBuilder::max_memory_bytes`](crate::HostBuilder::max_memory_bytes))
    /// and trapped or gave up for it.
    #[error(
        "plugin function `{function}` needed more memory than this host's {limit}-byte limit per plugin: raise it with the builder's `max_memory_bytes`"
    )]
    MemoryLimit {
        /// The function.
        function: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The call, or the module's start function at load, ran longer than
    /// the host's deadline (see
    /// [`Builder::timeout`](crate::Builder::timeout)) and was stopped.
    #[error(
        "plugin function `{function}` ran longer than this host's {limit:?} timeout (the builder's `timeout`) and was stopped"
    )]
    Timeout {
        /// The function.
        function: String,
        /// The deadline per call.
        limit: std::time::Duration,
    },
    /// The thread that enforces timeouts could not be started (the
    /// process is at its limit of threads, say).
    #[error("could not start the thread that enforces plugin timeouts")]
    Watchdog(#[source] std::io::Error),
    /// The thread of [`HostPool::watch`](crate::HostPool::watch) could not
    /// be started.
    #[error("could not start the thread that watches a plugin file")]
    WatchThread(#[source] std::io::Error),
    /// An [`AsyncHostPool`](crate::AsyncHostPool)'s plugin thread could
    /// not be started, or stopped, or lost the instance it ran the call
    /// on.
    #[error("the async pool's plugin thread failed: {reason}")]
    PluginThread {
        /// What happened.
        reason: String,
    },
    /// A [`HostPool`](crate::HostPool) already has as many instances as it
    /// may, each held by another thread, and the calling thread has none.
    #[error(
        "the pool's {limit} plugin instances are all held by other threads: raise it with `HostPool::with_max_instances` or call from fewer threads"
    )]
    InstanceLimit {
        /// The pool's limit.
        limit: usize,
    },
    /// The plugin imports host functions the builder did not provide.
    #[error(
        "the plugin imports host functions this host does not provide: {}; register each with `host_fn`",
        .missing.join(", ")
    )]
    MissingHostFunctions {
        /// Each missing function with its types and codec, as the plugin
        /// declares it.
        missing: Vec<String>,
    },
    /// The plugin imports a host function with another codec than the
    /// one it was registered with.
    #[error(
        "the plugin imports host function `{host_function}` with the {plugin} codec but the host provides it in {host}: register it with `host_fn_in` for the plugin's codec"
    )]
    HostFunctionCodecMismatch {
        /// The host function.
        host_function: String,
        /// The codec the plugin declares.
        plugin: String,
        /// The codec it was registered with.
        host: &'static str,
    },
    /// A host function's argument type differs from what the plugin sends
    /// where the codec would misread the bytes (docs/ABI.md, "Compatible
    /// types"). Found when the plugin's first instance reads its schemas,
    /// before the plugin runs any of its functions; every instance of the
    /// plugin fails the same way after.
    #[error(
        "host function `{host_function}` and the plugin disagree on its types: {path}: {difference}; register it with the argument type the plugin's #[host_functions] declares"
    )]
    HostFunctionTypeMismatch {
        /// The host function.
        host_function: String,
        /// Where the types first differ: `argument 2`, `argument .name`…
        path: String,
        /// How they differ: `the plugin has String, the host has u32`.
        difference: String,
    },
    /// The module imports something that is not a host function its
    /// metadata declares.
    #[error(
        "the plugin imports `{name}` from module `{module}`, which is not a host function it declares: a plugin may import only host functions declared with #[host_functions]"
    )]
    UnknownImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// The plugin asks for a capability (a clock, randomness) the builder
    /// did not grant: it imports the capability's functions, which the
    /// guest runtime's `clock` and `random` modules (and getrandom's
    /// backend) call.
    #[error(
        "the plugin asks for the {capability} capability (it imports `{import}`), which this host does not grant: grant it with the builder's `{setter}`"
    )]
    CapabilityNotGranted {
        /// The capability: `"clock"` or `"randomness"`.
        capability: &'static str,
        /// The import that asks for it.
        import: &'static str,
        /// The builder method that grants it.
        setter: &'static str,
    },
    /// The builder registered two host functions of one name.
    #[error("host function `{name}` is registered twice")]
    DuplicateHostFunction {
        /// The name.
        name: String,
    },
    /// A host function failed, or the plugin called it against the
    /// contract: the plugin call ended there. The
    /// [`failure`](HostFunctionFailure) is the error's source; a host
    /// function's own error is its source in turn ([`Error::host_error`]).
    #[error("plugin function `{function}` stopped: host function `{host_function}` failed")]
    HostFunction {
        /// The plugin function that called it.
        function: String,
        /// The host function; `__wasmer_plugin_take_reply` when that import
        /// was called with no reply waiting.
        host_function: String,
        /// What went wrong.
        #[source]
        failure: HostFunctionFailure,
    },
    /// The plugin's allocator failed to provide the input buffer.
    #[error(
        "the plugin could not allocate {len} bytes for the arguments of `{function}`: {reason}"
    )]
    GuestAlloc {
        /// The function.
        function: String,
        /// The bytes asked for.
        len: u64,
        /// What the allocator did.
        reason: String,
    },
    /// A stage of a [`Pipeline`](crate::Pipeline) failed, or did not fit
    /// its neighbours when the pipeline was built or the stage reloaded:
    /// the error is its source. Only that stage's instance was discarded,
    /// when [`discards_instance`](Error::discards_instance) says so.
    #[error("in the pipeline's {} stage, `{function}`", ordinal(*.stage))]
    Stage {
        /// The stage's place in the pipeline, from 0.
        stage: usize,
        /// The stage's plugin function.
        function: String,
        /// What went wrong there.
        #[source]
        source: Box<Error>,
    },
    /// A stage of a [`Pipeline`](crate::Pipeline) does not read what the
    /// stage before it returns, where their codec would misread the bytes
    /// (docs/ABI.md, "Compatible types"). Found when the pipeline is built
    /// or a stage reloaded, before anything runs.
    #[error("`{reader}` does not read what `{writer}` returns: {path}: {difference}")]
    StageTypeMismatch {
        /// The function of the stage before, which writes the value.
        writer: String,
        /// The function of the stage that reads it as its arguments.
        reader: String,
        /// Where the types first differ, as in [`Error::TypeMismatch`].
        path: String,
        /// How they differ.
        difference: String,
    },
    /// A batch call ([`Host::call_batch`](crate::Host::call_batch)) failed
    /// while the plugin ran one of its rows: the error is its source.
    #[error("plugin function `{function}` failed on row {row} of a batch of {rows}")]
    BatchRow {
        /// The plugin function.
        function: String,
        /// The row, from 0.
        row: usize,
        /// Rows in the batch.
        rows: usize,
        /// What went wrong there.
        #[source]
        source: Box<Error>,
    },
    /// [`Host::call_batch`](crate::Host::call_batch) named a function
    /// without a batch export: its arguments or result are not column
    /// types (docs/ABI.md, "Batches"), or the plugin was built before ABI
    /// version 6. Call it row by row.
    #[error(
        "plugin function `{function}` has no batch export (its types are not all column types, or the plugin predates ABI version 6): call it row by row"
    )]
    NoBatchExport {
        /// The plugin function.
        function: String,
    },
    /// A [`Pipeline`](crate::Pipeline) was built without a stage.
    #[error("a pipeline needs at least one stage: add it with `PipelineBuilder::stage`")]
    EmptyPipeline,
    /// [`PipelinePool::reload_stage`](crate::PipelinePool::reload_stage)
    /// named a stage the pipeline does not have.
    #[error("the pipeline has no stage {stage}: its {stages} stages count from 0")]
    NoSuchStage {
        /// The stage asked for.
        stage: usize,
        /// How many the pipeline has.
        stages: usize,
    },
    /// A new version given to a [`HostPool`](crate::HostPool) or a
    /// pipeline stage keeps another state type for its host functions
    /// than the one it replaces.
    #[error(
        "the new version's host functions keep state `{found}`, the running one's `{expected}`"
    )]
    StateMismatch {
        /// The running version's state type.
        expected: &'static str,
        /// The new version's.
        found: &'static str,
    },
}

impl Error {
    /// Whether the plugin instance that gave this error was thrown away,
    /// with the state it kept in its statics: the next call runs on a
    /// fresh instance. True for errors that stop the plugin midway (a
    /// panic, a trap, a limit it ran into) or show that it broke the
    /// contract; false for errors found before the plugin ran or that it
    /// reported itself, and for errors of loading, which have no instance.
    #[inline]
    pub fn discards_instance(&self) -> bool {
        match self {
            Error::Panic { .. }
            | Error::Trap { .. }
            | Error::OutOfFuel { .. }
            | Error::Timeout { .. }
            | Error::MemoryLimit { .. }
            | Error::BadOutput { .. }
            | Error::OutputTooLarge { .. }
            | Error::GuestAlloc { .. }
            | Error::HostFunction { .. } => true,
            Error::Stage { source, .. } | Error::BatchRow { source, .. } => {
                source.discards_instance()
            }
            Error::Io { .. }
            | Error::Compile(_)
            | Error::UnsupportedFeature { .. }
            | Error::LoadLimit { .. }
            | Error::NotAPlugin
            | Error::AbiMismatch { .. }
            | Error::Metadata(_)
            | Error::Instantiate(_)
            | Error::BadExport { .. }
            | Error::UnknownFunction { .. }
            | Error::CodecMismatch { .. }
            | Error::TypeMismatch { .. }
            | Error::ForeignFunction { .. }
            | Error::Encode { .. }
            | Error::Decode { .. }
            | Error::GuestDecode { .. }
            | Error::GuestEncode { .. }
            | Error::InputTooLarge { .. }
            | Error::InstanceLimit { .. }
            | Error::Watchdog(_)
            | Error::WatchThread(_)
            | Error::PluginThread { .. }
            | Error::MissingHostFunctions { .. }
            | Error::HostFunctionCodecMismatch { .. }
            | Error::HostFunctionTypeMismatch { .. }
            | Error::UnknownImport { .. }
            | Error::CapabilityNotGranted { .. }
            | Error::DuplicateHostFunction { .. }
            | Error::StageTypeMismatch { .. }
            | Error::NoBatchExport { .. }
            | Error::EmptyPipeline
            | Error::NoSuchStage { .. }
            | Error::StateMismatch { .. } => false,
        }
    }

    /// The error a host function registered with
    /// [`try_host_fn`](crate::Builder::try_host_fn) returned, when that is
    /// how the call ended: the caller's own error, to downcast
    /// (`err.host_error()?.downcast_ref::<std::io::Error>()`).
    pub fn host_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Error::Stage { source, .. } | Error::BatchRow { source, .. } => source.host_error(),
            Error::HostFunction {
                failure: HostFunctionFailure::Returned(error),
                ..
            } => Some(&**error),
            _ => None,
        }
    }

    /// For an error of a pipeline stage ([`Error::Stage`]), the stage's
    /// place (from 0) and what went wrong there.
    pub fn stage(&self) -> Option<(usize, &Error)> {
        match self {
            Error::Stage { stage, source, .. } => Some((*stage, source)),
            _ => None,
        }
    }

    /// For an error of a batch call on one of its rows
    /// ([`Error::BatchRow`]), the row (from 0) and what went wrong there.
    pub fn batch_row(&self) -> Option<(usize, &Error)> {
        match self {
            Error::BatchRow { row, source, .. } => Some((*row, source)),
            _ => None,
        }
    }

    /// The error with every source after it, joined by `: `, on one line:
    /// what to log or show a user.
    ///
    /// ```
    /// # use wasmer_plugin_host::{Bincode, Host};
    /// let err = Host::<Bincode>::new(b"not wasm").unwrap_err();
    /// assert_eq!(err.to_string(), "could not compile the plugin");
    /// assert!(err
    ///     .report()
    ///     .to_string()
    ///     .starts_with("could not compile the plugin: "));
    /// ```
    pub fn report(&self) -> impl fmt::Display + '_ {
        Report(self)
    }
}

/// `1st`, `2nd`, `3rd`, `4th`… for stage `index` (from 0): unambiguous
/// in a message, where a bare number would leave open where it counts from.
fn ordinal(index: usize) -> String {
    let n = index + 1;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// [`Error::report`].
struct Report<'a>(&'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = std::error::Error::source(self.0);
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

/// Why a host-function call ended the plugin call
/// ([`Error::HostFunction`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostFunctionFailure {
    /// It was registered with `try_host_fn` and returned this error.
    #[error("it returned an error")]
    Returned(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// It panicked; the panic was caught, and reported here rather than
    /// by the panic hook.
    #[error("it panicked: {message}")]
    Panicked {
        /// The panic message after its source location
        /// (`src/main.rs:12:5: boom`).
        message: String,
    },
    /// The plugin sent it arguments that do not decode as the type it
    /// takes.
    #[error("the plugin's arguments do not decode as `{expected}` with {codec}: {message}")]
    Decode {
        /// The argument type the host function takes.
        expected: &'static str,
        /// The codec's name.
        codec: &'static str,
        /// The codec's error.
        message: String,
    },
    /// Its reply could not be encoded.
    #[error("its reply does not encode with {codec}: {message}")]
    Encode {
        /// The codec's name.
        codec: &'static str,
        /// The codec's error.
        message: String,
    },
    /// Its reply's type differs from the one the plugin reads, where the
    /// codec would misread the bytes: found from its first reply, before
    /// the reply is encoded (docs/ABI.md, "Compatible types").
    #[error("its reply is not what the plugin reads: {path}: {difference}")]
    TypeMismatch {
        /// Where the types first differ: `reply`, `reply .name`…
        path: String,
        /// How they differ: `the plugin has String, the host has u32`.
        difference: String,
    },
    /// The plugin sent it more bytes than the input limit allows.
    #[error(
        "the plugin sent {len} bytes of arguments, over this host's {limit}-byte input limit: raise it with the builder's `max_input_bytes`"
    )]
    InputTooLarge {
        /// The bytes it sent.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The plugin called it against the contract: pointers outside its
    /// memory, a reply taken that was not waiting.
    #[error("the plugin called it wrongly: {reason}")]
    BadCall {
        /// What was wrong.
        reason: String,
    },
}

/// What the engine trapped on ([`Error::Trap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// The call stack was exhausted (deep or endless recursion).
    StackOverflow,
    /// A memory access outside the linear memory.
    MemoryOutOfBounds,
    /// A memory access that had to be aligned and was not.
    MemoryMisaligned,
    /// A table access outside the table.
    TableOutOfBounds,
    /// An indirect call to a null table entry.
    IndirectCallToNull,
    /// An indirect call whose callee has another signature.
    BadSignature,
    /// An integer operation overflowed (`i32.div_s` of `i32::MIN` by -1).
    IntegerOverflow,
    /// An integer division by zero.
    IntegerDivisionByZero,
    /// A float-to-integer conversion of a value out of range, or of NaN.
    BadConversionToInteger,
    /// An `unreachable` instruction ran (a Rust guest aborting, say).
    Unreachable,
    /// Another trap the engine raised.
    Other,
}

impl TrapCode {
    /// Our code for wasmer's.
    pub(crate) fn from_wasmer(code: wasmer::sys::vm::TrapCode) -> TrapCode {
        use wasmer::sys::vm::TrapCode as Wasmer;
        match code {
            Wasmer::StackOverflow => TrapCode::StackOverflow,
            Wasmer::HeapAccessOutOfBounds => TrapCode::MemoryOutOfBounds,
            Wasmer::HeapMisaligned | Wasmer::UnalignedAtomic => TrapCode::MemoryMisaligned,
            Wasmer::TableAccessOutOfBounds => TrapCode::TableOutOfBounds,
            Wasmer::IndirectCallToNull => TrapCode::IndirectCallToNull,
            Wasmer::BadSignature => TrapCode::BadSignature,
            Wasmer::IntegerOverflow => TrapCode::IntegerOverflow,
            Wasmer::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
            Wasmer::BadConversionToInteger => TrapCode::BadConversionToInteger,
            Wasmer::UnreachableCodeReached => TrapCode::Unreachable,
            _ => TrapCode::Other,
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::MemoryMisaligned => "misaligned memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::IndirectCallToNull => "indirect call to a null table entry",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::Unreachable => "unreachable",
            TrapCode::Other => "another engine trap",
        })
    }
}

// Errors cross threads and go into `Box<dyn Error + Send + Sync>`.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Error>();
};

#[cfg(test)]
mod tests {
    /// The variants of `enum_name` in this file, in order.
    fn variants(enum_name: &str) -> Vec<&'static str> {
        const SOURCE: &str = include_str!("error.rs");
        let start = SOURCE
            .find(&format!("pub enum {enum_name} {{"))
            .expect("the enum is in this file");
        let body = &SOURCE[start..];
        let body = &body[..body.find("\n}\n").expect("the enum ends")];
        body.lines()
            .filter_map(|line| {
                let name = line.strip_prefix("    ")?;
                let end = name.find(|c: char| !c.is_ascii_alphanumeric())?;
                let name = &name[..end];
                name.starts_with(|c: char| c.is_ascii_uppercase())
                    .then_some(name)
            })
            .collect()
    }

    fn doc(path: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    #[test]
    fn the_readme_and_the_security_model_name_every_variant() {
        let errors = variants("Error");
        assert!(errors.len() > 30, "{errors:?}");
        assert!(errors.contains(&"HostFunction") && errors.contains(&"Io"));
        let failures = variants("HostFunctionFailure");
        assert_eq!(
            failures,
            [
                "Returned",
                "Panicked",
                "Decode",
                "Encode",
                "TypeMismatch",
                "InputTooLarge",
                "BadCall"
            ]
        );
        for (path, names) in [
            ("../README.md", &errors),
            ("../docs/SECURITY.md", &errors),
            ("../docs/SECURITY.md", &failures),
        ] {
            let text = doc(path);
            let missing: Vec<_> = names
                .iter()
                .filter(|name| !text.contains(&format!("`{name}`")))
                .collect();
            assert!(missing.is_empty(), "{path} does not name {missing:?}");
        }
    }

    #[test]
    fn every_limit_error_names_its_setter_and_the_value_in_force() {
        use super::{Error, HostFunctionFailure};
        let function = || "f".to_owned();
        let cases: Vec<(Box<dyn std::error::Error>, &str, &str)> = vec![
            (
                Box::new(Error::InputTooLarge {
                    function: function(),
                    len: 11,
                    limit: 10,
                }),
                "`max_input_bytes`",
                "10-byte",
            ),
            (
                Box::new(Error::OutputTooLarge {
                    function: function(),
                    len: 11,
                    limit: 10,
                }),
                "`max_output_bytes`",
                "10-byte",
            ),
            (
                Box::new(Error::OutOfFuel {
                    function: function(),
                    budget: 1000,
                }),
                "`fuel_per_call`",
                "1000 units",
            ),
            (
                Box::new(Error::MemoryLimit {
                    function: function(),
                    limit: 65536,
                }),
                "`max_memory_bytes`",
                "65536-byte",
            ),
            (
                Box::new(Error::Timeout {
                    function: function(),
                    limit: std::time::Duration::from_millis(5),
                }),
                "`timeout`",
                "5ms",
            ),
            (
                Box::new(Error::InstanceLimit { limit: 3 }),
                "`HostPool::with_max_instances`",
                "3 plugin instances",
            ),
            (
                Box::new(HostFunctionFailure::InputTooLarge { len: 11, limit: 10 }),
                "`max_input_bytes`",
                "10-byte",
            ),
            (
                Box::new(crate::limits::check_module_size(11, 0, 10).unwrap_err()),
                "`max_module_bytes`",
                "10-byte",
            ),
            (
                Box::new(crate::limits::check_file_size(11, 10).unwrap_err()),
                "`max_file_bytes`",
                "10-byte",
            ),
            (
                Box::new(
                    crate::limits::CodeShape::new(crate::limits::CodeLimits {
                        max_functions: 10,
                        max_function_bytes: 10,
                        max_control_blocks: 10,
                        max_calls: 10,
                    })
                    .functions(11)
                    .unwrap_err(),
                ),
                "`max_functions`",
                "limit of 10",
            ),
        ];
        for (error, setter, value) in cases {
            let message = error.to_string();
            assert!(message.contains(setter), "{message}");
            assert!(message.contains(value), "{message}");
        }
    }

    #[test]
    fn trap_codes_read_as_the_engine_says_them() {
        use super::TrapCode;
        use wasmer::sys::vm::TrapCode as Wasmer;
        for (wasmer, ours) in [
            (Wasmer::StackOverflow, TrapCode::StackOverflow),
            (Wasmer::HeapAccessOutOfBounds, TrapCode::MemoryOutOfBounds),
            (Wasmer::UnreachableCodeReached, TrapCode::Unreachable),
            (
                Wasmer::IntegerDivisionByZero,
                TrapCode::IntegerDivisionByZero,
            ),
            (Wasmer::HostInterrupt, TrapCode::Other),
        ] {
            assert_eq!(TrapCode::from_wasmer(wasmer), ours);
            if ours != TrapCode::Other {
                assert_eq!(ours.to_string(), wasmer.message());
            }
        }
    }

    #[test]
    fn no_message_repeats_its_source() {
        use std::error::Error as _;
        let io = super::Error::Io {
            path: "plugin.wasm".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        };
        assert_eq!(io.to_string(), "could not read plugin file plugin.wasm");
        assert_eq!(io.source().unwrap().to_string(), "no such file");
        assert_eq!(
            io.report().to_string(),
            "could not read plugin file plugin.wasm: no such file"
        );
        let failure = super::HostFunctionFailure::Returned("disk full".into());
        let host = super::Error::HostFunction {
            function: "f".into(),
            host_function: "save".into(),
            failure,
        };
        assert_eq!(
            host.report().to_string(),
            "plugin function `f` stopped: host function `save` failed: it returned an error: disk full"
        );
        assert_eq!(host.host_error().unwrap().to_string(), "disk full");
    }
}
