//! Pipelines: plugin functions chained so that each one's return value is
//! the next one's arguments, checked once when the pipeline is built, run
//! with the bytes handed from stage to stage as the plugins encoded them.
//!
//! The stages may come from plugins of different state types, so a
//! pipeline keeps them behind two small object-safe traits: what a
//! compiled plugin answers ([`StagePlugin`]) and what runs a stage on one
//! thread ([`StageHost`]) or from any ([`StagePool`]).

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_abi::{Codec, FunctionRecord};
use wasmer_plugin_codecs::Bincode;

use crate::host::{check_codec, decode_output, index_of};
use crate::schemas::{Schemas, check_stage_link};
use crate::{DEFAULT_MAX_INSTANCES, Error, Host, HostPool, Plugin};

/// Plugin functions chained into one call: the first stage gets the
/// pipeline's input `A`, each later stage the previous one's return value,
/// and the last one's return value is the pipeline's `R`.
///
/// ```no_run
/// use wasmer_plugin_host::{Pipeline, PipelineHost, PipelinePool, Plugin};
///
/// # fn main() -> Result<(), wasmer_plugin_host::Error> {
/// let parser = Plugin::from_file("parser.wasm")?;
/// let rules = Plugin::from_file("rules.wasm")?;
/// // parse(&str) -> Event, enrich(Event) -> Event, score(Event) -> u32
/// let pipeline = Pipeline::<str, u32>::builder()
///     .stage(&parser, "parse")
///     .stage(&rules, "enrich")
///     .stage(&rules, "score")
///     .build()?;
///
/// // On one thread:
/// let mut host = PipelineHost::new(&pipeline)?;
/// let score = host.run("level=warn user=7")?;
///
/// // From any thread:
/// let pool = PipelinePool::new(&pipeline);
/// let score = pool.run("level=warn user=7")?;
/// # Ok(()) }
/// ```
///
/// [`build`](PipelineBuilder::build) checks, before anything runs, that
/// every stage's function exists and uses the pipeline's codec `C`, that
/// each stage reads what the one before it returns (the rules of the
/// codec, docs/ABI.md "Compatible types"), and that `R` reads the last
/// one's return value; the input `A` is checked against the first stage
/// on the first run, from the value. A stage in another codec is refused,
/// not transcoded: converting between codecs would decode and encode every
/// value, which is what a pipeline exists to avoid.
///
/// A run encodes the input once, hands each stage's output to the next
/// stage as bytes, and decodes the last output once. A stage that fails
/// stops the run with [`Error::Stage`], naming it, with the stage's own
/// error as its source; only that stage's instance is discarded, when
/// the error [discards](Error::discards_instance) one.
///
/// A `Pipeline` is the checked description, made once and shared
/// (`Clone + Send + Sync`); [`PipelineHost`] runs it on one thread, with
/// an instance per stage, and [`PipelinePool`] from any thread, with a
/// [`HostPool`] per stage, whose stages can be reloaded while it runs.
pub struct Pipeline<A: ?Sized, R, C: Codec = Bincode> {
    stages: Arc<[Stage]>,
    types: PhantomData<fn(&A, C) -> R>,
}

impl<A: ?Sized, R, C: Codec> Clone for Pipeline<A, R, C> {
    fn clone(&self) -> Self {
        Pipeline {
            stages: self.stages.clone(),
            types: PhantomData,
        }
    }
}

// Made once, run from anywhere.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Pipeline<str, u32>>();
    assert_send_sync::<PipelinePool<str, u32>>();
};

/// One stage: a function of a compiled plugin.
struct Stage {
    plugin: Box<dyn StagePlugin>,
    function: String,
    /// The function's place in the plugin's metadata.
    index: usize,
}

/// Collects the stages of a [`Pipeline`]; see [`Pipeline::builder`].
pub struct PipelineBuilder<A: ?Sized, R, C: Codec = Bincode> {
    stages: Vec<(Box<dyn StagePlugin>, String)>,
    types: PhantomData<fn(&A, C) -> R>,
}

impl<A: ?Sized, R, C: Codec> Pipeline<A, R, C> {
    /// A pipeline from `A` to `R` in codec `C`, stage by stage.
    pub fn builder() -> PipelineBuilder<A, R, C> {
        PipelineBuilder {
            stages: Vec::new(),
            types: PhantomData,
        }
    }

