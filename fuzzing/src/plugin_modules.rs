//! Whole plugin modules: `wasm-smith` generates a valid module of any
//! shape the host accepts, with the contract's exports (memory,
//! allocator, free, slot, one to three plugin functions) and the host's
//! imports among the ones it may use; a metadata section declares its
//! functions and, mostly, its imports; most inputs then place the slot
//! in memory, make the allocator answer an address in it and give some
//! plugin functions bodies that call a host function and answer (so that
//! calls get past the host's first checks). The host loads it with a
//! timeout and a memory limit set, and mostly fuel, and calls it with
//! arbitrary bytes while its host functions answer, fail or panic as the
//! input says.
//!
//! Promised: no panic and no abort; every error is one docs/SECURITY.md
//! lists for where it happened (loading, making an instance, a call); no
//! call runs far past its deadline, no memory grows past its limit, no
//! output over its limit is returned; the host's state saw every host
//! call (none lost when an instance is discarded); a host function's own
//! error comes back as itself; and afterwards a well-formed plugin loads
//! and answers on a fresh instance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use serde_bytes::ByteBuf;
use wasm_encoder::reencode::Reencode;
use wasmer_plugin_host::{
    Bincode, Codec, Error, FunctionRecord, Host, HostContext, Json, MsgPack, Plugin, PluginBuilder,
    Postcard,
};

use crate::{Events, Violation, variant};

/// Fuel per call: enough for every generated function that ends, little
/// enough that one that loops stops within milliseconds.
pub const FUEL_PER_CALL: u64 = 200_000;
/// The deadline of each call, for what fuel does not stop.
pub const TIMEOUT: Duration = Duration::from_millis(50);
/// The memory limit (memories and tables) of each instance.
pub const MAX_MEMORY_BYTES: u64 = 8 << 20;
/// The output limit.
pub const MAX_OUTPUT_BYTES: u64 = 64 << 10;
/// The input limit, low enough that some inputs and host calls pass it.
const MAX_INPUT_BYTES: u64 = 4 << 10;
/// How long past its deadline a call may still be running on a noisy
/// machine: the deadline is checked at every loop head, call and bulk
/// instruction, so a generated function overshoots by microseconds.
const DEADLINE_SLACK: Duration = Duration::from_secs(1);
/// The most calls one input makes.
const MAX_CALLS: usize = 8;
/// The longest argument bytes of one call.
const MAX_CALL_INPUT: usize = 6 << 10;

/// The codecs, by the byte that picks one.
const CODECS: [&str; 4] = [Bincode::NAME, MsgPack::NAME, Postcard::NAME, Json::NAME];

/// Features the host refuses, one of which an input may let wasm-smith
/// use, to check that the refusal is an error and nothing else.
#[derive(Debug, Clone, Copy)]
enum Refused {
    TailCalls,
    ExtendedConst,
    WideArithmetic,
    Exceptions,
}

/// What an input asks for besides the module's code.
#[derive(Debug)]
struct Plan {
    codec: usize,
    /// Fuel is metered; without it only the timeout stops a loop.
    fuel: bool,
    functions: usize,
    memory_pages: u32,
    /// Where the slot is, or `None` to leave wasm-smith's address.
    slot: Option<i32>,
    /// What the allocator answers, or `None` to leave wasm-smith's code.
    alloc: Option<i32>,
    /// For each plugin function, whether its body keeps the contract
    /// (calls a host function, then answers its input as its output)
    /// rather than wasm-smith's code, and which host function it calls.
    keepers: Vec<Option<Keeper>>,
    /// For each plugin function, whether its record is of ABI version 7,
    /// its export returning a direct reply, rather than of version 6,
    /// its export returning the output's address (the rest in the slot).
    direct: Vec<bool>,
    declares_echo: bool,
    declares_act: bool,
    refused: Option<Refused>,
    /// What each host call does, in turn.
    script: Vec<u8>,
    calls: Vec<Call>,
}

