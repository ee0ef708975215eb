//! A compiler middleware that keeps instantiation from running the
//! module's start function and exports it instead, so that the host runs
//! it as a call: under the fuel budget and the deadline, which can only
//! stop code the host called, with the instance's state lent to the host
//! functions it calls, and with the same errors as a call. Every plugin
//! engine has it, limits or none, so that a start function behaves the
//! same under any of them.

use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::wasmparser::Operator;
use wasmer::{ExportIndex, LocalFunctionIndex, ModuleInfo};

/// The export under which a deferred start function is run.
pub(crate) const START_EXPORT: &str = "__wasmer_plugin_start";

/// How errors name a module's start function, which has no plugin name.
pub(crate) const START_FUNCTION: &str = "(start function)";

#[derive(Debug)]
pub(crate) struct DeferStart;

impl ModuleMiddleware for DeferStart {
    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        Box::new(Unchanged)
    }

    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        if let Some(start) = info.start_function.take() {
            info.exports
                .insert(START_EXPORT.into(), ExportIndex::Function(start));
        }
        Ok(())
    }
}

/// Function bodies are left as they are.
#[derive(Debug)]
struct Unchanged;

impl<'a> FunctionMiddleware<'a> for Unchanged {
    fn feed(
        &mut self,
        operator: Operator<'a>,
        state: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        state.push_operator(operator);
        Ok(())
    }
}