    /// The stages' functions, in order.
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|stage| stage.function.as_str())
    }
}

impl<A: ?Sized, R, C: Codec> PipelineBuilder<A, R, C> {
    /// Adds function `function` of `plugin` as the next stage.
    pub fn stage<S: Send + 'static>(mut self, plugin: &Plugin<S>, function: &str) -> Self {
        self.stages
            .push((Box::new(plugin.clone()), function.to_owned()));
        self
    }
}

impl<A: ?Sized, R: DeserializeOwned, C: Codec> PipelineBuilder<A, R, C> {
    /// Checks the stages against each other and against `R` (see
    /// [`Pipeline`]); the first problem is an [`Error::Stage`] naming its
    /// stage. Reads the schemas of a plugin that no instance has read yet
    /// (by making one, which may fail as a call would).
    pub fn build(self) -> Result<Pipeline<A, R, C>, Error> {
        if self.stages.is_empty() {
            return Err(Error::EmptyPipeline);
        }
        let mut stages: Vec<Stage> = Vec::with_capacity(self.stages.len());
        for (position, (plugin, function)) in self.stages.into_iter().enumerate() {
            let at = |source: Error| stage_error(position, &function, source);
            let index = stage_index::<C>(&*plugin, &function).map_err(at)?;
            if let Some(previous) = stages.last() {
                let writer = (&*previous.plugin, previous.index, &*previous.function);
                check_link::<C>(writer, (&*plugin, index, &function)).map_err(at)?;
            }
            stages.push(Stage {
                plugin,
                function,
                index,
            });
        }
        let last = stages.last().expect("at least one stage");
        let position = stages.len() - 1;
        check_output::<C, R>(&*last.plugin, last.index, &last.function)
            .map_err(|source| stage_error(position, &last.function, source))?;
        Ok(Pipeline {
            stages: stages.into(),
            types: PhantomData,
        })
    }
}

fn stage_error(stage: usize, function: &str, source: Error) -> Error {
    Error::Stage {
        stage,
        function: function.to_owned(),
        source: Box::new(source),
    }
}

/// The index of `function` in `plugin`, which must use codec `C`; then
/// the plugin's schemas are read, if no instance has read them, for the
/// checks that follow.
fn stage_index<C: Codec>(plugin: &dyn StagePlugin, function: &str) -> Result<usize, Error> {
    let index = plugin.index_of(function)?;
    check_codec::<C>(&plugin.functions()[index])?;
    plugin.read_schemas()?;
    Ok(index)
}

/// One side of a link between stages: a plugin, its function's index and
/// name.
type StageEnd<'a> = (&'a dyn StagePlugin, usize, &'a str);

/// Checks that the `reader` stage reads what the `writer` stage returns.
fn check_link<C: Codec>(
    (writer, writer_index, writer_function): StageEnd<'_>,
    (reader, reader_index, reader_function): StageEnd<'_>,
) -> Result<(), Error> {
    check_stage_link(
        (writer.type_checks(), writer_index, writer_function),
        (reader.type_checks(), reader_index, reader_function),
        C::LAYOUT,
    )
}

/// Checks that `R` reads what function `index` of `plugin` returns.
fn check_output<C: Codec, R: DeserializeOwned>(
    plugin: &dyn StagePlugin,
    index: usize,
    function: &str,
) -> Result<(), Error> {
    plugin.type_checks().check_return::<C, R>(index, function)
}

/// Encodes the pipeline's input for its first stage, whose plugin's
/// schemas check it (once per type, as a handle's first call does).
fn encode_input<C: Codec, A: Serialize + ?Sized>(
    input: &A,
) -> impl FnMut(&Schemas, usize, &str, &mut Vec<u8>) -> Result<(), Error> + '_ {
    move |schemas, index, function, out| {
        if !schemas.arguments_passed::<A>(index) {
            schemas.check_arguments::<C, A>(index, function, input)?;
        }
        C::encode(input, out).map_err(|err| Error::Encode {
            function: function.to_owned(),
            codec: C::NAME,
            message: err.to_string(),
        })
    }
}