/// What a plugin function that keeps the contract calls first.
#[derive(Debug, Clone, Copy)]
enum Keeper {
    NoHostCall,
    /// `echo` with the function's input.
    Echo,
    /// `act` with no arguments.
    Act,
}

#[derive(Debug)]
struct Call {
    /// An index into the plugin's functions; past them, a name it lacks.
    function: usize,
    input: Vec<u8>,
    /// A typed call (`Vec<u8>` both ways) rather than `call_raw`.
    typed: bool,
}

/// Runs one input: see the module's documentation.
pub fn plugin_modules(data: &[u8]) -> Result<(), Violation> {
    plugin_modules_events(data).map(drop)
}

/// [`plugin_modules`], saying how far the input got: loaded or refused
/// (and why), each call's answer or error, what the host functions did.
pub fn plugin_modules_events(data: &[u8]) -> Result<Events, Violation> {
    let mut events = Events::new();
    let Some((plan, wasm)) = plan_and_module(data) else {
        events.push("no module: the input is too short".into());
        return Ok(events);
    };
    let outcome = match CODECS[plan.codec] {
        Bincode::NAME => run::<Bincode>(&plan, &wasm, &mut events),
        MsgPack::NAME => run::<MsgPack>(&plan, &wasm, &mut events),
        Postcard::NAME => run::<Postcard>(&plan, &wasm, &mut events),
        _ => run::<Json>(&plan, &wasm, &mut events),
    };
    outcome.map(|()| events)
}

/// The module one input makes, metadata included; `None` when the input
/// is too short for wasm-smith. For looking at a found input.
pub fn generate_module(data: &[u8]) -> Option<Vec<u8>> {
    plan_and_module(data).map(|(_, wasm)| wasm)
}

fn plan_and_module(data: &[u8]) -> Option<(Plan, Vec<u8>)> {
    let mut u = Unstructured::new(data);
    let plan = plan(&mut u).ok()?;
    let mut wasm = module(&plan, &mut u).ok()?;
    append_custom_section(
        &mut wasm,
        wasmer_plugin_abi::METADATA_SECTION,
        &metadata(&plan),
    );
    Some((plan, wasm))
}

fn plan(u: &mut Unstructured<'_>) -> arbitrary::Result<Plan> {
    let codec = u.choose_index(CODECS.len())?;
    let fuel = u.ratio(3, 4)?;
    let functions = u.int_in_range(1..=3)?;
    // Mostly a page or a few, sometimes more than the memory limit allows.
    let memory_pages = match u.int_in_range(0..=15)? {
        0 => 0,
        15 => 200,
        pages => pages % 3 + 1,
    };
    let slot = match u.ratio(7, 8)? {
        true => Some(u.int_in_range(0..=4095)? * 4),
        false => None,
    };
    let alloc = match u.ratio(7, 8)? {
        true => Some(u.int_in_range(0..=8191)? * 8),
        false => None,
    };
    let mut keepers = Vec::with_capacity(functions);
    for _ in 0..functions {
        keepers.push(match u.int_in_range(0..=5)? {
            0 => Some(Keeper::NoHostCall),
            1 => Some(Keeper::Echo),
            2 => Some(Keeper::Act),
            _ => None,
        });
    }
    let direct = (0..functions)
        .map(|_| u.ratio(3, 4))
        .collect::<arbitrary::Result<Vec<bool>>>()?;
    let declares_echo = u.ratio(7, 8)?;
    let declares_act = u.ratio(7, 8)?;
    let refused = match u.int_in_range(0..=31)? {
        0 => Some(Refused::TailCalls),
        1 => Some(Refused::ExtendedConst),
        2 => Some(Refused::WideArithmetic),
        3 => Some(Refused::Exceptions),
        _ => None,
    };
    let script_len = u.int_in_range(0..=16)?;
    let script = u.bytes(script_len)?.to_vec();
    let call_count = u.int_in_range(1..=MAX_CALLS)?;
    let mut calls = Vec::with_capacity(call_count);
    for _ in 0..call_count {
        let function = u.int_in_range(0..=functions)?;
        let typed = u.arbitrary()?;
        // Long inputs are runs of one byte, so that they cost the
        // generator few bytes of the input.
        let input = if u.ratio(1, 16)? {
            let len = u.int_in_range(0..=MAX_CALL_INPUT)?;
            vec![u.arbitrary::<u8>()?; len]
        } else {
            let len = u.int_in_range(0..=64)?;
            u.bytes(len)?.to_vec()
        };
        calls.push(Call {
            function,
            input,
            typed,
        });
    }
    Ok(Plan {
        codec,
        fuel,
        functions,
        memory_pages,
        slot,
        alloc,
        keepers,
        direct,
        declares_echo,
        declares_act,
        refused,
        script,
        calls,
    })
}

