//! The body of every generated schema export: describe the function's
//! argument and return types (docs/ABI.md, "Schemas") and hand the bytes
//! to the host through the output buffer.

use alloc::format;
use alloc::string::String;
use core::marker::PhantomData;

use serde::Deserialize;
use wasmer_plugin_abi::{FunctionSchema, Layout, Schema, trace_type};

/// A type to describe. The attribute calls `schema` on a reference to
/// one with both traits below in scope: for a type that implements
/// `Deserialize` method resolution picks [`TraceDeserialize`] (it needs
/// no extra reference), for any other [`TraceUntraceable`], which says so.
pub struct TypeProbe<T: ?Sized>(PhantomData<fn() -> *const T>);

impl<T: ?Sized> TypeProbe<T> {
    /// The probe of `T`.
    pub const fn new() -> Self {
        TypeProbe(PhantomData)
    }
}

impl<T: ?Sized> Default for TypeProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Traces a type through its `Deserialize`.
pub trait TraceDeserialize {
    /// The schema of the probed type in a codec of `layout`.
    fn schema(&self, layout: Layout) -> Result<Schema, String>;
}

impl<T: Deserialize<'static>> TraceDeserialize for TypeProbe<T> {
    fn schema(&self, layout: Layout) -> Result<Schema, String> {
        trace_type::<T>(layout)
    }
}

/// The answer for a type without `Deserialize` (a return type that is
/// only `Serialize`): it cannot be described, so it is not checked.
pub trait TraceUntraceable {
    /// Why the probed type has no schema.
    fn schema(&self, layout: Layout) -> Result<Schema, String>;
}

impl<T: ?Sized> TraceUntraceable for &TypeProbe<T> {
    fn schema(&self, _: Layout) -> Result<Schema, String> {
        Err(format!(
            "`{}` implements `Serialize` but not `Deserialize`, which describing a type needs",
            core::any::type_name::<T>()
        ))
    }
}

/// The body of a generated schema export: `describe` builds the schema,
/// whose bytes become the output with status `Ok`.
///
/// Outside wasm32 this panics, as [`run_export`](super::run_export) does.
///
/// # Safety
/// No other call into the runtime may be running.
pub unsafe fn run_schema(describe: impl FnOnce() -> FunctionSchema) -> *const u8 {
    #[cfg(target_arch = "wasm32")]
    {
        crate::guest::panic::install_hook();
        let bytes = describe().to_bytes();
        // SAFETY: the caller's contract, forwarded.
        unsafe { super::exports::publish_output(&bytes) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = describe;
        panic!("plugin exports run only inside a wasm32 guest, called by a wasmer-plugin host")
    }
}
