//! The engine a plugin is compiled with: cranelift with the wasm features
//! plugins may use, the middlewares the limits need (fuel meter, interrupt
//! check, deferred start), and the memory budget of one instance.

use std::sync::Arc;

use wasmer::sys::{CompilerConfig, Cranelift, EngineBuilder, NativeEngineExt};
use wasmer::{CompileError, Engine, Module};

use crate::Error;
use crate::defer_start::DeferStart;
use crate::features::{plugin_features, refused_feature};
use crate::limits::{FuelMeter, InstanceBudget, InterruptCheck, LimitingTunables, Limits};

/// Versions of the code our middlewares insert: part of the cache key, so
/// bump one when its middleware changes what it emits.
const FUEL_METER_VERSION: u32 = 1;
const INTERRUPT_CHECK_VERSION: u32 = 2;
const DEFER_START_VERSION: u32 = 1;

/// A fresh engine for one plugin module.
///
/// Fresh because each middleware keeps per-module state and panics when it
/// compiles a second module, and the tunables carry this module's memory
/// budget. Every instance of the plugin shares it, and its compiled code.
pub(crate) fn plugin_engine(limits: &Limits, budget: InstanceBudget) -> Engine {
    let mut compiler = Cranelift::default();
    // Always, so that a start function runs the same way whatever the
    // limits: as the host's first call of each instance, its host calls
    // given the instance's state.
    compiler.push_middleware(Arc::new(DeferStart));
    if limits.fuel_per_call.is_some() {
        compiler.push_middleware(Arc::new(FuelMeter::new()));
    }
    if limits.timeout.is_some() {
        // Last: its flag must be the module's last global (see `timeout`).
        compiler.push_middleware(Arc::new(InterruptCheck::new()));
    }
    let mut engine: Engine = EngineBuilder::new(compiler)
        .set_features(Some(plugin_features()))
        .into();
    engine.set_tunables(LimitingTunables::new(budget));
    engine
}

/// Compiles `wasm`, naming the refused feature when that is why it fails.
pub(crate) fn compile(engine: &Engine, wasm: &[u8]) -> Result<Module, Error> {
    Module::new(engine, wasm).map_err(|err| match &err {
        CompileError::Validate(message) => match refused_feature(wasm) {
            Some(feature) => Error::UnsupportedFeature {
                feature,
                message: message.clone(),
            },
            None => Error::Compile(err),
        },
        _ => Error::Compile(err),
    })
}

/// Everything besides the wasm bytes that a compiled artifact of `engine`
/// depends on, in words: what wasmer version and compiler made it, for
/// which CPU, with which features, middlewares, memory limits and code
/// limits.
pub(crate) fn artifact_dependencies(
    engine: &Engine,
    limits: &Limits,
    budget: InstanceBudget,
) -> String {
    let target = engine.target();
    let mut cpu_features: Vec<String> = target
        .cpu_features()
        .iter()
        .map(|feature| feature.to_string())
        .collect();
    cpu_features.sort();
    let on = |on: bool, version: u32| {
        if on {
            format!("v{version}")
        } else {
            "off".to_owned()
        }
    };
    format!(
        "wasmer: {wasmer}\n\
         compiler: {compiler}\n\
         target: {triple} [{cpu_features}]\n\
         features: {features:?}\n\
         middlewares: defer-start {start}, fuel meter {fuel}, interrupt check {interrupt}\n\
         memory: max_memory_bytes {max_memory} ({pages} pages), table limit {tables}\n\
         code limits met: max_functions {functions}, max_function_bytes {function_bytes}, \
         max_control_blocks {blocks}, max_calls {calls}\n\
         wasmer-plugin: abi {abi}, host {host}\n",
        wasmer = wasmer::sys::vm::VERSION,
        compiler = engine.deterministic_id(),
        triple = target.triple(),
        cpu_features = cpu_features.join(","),
        features = plugin_features(),
        // Every engine has it (see `plugin_engine`).
        start = on(true, DEFER_START_VERSION),
        fuel = on(limits.fuel_per_call.is_some(), FUEL_METER_VERSION),
        interrupt = on(limits.timeout.is_some(), INTERRUPT_CHECK_VERSION),
        max_memory = limits.max_memory_bytes,
        pages = budget.memory_pages.0,
        tables = crate::limits::MAX_TABLE_ELEMENTS,
        // A hit skips the code check (see `cache::checked_compile`).
        functions = limits.max_functions,
        function_bytes = limits.max_function_bytes,
        blocks = limits.max_control_blocks,
        calls = limits.max_calls,
        abi = wasmer_plugin_abi::ABI_VERSION,
        host = env!("CARGO_PKG_VERSION"),
    )
}