/// The generated module, without metadata.
fn module(plan: &Plan, u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let mut config = wasm_smith::Config {
        available_imports: Some(host_imports()),
        exports: Some(contract_exports(plan)),
        // The exported memory is generated besides these: no other.
        max_memories: 0,
        max_tables: 2,
        max_table_elements: 256,
        max_funcs: 12,
        max_instructions: 150,
        max_globals: 12,
        max_types: 24,
        max_data_segments: 6,
        max_element_segments: 6,
        max_elements: 32,
        // What the host refuses (docs/SECURITY.md); wasm-smith's defaults
        // turn most of it on.
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        exceptions_enabled: false,
        memory64_enabled: false,
        tail_call_enabled: false,
        relaxed_simd_enabled: false,
        extended_const_enabled: false,
        wide_arithmetic_enabled: false,
        gc_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        simd_enabled: u.arbitrary()?,
        reference_types_enabled: u.arbitrary()?,
        allow_start_export: true,
        ..wasm_smith::Config::default()
    };
    match plan.refused {
        Some(Refused::TailCalls) => config.tail_call_enabled = true,
        Some(Refused::ExtendedConst) => config.extended_const_enabled = true,
        Some(Refused::WideArithmetic) => config.wide_arithmetic_enabled = true,
        Some(Refused::Exceptions) => config.exceptions_enabled = true,
        None => {}
    }
    let wasm = wasm_smith::Module::new(config, u)?.to_bytes();
    Ok(keep_contract(&wasm, plan))
}