/// Encodes the pipeline's input into a buffer, checked against the schemas
/// of the plugin that runs the first stage: `(schemas, function index,
/// function name, buffer)`.
pub(crate) type EncodeInput<'a> =
    dyn FnMut(&Schemas, usize, &str, &mut Vec<u8>) -> Result<(), Error> + 'a;

/// What a stage's call starts from.
pub(crate) enum StageInput<'a> {
    /// The previous stage's output, as its plugin encoded it: the buffer
    /// changes hands for the call.
    Bytes(&'a mut Vec<u8>),
    /// Bytes the caller encoded, copied into the host's buffer.
    Encoded(&'a [u8]),
    /// The pipeline's input, to encode.
    Encode(&'a mut EncodeInput<'a>),
}

/// Runs the stages in order, `call(stage, input, output)` running one:
/// the first gets `first`, each later one the previous one's output. The
/// last output is left in one of `buffers`, which this returns.
fn run_stages<'b>(
    stages: &[Stage],
    first: StageInput<'_>,
    buffers: &'b mut [Vec<u8>; 2],
    mut call: impl FnMut(usize, StageInput<'_>, &mut Vec<u8>) -> Result<(), Error>,
) -> Result<&'b [u8], Error> {
    let [one, two] = buffers;
    let (mut output, mut spare) = (one, two);
    call(0, first, output).map_err(|source| stage_error(0, &stages[0].function, source))?;
    for (position, stage) in stages.iter().enumerate().skip(1) {
        // The last output is this stage's input.
        std::mem::swap(&mut output, &mut spare);
        call(position, StageInput::Bytes(spare), output)
            .map_err(|source| stage_error(position, &stage.function, source))?;
    }
    Ok(output)
}

