//! The bounds a host puts on a plugin. Each limit's file holds its
//! default (a public `const`), its setter on [`Builder`](crate::Builder)
//! and the code that enforces it at load or compiles it in; `running`
//! holds what they do to an instance while it runs (arming the fuel and
//! the deadline, telling a limit's trap from another, charging and
//! checking host-function calls).

mod added_globals;
mod code_shape;
mod fresh_instance;
mod fuel;
mod input;
mod memory;
mod module_size;
mod output;
mod running;
mod timeout;

use std::time::Duration;

pub(crate) use code_shape::{CodeLimits, CodeShape};
pub use code_shape::{
    DEFAULT_MAX_CALLS, DEFAULT_MAX_CONTROL_BLOCKS, DEFAULT_MAX_FUNCTION_BYTES,
    DEFAULT_MAX_FUNCTIONS,
};
pub use fresh_instance::DEFAULT_FRESH_INSTANCE_PER_CALL;
pub(crate) use fresh_instance::keeps_instance;
pub use fuel::DEFAULT_FUEL_PER_CALL;
pub(crate) use fuel::FuelMeter;
pub use input::DEFAULT_MAX_INPUT_BYTES;
pub(crate) use input::check_input;
pub use memory::DEFAULT_MAX_MEMORY_BYTES;
pub(crate) use memory::{InstanceBudget, LimitingTunables, MAX_TABLE_ELEMENTS, TableNeed};
#[cfg(feature = "async")]
pub(crate) use memory::{restore_grow_refused, take_grow_refused};
pub use module_size::{DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_MODULE_BYTES};
pub(crate) use module_size::{check_file_size, check_module_size};
pub use output::DEFAULT_MAX_OUTPUT_BYTES;
pub(crate) use output::check_output;
pub(crate) use running::{HostCallLimits, HostCallStop, InstanceLimits, Stop, limit_trap};
#[cfg(feature = "async")]
pub(crate) use timeout::Canceller;
pub use timeout::DEFAULT_TIMEOUT;
pub(crate) use timeout::{InterruptCheck, take_interrupt_flag};

/// Every limit of one plugin, as the builder set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_input_bytes: u64,
    pub(crate) max_output_bytes: u64,
    pub(crate) max_memory_bytes: u64,
    pub(crate) fuel_per_call: Option<u64>,
    pub(crate) max_module_bytes: u64,
    pub(crate) max_file_bytes: u64,
    pub(crate) max_functions: u32,
    pub(crate) max_function_bytes: u32,
    pub(crate) max_control_blocks: u64,
    pub(crate) max_calls: u64,
    pub(crate) timeout: Option<Duration>,
    pub(crate) fresh_instance_per_call: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            fuel_per_call: DEFAULT_FUEL_PER_CALL,
            max_module_bytes: DEFAULT_MAX_MODULE_BYTES,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_functions: DEFAULT_MAX_FUNCTIONS,
            max_function_bytes: DEFAULT_MAX_FUNCTION_BYTES,
            max_control_blocks: DEFAULT_MAX_CONTROL_BLOCKS,
            max_calls: DEFAULT_MAX_CALLS,
            timeout: DEFAULT_TIMEOUT,
            fresh_instance_per_call: DEFAULT_FRESH_INSTANCE_PER_CALL,
        }
    }
}

impl Limits {
    /// The bounds of the module's code.
    pub(crate) fn code(&self) -> CodeLimits {
        CodeLimits {
            max_functions: self.max_functions,
            max_function_bytes: self.max_function_bytes,
            max_control_blocks: self.max_control_blocks,
            max_calls: self.max_calls,
        }
    }
}