/// `wasm` with its slot global starting at the plan's address and its
/// allocator answering the plan's address, where the plan says so.
/// wasm-smith starts globals at random values and returns random ones,
/// which puts the slot and every buffer outside memory in nearly every
/// module: the host then refuses every instance and call at its first
/// check, and nothing past it is tried.
fn keep_contract(wasm: &[u8], plan: &Plan) -> Vec<u8> {
    let mut slot = None;
    let mut alloc = None;
    let mut functions = Vec::new();
    // Only functions are available to import: an import's index is its
    // place in the import section.
    let mut imports: Vec<String> = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::ImportSection(section)) => {
                imports = section
                    .into_imports()
                    .flatten()
                    .map(|import| import.name.to_owned())
                    .collect();
            }
            Ok(wasmparser::Payload::ExportSection(exports)) => {
                for export in exports.into_iter().flatten() {
                    match export.name {
                        wasmer_plugin_abi::SLOT_EXPORT => slot = Some(export.index),
                        wasmer_plugin_abi::ALLOC_EXPORT => alloc = Some(export.index),
                        name => {
                            if let Some(function) = name
                                .strip_prefix(wasmer_plugin_abi::FUNCTION_EXPORT_PREFIX)
                                .and_then(|name| name.strip_prefix('f'))
                                .and_then(|index| index.parse::<usize>().ok())
                            {
                                functions.push((function, export.index));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let import_index = |name: &str| {
        imports
            .iter()
            .position(|import| import == name)
            .map(|index| index as u32)
    };
    let echo = import_index("__wasmer_plugin_host_echo");
    let act = import_index("__wasmer_plugin_host_act");
    let body = |index: u32| index.checked_sub(imports.len() as u32);
    let mut replaced = HashMap::new();
    if let (Some(address), Some(index)) = (plan.alloc, alloc.and_then(body)) {
        replaced.insert(index, Body::Alloc(address));
    }
    if let Some(slot) = plan.slot {
        for (function, index) in functions {
            let Some(index) = body(index) else { continue };
            let host_call = match plan.keepers.get(function).copied().flatten() {
                None => continue,
                Some(Keeper::NoHostCall) => None,
                Some(Keeper::Echo) => echo.map(|index| (index, true)),
                Some(Keeper::Act) => act.map(|index| (index, false)),
            };
            let direct = plan.direct[function];
            replaced.insert(
                index,
                Body::Answer {
                    slot,
                    host_call,
                    direct,
                },
            );
        }
    }
    let mut reencoder = KeepContract {
        slot: slot.zip(plan.slot),
        replaced,
        globals: 0,
        bodies: 0,
    };
    let mut kept = wasm_encoder::Module::new();
    match reencoder.parse_core_module(&mut kept, wasmparser::Parser::new(0), wasm) {
        Ok(()) => kept.finish(),
        Err(_) => wasm.to_vec(),
    }
}

/// Re-encodes a module, giving the global at index `slot.0` the initial
/// value `slot.1`, and the function bodies in `replaced` (by their index
/// in the code section) the bodies it says. The generated modules import
/// no globals, so a global's index is its place in the global section.
struct KeepContract {
    slot: Option<(u32, i32)>,
    replaced: HashMap<u32, Body>,
    globals: u32,
    bodies: u32,
}

/// A body that keeps the contract.
#[derive(Debug, Clone, Copy)]
enum Body {
    /// The allocator: answers this address.
    Alloc(i32),
    /// A plugin function: calls the host function of this import index
    /// (`true`: with its input; `false`: with no arguments), then answers
    /// its input as its output, in the slot at `slot`, and returns it as
    /// a direct reply (`direct`, `(ptr, len) -> i64`) or its address
    /// (`(ptr, len) -> i32`).
    Answer {
        slot: i32,
        host_call: Option<(u32, bool)>,
        direct: bool,
    },
}

impl Body {
    fn function(self) -> wasm_encoder::Function {
        let mut function = wasm_encoder::Function::new([]);
        let mut code = function.instructions();
        match self {
            Body::Alloc(address) => {
                code.i32_const(address);
            }
            Body::Answer {
                slot,
                host_call,
                direct,
            } => {
                if let Some((import, with_input)) = host_call {
                    code.local_get(0);
                    match with_input {
                        true => code.local_get(1).local_get(1),
                        false => code.i32_const(0).local_get(1),
                    };
                    code.call(import).drop();
                }
                let store = |offset: u64| wasm_encoder::MemArg {
                    offset,
                    align: 2,
                    target: wasm_encoder::MemArgTarget::Memory(0),
                    ordering: None,
                };
                code.i32_const(slot).local_get(1).i32_store(store(0));
                code.i32_const(slot).i32_const(0).i32_store(store(4));
                code.i32_const(slot).local_get(0).i32_store(store(8));
                code.local_get(0);
                if direct {
                    // ptr | len << 32
                    code.i64_extend_i32_u()
                        .local_get(1)
                        .i64_extend_i32_u()
                        .i64_const(32)
                        .i64_shl()
                        .i64_or();
                }
            }
        }
        code.end();
        function
    }
}

impl Reencode for KeepContract {
    type Error = std::convert::Infallible;

    fn parse_global(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        global: wasmparser::Global<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        let index = self.globals;
        self.globals += 1;
        match self.slot {
            Some((slot, address)) if slot == index => {
                let ty = self.global_type(global.ty)?;
                globals.global(ty, &wasm_encoder::ConstExpr::i32_const(address));
                Ok(())
            }
            _ => wasm_encoder::reencode::utils::parse_global(self, globals, global),
        }
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        body: wasmparser::FunctionBody<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        let index = self.bodies;
        self.bodies += 1;
        match self.replaced.get(&index) {
            Some(replacement) => {
                code.function(&replacement.function());
                Ok(())
            }
            None => wasm_encoder::reencode::utils::parse_function_body(self, code, body),
        }
    }
}

/// The imports the host provides: two host functions and the reply
/// import.
fn host_imports() -> Vec<u8> {
    static IMPORTS: OnceLock<Vec<u8>> = OnceLock::new();
    IMPORTS
        .get_or_init(|| {
            wat::parse_str(
                r#"(module
                     (import "wasmer-plugin" "__wasmer_plugin_host_echo"
                       (func (param i32 i32 i32) (result i32)))
                     (import "wasmer-plugin" "__wasmer_plugin_host_act"
                       (func (param i32 i32 i32) (result i32)))
                     (import "wasmer-plugin" "__wasmer_plugin_take_reply"
                       (func (param i32 i32))))"#,
            )
            .expect("the imports' text")
        })
        .clone()
}

/// A module with the contract's exports and the plan's memory; only
/// their names and types reach the generated module.
fn contract_exports(plan: &Plan) -> Vec<u8> {
    let functions: String = (0..plan.functions)
        .map(|index| {
            let result = if plan.direct[index] { "i64" } else { "i32" };
            format!(
                r#"(func (export "__wasmer_plugin_fn_f{index}") (param i32 i32) (result {result})
                     unreachable)"#
            )
        })
        .collect();
    let text = format!(
        r#"(module
             (memory (export "memory") {pages})
             (global (export "__wasmer_plugin_slot") i32 (i32.const 0))
             (func (export "__wasmer_plugin_alloc") (param i32) (result i32) unreachable)
             (func (export "__wasmer_plugin_free") (param i32 i32) unreachable)
             {functions})"#,
        pages = plan.memory_pages,
    );
    wat::parse_str(text).expect("the exports' text")
}

fn metadata(plan: &Plan) -> Vec<u8> {
    let codec = CODECS[plan.codec];
    let record = |name: String, args: &str| FunctionRecord {
        name,
        codec: codec.into(),
        args: args.into(),
        ret: "Vec<u8>".into(),
    };
    let mut section: Vec<u8> = (0..plan.functions)
        .flat_map(|index| {
            let mut bytes = record(format!("f{index}"), "Vec<u8>").to_bytes();
            if !plan.direct[index] {
                bytes[..4].copy_from_slice(&6u32.to_le_bytes());
            }
            bytes
        })
        .collect();
    if plan.declares_echo {
        section.extend(record("echo".into(), "Vec<u8>").to_import_bytes());
    }
    if plan.declares_act {
        section.extend(record("act".into(), "()").to_import_bytes());
    }
    section
}

/// Appends a custom section, as a linker would.
fn append_custom_section(wasm: &mut Vec<u8>, name: &str, data: &[u8]) {
    use wasm_encoder::{Encode, Section};
    let section = wasm_encoder::CustomSection {
        name: name.into(),
        data: data.into(),
    };
    wasm.push(section.id());
    section.encode(wasm);
}

/// What the host functions do, call after call, and how often they ran.
struct Script {
    actions: Vec<u8>,
    next: AtomicUsize,
    ran: AtomicU64,
    /// How often each action ran, by [`ACTIONS`].
    done: [AtomicU64; ACTIONS.len()],
}

/// What a host function may do, by the script's byte modulo 8.
const ACTIONS: [&str; 8] = [
    "echoed",
    "echoed",
    "echoed",
    "answered nothing",
    "answered past the buffer",
    "failed",
    "panicked",
    "answered past the input limit",
];

/// A host function's own error, which the caller must get back as itself.
#[derive(Debug)]
struct FuzzedFailure;

impl std::fmt::Display for FuzzedFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a host function failed, as the input said")
    }
}