/// A typed run: `input` encoded for the first stage, the last output
/// decoded as `R`.
fn run_typed<A, R, C>(
    stages: &[Stage],
    input: &A,
    buffers: &mut [Vec<u8>; 2],
    call: impl FnMut(usize, StageInput<'_>, &mut Vec<u8>) -> Result<(), Error>,
) -> Result<R, Error>
where
    A: Serialize + ?Sized,
    R: DeserializeOwned,
    C: Codec,
{
    let mut encode = encode_input::<C, A>(input);
    let output = run_stages(stages, StageInput::Encode(&mut encode), buffers, call)?;
    let last = stages.len() - 1;
    decode_output::<C, R>(&stages[last].function, output)
        .map_err(|source| stage_error(last, &stages[last].function, source))
}

/// A raw run: `input` already in the pipeline's codec, the last output as
/// its plugin encoded it.
fn run_raw(
    stages: &[Stage],
    input: &[u8],
    buffers: &mut [Vec<u8>; 2],
    call: impl FnMut(usize, StageInput<'_>, &mut Vec<u8>) -> Result<(), Error>,
) -> Result<Vec<u8>, Error> {
    run_stages(stages, StageInput::Encoded(input), buffers, call).map(<[u8]>::to_vec)
}

/// A [`Pipeline`] run on the thread that owns it, with an instance of its
/// own for each stage (two stages of one plugin have two). Not `Send`,
/// like a [`Host`]: make one per thread, or use a [`PipelinePool`].
pub struct PipelineHost<A: ?Sized, R, C: Codec = Bincode> {
    pipeline: Pipeline<A, R, C>,
    hosts: Vec<Box<dyn StageHost>>,
    buffers: [Vec<u8>; 2],
}

impl<A: Serialize + ?Sized, R: DeserializeOwned, C: Codec> PipelineHost<A, R, C> {
    /// Instantiates every stage of `pipeline`, without compiling.
    pub fn new(pipeline: &Pipeline<A, R, C>) -> Result<Self, Error> {
        let hosts = pipeline
            .stages
            .iter()
            .enumerate()
            .map(|(position, stage)| {
                stage
                    .plugin
                    .host()
                    .map_err(|source| stage_error(position, &stage.function, source))
            })
            .collect::<Result<_, _>>()?;
        Ok(PipelineHost {
            pipeline: pipeline.clone(),
            hosts,
            buffers: Default::default(),
        })
    }

    /// Runs the pipeline on `input`.
    pub fn run(&mut self, input: &A) -> Result<R, Error> {
        let (stages, hosts) = (&self.pipeline.stages, &mut self.hosts);
        run_typed::<A, R, C>(
            stages,
            input,
            &mut self.buffers,
            |position, input, output| hosts[position].call(stages[position].index, input, output),
        )
    }

    /// Runs the pipeline on `input`, already encoded in the pipeline's
    /// codec, and returns the last stage's output as its plugin encoded
    /// it: for hosts that forward bytes (as [`Host::call_raw`]). Neither
    /// is checked against a type; the stages still are against each
    /// other.
    pub fn run_raw(&mut self, input: &[u8]) -> Result<Vec<u8>, Error> {
        let (stages, hosts) = (&self.pipeline.stages, &mut self.hosts);
        run_raw(
            stages,
            input,
            &mut self.buffers,
            |position, input, output| hosts[position].call(stages[position].index, input, output),
        )
    }

    /// The pipeline this runs.
    pub fn pipeline(&self) -> &Pipeline<A, R, C> {
        &self.pipeline
    }
}

/// A [`Pipeline`] run from any number of threads through `&self`: each
/// stage is a [`HostPool`] (an instance per calling thread and stage, at
/// most `max_instances` per stage), and a stage's plugin can be replaced
/// while runs go on ([`reload_stage`](PipelinePool::reload_stage)).
pub struct PipelinePool<A: ?Sized, R, C: Codec = Bincode> {
    pipeline: Pipeline<A, R, C>,
    pools: Vec<PoolStage>,
    /// Held through a reload: a stage is checked against its neighbours
    /// as they are, so reloads take turns.
    reloading: Mutex<()>,
}

/// A stage's pool, and where its function was last found.
struct PoolStage {
    pool: Box<dyn StagePool>,
    index: StageIndex,
}

impl<A: Serialize + ?Sized, R: DeserializeOwned, C: Codec> PipelinePool<A, R, C> {
    /// A pool of at most [`DEFAULT_MAX_INSTANCES`] instances per stage.
    pub fn new(pipeline: &Pipeline<A, R, C>) -> Self {
        Self::with_max_instances(pipeline, DEFAULT_MAX_INSTANCES)
    }

    /// A pool of at most `max` instances per stage (at least one): size it
    /// to the threads that run the pipeline, as for a [`HostPool`].
    pub fn with_max_instances(pipeline: &Pipeline<A, R, C>, max: usize) -> Self {
        let pools = pipeline
            .stages
            .iter()
            .map(|stage| PoolStage {
                pool: stage.plugin.pool(max),
                index: StageIndex::new(stage.plugin.id(), stage.index),
            })
            .collect();
        PipelinePool {
            pipeline: pipeline.clone(),
            pools,
            reloading: Mutex::new(()),
        }
    }

    /// Runs the pipeline on `input`, on the calling thread's instances.
    pub fn run(&self, input: &A) -> Result<R, Error> {
        with_thread_buffers(|buffers| {
            run_typed::<A, R, C>(&self.pipeline.stages, input, buffers, |p, i, o| {
                self.call_stage(p, i, o)
            })
        })
    }

    /// Runs the pipeline on encoded `input`; see
    /// [`PipelineHost::run_raw`].
    pub fn run_raw(&self, input: &[u8]) -> Result<Vec<u8>, Error> {
        with_thread_buffers(|buffers| {
            run_raw(&self.pipeline.stages, input, buffers, |p, i, o| {
                self.call_stage(p, i, o)
            })
        })
    }

    fn call_stage(
        &self,
        position: usize,
        input: StageInput<'_>,
        output: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let stage = &self.pools[position];
        let function = &self.pipeline.stages[position].function;
        stage.pool.call(function, &stage.index, input, output)
    }

    /// Replaces the plugin behind stage `stage` (from 0) while runs go on,
    /// as [`HostPool::reload`] does for a pool: runs past that stage
    /// finish on the old version, later ones get `plugin`, none fails
    /// because of the swap.
    ///
    /// `plugin` is refused, and the running version keeps serving, if
    /// making an instance of it fails, if it lacks the stage's function or
    /// builds it with another codec, if its function does not read what
    /// the stage before returns or returns what the stage after does not
    /// read (as their plugins are now), or, for the last stage, if the
    /// pipeline's `R` does not read it: an [`Error::Stage`] naming the
    /// stage, or [`Error::StateMismatch`] under it when `plugin` keeps
    /// another state type than the stage's.
    ///
    /// A run that meets two reloads of adjacent stages may run one stage
    /// on the version before and the next on the version after: reloads
    /// check each new version against its neighbours as they are, not as
    /// a run that started earlier sees them.
    pub fn reload_stage<S: Send + 'static>(
        &self,
        stage: usize,
        plugin: &Plugin<S>,
    ) -> Result<(), Error> {
        let Some(function) = self.pipeline.stages.get(stage).map(|s| &s.function) else {
            return Err(Error::NoSuchStage {
                stage,
                stages: self.pools.len(),
            });
        };
        let at = |source: Error| stage_error(stage, function, source);
        let _turn = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let running = &self.pools[stage].pool;
        let Some(pool) = running.as_any().downcast_ref::<HostPool<Bincode, S>>() else {
            return Err(at(Error::StateMismatch {
                expected: running.state_type(),
                found: std::any::type_name::<S>(),
            }));
        };
        pool.reload_checked(plugin, |new| self.fits(stage, new))
            .map_err(at)
    }

    /// Whether `new` can serve as stage `stage` beside the neighbours'
    /// running versions.
    fn fits(&self, stage: usize, new: &dyn StagePlugin) -> Result<(), Error> {
        let stages = &self.pipeline.stages;
        let function = &stages[stage].function;
        let index = stage_index::<C>(new, function)?;
        let this = (new, index, function.as_str());
        // A neighbour as it runs now.
        let running = |position: usize| {
            let plugin = self.pools[position].pool.current();
            let index = stage_index::<C>(&*plugin, &stages[position].function)?;
            Ok::<_, Error>((plugin, index))
        };
        if let Some(before) = stage.checked_sub(1) {
            let (plugin, index) = running(before)?;
            check_link::<C>((&*plugin, index, &stages[before].function), this)?;
        }
        match stages.get(stage + 1) {
            Some(next) => {
                let (plugin, index) = running(stage + 1)?;
                check_link::<C>(this, (&*plugin, index, &next.function))
            }
            None => check_output::<C, R>(new, index, function),
        }
    }

    /// The pipeline this runs (as built: reloaded stages are not in it).
    pub fn pipeline(&self) -> &Pipeline<A, R, C> {
        &self.pipeline
    }

    /// How many instances stage `stage` has now, across all threads.
    pub fn instances(&self, stage: usize) -> usize {
        self.pools
            .get(stage)
            .map_or(0, |stage| stage.pool.instances())
    }
}

thread_local! {
    /// The buffers a thread's [`PipelinePool`] runs hand bytes on in, kept
    /// between runs as a [`PipelineHost`] keeps its own.
    static THREAD_BUFFERS: Cell<[Vec<u8>; 2]> = const { Cell::new([Vec::new(), Vec::new()]) };
}

/// Runs `run` with this thread's buffers, taken out for it: a run nested
/// in it (a host function running a pipeline) gets empty ones.
fn with_thread_buffers<T>(run: impl FnOnce(&mut [Vec<u8>; 2]) -> T) -> T {
    let mut buffers = THREAD_BUFFERS.take();
    let result = run(&mut buffers);
    THREAD_BUFFERS.set(buffers);
    result
}

/// Where a pool stage's function is in the version of its plugin last
/// called: the plugin's id and the index, packed in one word so that a
/// thread never reads the index of one version with the id of another. An
/// id or index too large to pack is looked up by name on each call.
struct StageIndex(AtomicU64);

const INDEX_BITS: u32 = 24;
const NOT_PACKED: u64 = u64::MAX;

impl StageIndex {
    fn new(plugin: u64, index: usize) -> Self {
        StageIndex(AtomicU64::new(Self::pack(plugin, index)))
    }

    fn pack(plugin: u64, index: usize) -> u64 {
        match (
            plugin < 1 << (64 - INDEX_BITS - 1),
            (index as u64) < 1 << INDEX_BITS,
        ) {
            (true, true) => plugin << INDEX_BITS | index as u64,
            _ => NOT_PACKED,
        }
    }

    /// The index of `function` in `plugin`.
    fn get<S>(&self, plugin: &Plugin<S>, function: &str) -> Result<usize, Error> {
        let packed = self.0.load(Ordering::Relaxed);
        if packed != NOT_PACKED && packed >> INDEX_BITS == plugin.id() {
            return Ok((packed & ((1 << INDEX_BITS) - 1)) as usize);
        }
        let index = index_of(plugin, function)?;
        self.0
            .store(Self::pack(plugin.id(), index), Ordering::Relaxed);
        Ok(index)
    }
}

/// A compiled plugin of any state type, as a pipeline sees it.
trait StagePlugin: Send + Sync {
    fn id(&self) -> u64;
    fn functions(&self) -> &[FunctionRecord];
    fn type_checks(&self) -> &Schemas;
    /// The `UnknownFunction` error for `function`.
    fn index_of(&self, function: &str) -> Result<usize, Error>;
    /// Reads the schemas, unless an instance did.
    fn read_schemas(&self) -> Result<(), Error>;
    fn host(&self) -> Result<Box<dyn StageHost>, Error>;
    fn pool(&self, max: usize) -> Box<dyn StagePool>;
}

impl<S: Send + 'static> StagePlugin for Plugin<S> {
    fn id(&self) -> u64 {
        Plugin::id(self)
    }

    fn functions(&self) -> &[FunctionRecord] {
        Plugin::functions(self)
    }

    fn type_checks(&self) -> &Schemas {
        Plugin::type_checks(self)
    }

    fn index_of(&self, function: &str) -> Result<usize, Error> {
        index_of(self, function)
    }

    fn read_schemas(&self) -> Result<(), Error> {
        if self.schemas().is_none() {
            drop(Host::<Bincode, S>::from_plugin(self)?);
        }
        Ok(())
    }

    fn host(&self) -> Result<Box<dyn StageHost>, Error> {
        Ok(Box::new(Host::<Bincode, S>::from_plugin(self)?))
    }

    fn pool(&self, max: usize) -> Box<dyn StagePool> {
        Box::new(HostPool::<Bincode, S>::with_max_instances(self, max))
    }
}

