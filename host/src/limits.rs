/// Bounds a host puts on a plugin: what crosses into and out of it, its
/// memory, and the work one call may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_input_bytes: u64,
    pub(crate) max_output_bytes: u64,
    pub(crate) max_memory_bytes: u64,
    pub(crate) fuel_per_call: Option<u64>,
    pub(crate) max_module_bytes: u64,
}

/// Default for the input and output limits: 64 MiB, far above ordinary
/// payloads and far below wasm32's 4 GiB address space.
pub(crate) const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Default memory limit per plugin instance: 512 MiB, room for the
/// default input and output several times over.
pub(crate) const DEFAULT_MAX_MEMORY_BYTES: u64 = 512 * 1024 * 1024;

/// Default for the size of a plugin module: 8 MiB. Release builds of
/// Rust plugins take a few hundred KiB to a few MiB; compiling grows with
/// the module, and 8 MiB of the costliest code measured takes seconds and
/// about 2 GiB to compile (docs/SECURITY.md).
pub(crate) const DEFAULT_MAX_MODULE_BYTES: u64 = 8 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: DEFAULT_MAX_BYTES,
            max_output_bytes: DEFAULT_MAX_BYTES,
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            fuel_per_call: None,
            max_module_bytes: DEFAULT_MAX_MODULE_BYTES,
        }
    }
}