impl std::error::Error for FuzzedFailure {}

impl Script {
    fn new(actions: &[u8]) -> Arc<Script> {
        Arc::new(Script {
            actions: actions.to_vec(),
            next: AtomicUsize::new(0),
            ran: AtomicU64::new(0),
            done: Default::default(),
        })
    }

    fn act(&self, calls: &mut u64, args: Vec<u8>) -> Result<ByteBuf, FuzzedFailure> {
        *calls += 1;
        self.ran.fetch_add(1, Ordering::Relaxed);
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        let action = match self.actions.len() {
            0 => 0,
            len => self.actions[turn % len],
        };
        self.done[usize::from(action % 8)].fetch_add(1, Ordering::Relaxed);
        match action % 8 {
            0..=2 => Ok(ByteBuf::from(args)),
            3 => Ok(ByteBuf::from(Vec::new())),
            // Longer than most buffers a plugin offers: the reply waits
            // for `__wasmer_plugin_take_reply`.
            4 => Ok(ByteBuf::from(vec![0x5a; 3000])),
            5 => Err(FuzzedFailure),
            6 => panic!("a host function panicked, as the input said"),
            _ => Ok(ByteBuf::from(vec![0xa5; MAX_INPUT_BYTES as usize * 2])),
        }
    }
}

