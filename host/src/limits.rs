/// Bounds a host puts on what crosses into and out of a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_input_bytes: u64,
    pub(crate) max_output_bytes: u64,
}

/// Default for both limits: 64 MiB, far above ordinary payloads and far
/// below wasm32's 4 GiB address space.
pub(crate) const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: DEFAULT_MAX_BYTES,
            max_output_bytes: DEFAULT_MAX_BYTES,
        }
    }
}
