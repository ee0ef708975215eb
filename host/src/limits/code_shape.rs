//! What makes compiling a module expensive, bounded before it compiles:
//! the number of functions (`max_functions`), the size of one function
//! body (`max_function_bytes`), and the number of control-flow blocks
//! (`max_control_blocks`) and of calls (`max_calls`) in the whole module.
//! Checked while the sections are read (see `module_shape`), each as soon
//! as it is passed, so a refused module costs one partial pass over its
//! bytes.
//!
//! Why these: compilation time and memory follow the functions, blocks and
//! calls cranelift makes of the code, not its bytes (docs/SECURITY.md,
//! "Loading", measured with the security probe): an empty function, a
//! `block` or a `call` costs microseconds and a kilobyte or more to
//! compile, so a few megabytes of them cost seconds to tens of seconds and
//! gigabytes, where the same bytes of straight-line code cost a tenth of
//! a second. A function body is compiled on one thread, so its size
//! bounds the longest step that no other core can share.

use wasmer::wasmparser::{FunctionBody, Operator};

use crate::{Builder, Error};

/// Default for [`Builder::max_functions`]: 50,000 functions, eight times
/// the most in the plugins measured (6,300, a debug build of the json
/// test plugin; docs/SECURITY.md).
pub const DEFAULT_MAX_FUNCTIONS: u32 = 50_000;

/// Default for [`Builder::max_function_bytes`]: 1 MiB for one function
/// body, sixty times the largest in the plugins measured (17 KB).
pub const DEFAULT_MAX_FUNCTION_BYTES: u32 = 1 << 20;

/// Default for [`Builder::max_control_blocks`]: 250,000 `block`, `loop`
/// and `if` instructions in the whole module, nine times the most in the
/// plugins measured (26,614, the benchmark plugin).
pub const DEFAULT_MAX_CONTROL_BLOCKS: u64 = 250_000;

/// Default for [`Builder::max_calls`]: 100,000 `call` and
/// `call_indirect` instructions in the whole module, six times the most
/// in the plugins measured (15,945, the debug json plugin).
pub const DEFAULT_MAX_CALLS: u64 = 100_000;

impl<O: crate::builder::Target> Builder<O> {
    /// The most functions a plugin module may define (imports aside); a
    /// module with more is [`Error::LoadLimit`] before anything is
    /// compiled. Each function costs the compiler several microseconds and
    /// about a kilobyte even when empty. Default [`DEFAULT_MAX_FUNCTIONS`].
    pub fn max_functions(mut self, functions: u32) -> Self {
        self.limits.max_functions = functions;
        self
    }

    /// The largest body (locals and code) one function of a plugin module
    /// may have, in bytes; a module with a larger one is
    /// [`Error::LoadLimit`] before anything is compiled. One function is
    /// compiled on one thread. Default [`DEFAULT_MAX_FUNCTION_BYTES`].
    pub fn max_function_bytes(mut self, bytes: u32) -> Self {
        self.limits.max_function_bytes = bytes;
        self
    }

    /// The most control-flow blocks (`block`, `loop` and `if`
    /// instructions) a plugin module may hold in all its functions; a
    /// module with more is [`Error::LoadLimit`] before anything is
    /// compiled. Each costs the compiler microseconds and about a
    /// kilobyte, whatever their nesting. Default
    /// [`DEFAULT_MAX_CONTROL_BLOCKS`].
    pub fn max_control_blocks(mut self, blocks: u64) -> Self {
        self.limits.max_control_blocks = blocks;
        self
    }

    /// The most call instructions (`call` and `call_indirect`) a plugin
    /// module may hold in all its functions; a module with more is
    /// [`Error::LoadLimit`] before anything is compiled. Each costs the
    /// compiler several microseconds and more than a kilobyte, the most of
    /// any instruction measured. Default [`DEFAULT_MAX_CALLS`].
    pub fn max_calls(mut self, calls: u64) -> Self {
        self.limits.max_calls = calls;
        self
    }
}

/// The bounds of one module's code, as the builder set them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeLimits {
    pub(crate) max_functions: u32,
    pub(crate) max_function_bytes: u32,
    pub(crate) max_control_blocks: u64,
    pub(crate) max_calls: u64,
}

/// What the code of a module holds so far, checked against its limits as
/// the sections are read.
pub(crate) struct CodeShape {
    limits: CodeLimits,
    /// Function bodies read so far.
    bodies: u32,
    control_blocks: u64,
    calls: u64,
}

impl CodeShape {
    pub(crate) fn new(limits: CodeLimits) -> CodeShape {
        CodeShape {
            limits,
            bodies: 0,
            control_blocks: 0,
            calls: 0,
        }
    }

    /// The function section declares `count` functions.
    pub(crate) fn functions(&self, count: u32) -> Result<(), Error> {
        let limit = self.limits.max_functions;
        if count > limit {
            return Err(Error::LoadLimit {
                limit: "max_functions",
                reason: format!("the module defines {count} functions, over the limit of {limit}"),
            });
        }
        Ok(())
    }

    /// Reads the next function body, `malformed` turning a reader error
    /// into the error loading gives.
    pub(crate) fn body(
        &mut self,
        body: &FunctionBody<'_>,
        malformed: impl Fn(wasmer::wasmparser::BinaryReaderError) -> Error,
    ) -> Result<(), Error> {
        let index = self.bodies;
        self.bodies += 1;
        let range = body.range();
        let len = range.end - range.start;
        let limit = self.limits.max_function_bytes;
        if len > u64::from(limit) {
            return Err(Error::LoadLimit {
                limit: "max_function_bytes",
                reason: format!(
                    "function {index} of the code section has a {len}-byte body, over the {limit}-byte limit"
                ),
            });
        }
        let mut operators = body.get_operators_reader().map_err(&malformed)?;
        while !operators.eof() {
            let (count, limit, name, what) = match operators.read().map_err(&malformed)? {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => (
                    &mut self.control_blocks,
                    self.limits.max_control_blocks,
                    "max_control_blocks",
                    "control-flow blocks (`block`, `loop` and `if`)",
                ),
                Operator::Call { .. } | Operator::CallIndirect { .. } => (
                    &mut self.calls,
                    self.limits.max_calls,
                    "max_calls",
                    "calls (`call` and `call_indirect`)",
                ),
                _ => continue,
            };
            *count += 1;
            if *count > limit {
                return Err(Error::LoadLimit {
                    limit: name,
                    reason: format!(
                        "the module holds more than {limit} {what}: function {index} of the code section passes the limit"
                    ),
                });
            }
        }
        Ok(())
    }
}