/// The builder every plugin of one input is loaded with.
fn builder<C: Codec>(script: &Arc<Script>, fuel: bool) -> PluginBuilder<u64> {
    let echo = Arc::clone(script);
    let act = Arc::clone(script);
    let builder = match fuel {
        true => Plugin::builder().fuel_per_call(FUEL_PER_CALL),
        false => Plugin::builder(),
    };
    builder
        .timeout(TIMEOUT)
        .max_memory_bytes(MAX_MEMORY_BYTES)
        .max_output_bytes(MAX_OUTPUT_BYTES)
        .max_input_bytes(MAX_INPUT_BYTES)
        .state(|| 0u64)
        .try_host_fn_in::<C, ByteBuf, ByteBuf, FuzzedFailure, _>(
            "echo",
            move |context: &mut HostContext<'_, u64>, args: ByteBuf| {
                echo.act(context.state_mut(), args.into_vec())
            },
        )
        .try_host_fn_in::<C, (), ByteBuf, FuzzedFailure, _>(
            "act",
            move |context: &mut HostContext<'_, u64>, ()| act.act(context.state_mut(), Vec::new()),
        )
}

fn run<C: Codec>(plan: &Plan, wasm: &[u8], events: &mut Events) -> Result<(), Violation> {
    let script = Script::new(&plan.script);
    let outcome = load_and_call::<C>(plan, wasm, &script, events);
    for (action, done) in ACTIONS.iter().zip(&script.done) {
        if done.load(Ordering::Relaxed) > 0 {
            events.push(format!("a host function {action}"));
        }
    }
    // Whatever the generated module did, the host still serves a plugin
    // that keeps the contract.
    well_formed_plugin_answers::<C>()?;
    outcome
}