/// One stage's instance on one thread.
trait StageHost {
    fn call(
        &mut self,
        index: usize,
        input: StageInput<'_>,
        output: &mut Vec<u8>,
    ) -> Result<(), Error>;
}

impl<S: Send + 'static> StageHost for Host<Bincode, S> {
    fn call(
        &mut self,
        index: usize,
        input: StageInput<'_>,
        output: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.call_stage(index, input, output)
    }
}

/// One stage's pool.
trait StagePool: Send + Sync {
    fn call(
        &self,
        function: &str,
        index: &StageIndex,
        input: StageInput<'_>,
        output: &mut Vec<u8>,
    ) -> Result<(), Error>;
    /// The version new calls get.
    fn current(&self) -> Box<dyn StagePlugin>;
    fn instances(&self) -> usize;
    fn state_type(&self) -> &'static str;
    fn as_any(&self) -> &dyn Any;
}

impl<S: Send + 'static> StagePool for HostPool<Bincode, S> {
    fn call(
        &self,
        function: &str,
        index: &StageIndex,
        input: StageInput<'_>,
        output: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.with_host(|host| {
            let index = index.get(host.plugin(), function)?;
            host.call_stage(index, input, output)
        })
    }

    fn current(&self) -> Box<dyn StagePlugin> {
        Box::new(self.plugin())
    }

    fn instances(&self) -> usize {
        HostPool::instances(self)
    }

    fn state_type(&self) -> &'static str {
        std::any::type_name::<S>()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<A: ?Sized, R, C: Codec> fmt::Debug for Pipeline<A, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("codec", &C::NAME)
            .field("input", &std::any::type_name::<A>())
            .field("output", &std::any::type_name::<R>())
            .field("stages", &self.functions().collect::<Vec<_>>())
            .finish()
    }
}

impl<A: ?Sized, R, C: Codec> fmt::Debug for PipelineHost<A, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelineHost")
            .field("pipeline", &self.pipeline)
            .finish_non_exhaustive()
    }
}

impl<A: ?Sized, R, C: Codec> fmt::Debug for PipelinePool<A, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelinePool")
            .field("pipeline", &self.pipeline)
            .finish_non_exhaustive()
    }
}
