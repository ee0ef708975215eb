//! The engine a host compiles its plugin with: cranelift with the wasm
//! features plugins may use, the fuel meter when the host has a fuel
//! budget, and the memory budget of one instance.

use std::sync::Arc;

use wasmer::sys::{CompilerConfig, Cranelift, EngineBuilder, NativeEngineExt};
use wasmer::{CompileError, Engine, Module};

use crate::Error;
use crate::features::{plugin_features, refused_feature};
use crate::fuel::FuelMeter;
use crate::limits::Limits;
use crate::memory_limit::{GrowRefused, InstanceBudget, LimitingTunables};

/// A fresh engine for one plugin module.
///
/// Fresh because the fuel meter keeps per-module state and panics when it
/// compiles a second module, and the tunables carry this module's memory
/// budget; the engine is cheap next to the compilation it serves.
pub(crate) fn plugin_engine(
    limits: &Limits,
    budget: InstanceBudget,
    refused: GrowRefused,
) -> Engine {
    let mut compiler = Cranelift::default();
    if let Some(budget) = limits.fuel_per_call {
        compiler.push_middleware(Arc::new(FuelMeter::new(budget)));
    }
    let mut engine: Engine = EngineBuilder::new(compiler)
        .set_features(Some(plugin_features()))
        .into();
    engine.set_tunables(LimitingTunables::new(budget, refused));
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