fn load_and_call<C: Codec>(
    plan: &Plan,
    wasm: &[u8],
    script: &Arc<Script>,
    events: &mut Events,
) -> Result<(), Violation> {
    let plugin = match builder::<C>(script, plan.fuel).build(wasm) {
        Ok(plugin) => plugin,
        Err(err) => {
            events.push(format!("refused at load: {}", variant(&err)));
            return expect(&err, "loading", is_load_error(&err) || is_start_error(&err));
        }
    };
    events.push("loaded".into());
    if plan.refused.is_some() {
        // wasm-smith may not have used the feature it was allowed; when it
        // did, the module must not have loaded.
        if let Some(feature) = wasmer_plugin_host::__fuzz::refused_feature(wasm) {
            return Err(Violation::new(format!(
                "a module using {feature} loaded; the host refuses it"
            )));
        }
    }
    let before = script.ran.load(Ordering::Relaxed);
    let mut host = match Host::<C, u64>::from_plugin(&plugin) {
        Ok(host) => host,
        Err(err) => {
            events.push(format!("no instance: {}", variant(&err)));
            return expect(
                &err,
                "making an instance",
                is_start_error(&err) || is_load_error(&err),
            );
        }
    };
    events.push("instance made".into());
    for call in &plan.calls {
        let name = match call.function < plan.functions {
            true => format!("f{}", call.function),
            false => "absent".to_owned(),
        };
        let started = Instant::now();
        let result = match call.typed {
            true => host
                .call::<ByteBuf, ByteBuf>(&name, &ByteBuf::from(call.input.clone()))
                .map(ByteBuf::into_vec),
            false => host.call_raw(&name, &call.input),
        };
        let took = started.elapsed();
        if took > TIMEOUT + DEADLINE_SLACK {
            return Err(Violation::new(format!(
                "a call of `{name}` took {took:?} under a {TIMEOUT:?} deadline"
            )));
        }
        match &result {
            Ok(output) if output.len() as u64 > MAX_OUTPUT_BYTES && !call.typed => {
                return Err(Violation::new(format!(
                    "`{name}` returned {} bytes over the {MAX_OUTPUT_BYTES}-byte output limit",
                    output.len()
                )));
            }
            Ok(_) => events.push("call answered".into()),
            Err(err) => {
                events.push(format!("call failed: {}", variant(err)));
                check_call_error::<C>(err, &name, call, plan)?;
            }
        }
        if let Some(bytes) = host.memory_size()
            && bytes > MAX_MEMORY_BYTES
        {
            return Err(Violation::new(format!(
                "after a call of `{name}` the instance holds {bytes} bytes, over the \
                 {MAX_MEMORY_BYTES}-byte memory limit"
            )));
        }
        let ran = script.ran.load(Ordering::Relaxed) - before;
        if *host.state() != ran {
            return Err(Violation::new(format!(
                "the host functions ran {ran} times on this host, its state counted {}: \
                 state was lost or shared (after `{name}`: {result:?})",
                host.state()
            )));
        }
    }
    Ok(())
}

fn check_call_error<C: Codec>(
    err: &Error,
    name: &str,
    call: &Call,
    plan: &Plan,
) -> Result<(), Violation> {
    expect(err, "a call", is_call_error(err) || is_start_error(err))?;
    let absent = call.function >= plan.functions;
    if matches!(err, Error::UnknownFunction { .. }) != absent {
        return Err(Violation::new(format!(
            "calling `{name}`: {}",
            err.report()
        )));
    }
    // What the host sends: the bytes themselves, or their encoding.
    let sent = match call.typed {
        true => {
            let mut encoded = Vec::new();
            C::encode(&ByteBuf::from(call.input.clone()), &mut encoded).expect("bytes encode");
            encoded.len()
        }
        false => call.input.len(),
    };
    if matches!(err, Error::InputTooLarge { .. }) && sent as u64 <= MAX_INPUT_BYTES {
        return Err(Violation::new(format!(
            "{sent} bytes of input, under the {MAX_INPUT_BYTES}-byte limit, were refused: {}",
            err.report()
        )));
    }
    if let Some(own) = err.host_error()
        && !own.is::<FuzzedFailure>()
    {
        return Err(Violation::new(format!(
            "a host function's own error came back as another: {}",
            err.report()
        )));
    }
    Ok(())
}

/// `Ok` when `allowed`; otherwise the error, where it happened. Its
/// messages are made either way, which must not panic.
fn expect(err: &Error, during: &str, allowed: bool) -> Result<(), Violation> {
    let report = err.report().to_string();
    let _ = (err.to_string(), err.discards_instance());
    match allowed {
        true => Ok(()),
        false => Err(Violation::new(format!(
            "{during} gave an error docs/SECURITY.md does not list there: {report} ({err:?})"
        ))),
    }
}

/// Errors docs/SECURITY.md lists as load errors.
fn is_load_error(err: &Error) -> bool {
    matches!(
        err,
        Error::Compile(_)
            | Error::UnsupportedFeature { .. }
            | Error::LoadLimit { .. }
            | Error::NotAPlugin
            | Error::AbiMismatch { .. }
            | Error::Metadata(_)
            | Error::Instantiate(_)
            | Error::BadExport { .. }
            | Error::MissingHostFunctions { .. }
            | Error::HostFunctionCodecMismatch { .. }
            | Error::HostFunctionTypeMismatch { .. }
            | Error::UnknownImport { .. }
            | Error::CapabilityNotGranted { .. }
    )
}

