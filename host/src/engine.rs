//! The engine a host compiles its plugin with: cranelift, plus the fuel
//! meter when the host has a fuel budget, plus the memory limit.

use std::sync::Arc;

use wasmer::Engine;
use wasmer::sys::{CompilerConfig, Cranelift, EngineBuilder, NativeEngineExt};
use wasmer::wasmparser::Operator;
use wasmer_middlewares::Metering;

use crate::limits::Limits;
use crate::memory_limit::{GrowRefused, LimitingTunables};

/// A fresh engine for one plugin module.
///
/// Fresh because a `Metering` middleware keeps per-module state and panics
/// when it compiles a second module; the engine is cheap next to the
/// compilation it serves.
pub(crate) fn plugin_engine(limits: &Limits, refused: GrowRefused) -> Engine {
    let mut compiler = Cranelift::default();
    if limits.fuel_per_call.is_some() {
        // The budget is set before every call; the initial one is never
        // used.
        compiler.push_middleware(Arc::new(Metering::new(0, fuel_cost)));
    }
    let mut engine: Engine = EngineBuilder::new(compiler).into();
    engine.set_tunables(LimitingTunables::new(limits.max_memory_bytes, refused));
    engine
}

/// One unit of fuel per wasm instruction: simple to explain, and the
/// branch-heavy loops that fuel exists to stop cost what they execute.
fn fuel_cost(_: &Operator) -> u64 {
    1
}