/// Errors of a start function, which runs as the first call of every
/// instance (docs/ABI.md, "Metadata"), and of making the instance.
fn is_start_error(err: &Error) -> bool {
    matches!(
        err,
        Error::Instantiate(_)
            | Error::Trap { .. }
            | Error::Panic { .. }
            | Error::OutOfFuel { .. }
            | Error::Timeout { .. }
            | Error::MemoryLimit { .. }
            | Error::HostFunction { .. }
    )
}

/// Errors docs/SECURITY.md lists for a call of a plugin without schemas
/// in its own codec, through a `Host`.
fn is_call_error(err: &Error) -> bool {
    matches!(
        err,
        Error::UnknownFunction { .. }
            | Error::Decode { .. }
            | Error::GuestDecode { .. }
            | Error::GuestEncode { .. }
            | Error::InputTooLarge { .. }
            | Error::BadExport { .. }
            | Error::Panic { .. }
            | Error::Trap { .. }
            | Error::OutOfFuel { .. }
            | Error::Timeout { .. }
            | Error::MemoryLimit { .. }
            | Error::BadOutput { .. }
            | Error::OutputTooLarge { .. }
            | Error::GuestAlloc { .. }
            | Error::HostFunction { .. }
    )
}

/// A plugin that keeps the contract, loaded once per codec with the same
/// settings, answers on a fresh instance.
fn well_formed_plugin_answers<C: Codec>() -> Result<(), Violation> {
    static PLUGINS: OnceLock<Mutex<HashMap<&'static str, Plugin<u64>>>> = OnceLock::new();
    let mut answer = Vec::new();
    C::encode(&7u32, &mut answer).expect("7 encodes");
    let plugin = {
        let mut plugins = PLUGINS.get_or_init(Default::default).lock().unwrap();
        if !plugins.contains_key(C::NAME) {
            let plugin = builder::<C>(&Script::new(&[]), true)
                .build(well_formed_module(C::NAME, &answer))
                .map_err(|err| {
                    Violation::new(format!(
                        "a well-formed plugin failed to load: {}",
                        err.report()
                    ))
                })?;
            plugins.insert(C::NAME, plugin);
        }
        plugins[C::NAME].clone()
    };
    let seven = Host::<C, u64>::from_plugin(&plugin)
        .and_then(|mut host| host.call::<(), u32>("good", &()))
        .map_err(|err| {
            Violation::new(format!(
                "after the generated module, a well-formed plugin failed: {}",
                err.report()
            ))
        })?;
    match seven {
        7 => Ok(()),
        other => Err(Violation::new(format!(
            "a well-formed plugin answered {other}, not 7"
        ))),
    }
}

/// A plugin whose function `good` answers `answer`, the encoding of 7.
fn well_formed_module(codec: &str, answer: &[u8]) -> Vec<u8> {
    let data: String = answer.iter().map(|byte| format!("\\{byte:02x}")).collect();
    let mut wasm = wat::parse_str(format!(
        r#"(module
             (memory (export "memory") 1)
             (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
             (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 1024))
             (func (export "__wasmer_plugin_free") (param i32 i32))
             (data (i32.const 64) "{data}")
             (func (export "__wasmer_plugin_fn_good") (param i32 i32) (result i64)
               (i32.store (i32.const 16) (i32.const {len}))
               (i32.store (i32.const 20) (i32.const 0))
               (i32.store (i32.const 24) (i32.const 64))
               (i64.const {direct})))"#,
        len = answer.len(),
        direct = 64 | (answer.len() as u64) << 32,
    ))
    .expect("the well-formed plugin's text");
    let record = FunctionRecord {
        name: "good".into(),
        codec: codec.into(),
        args: "()".into(),
        ret: "u32".into(),
    };
    append_custom_section(
        &mut wasm,
        wasmer_plugin_abi::METADATA_SECTION,
        &record.to_bytes(),
    );
    wasm
}
