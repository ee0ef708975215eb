//! The guest's side of a call: the allocator exports, the output buffer,
//! and the body every plugin export runs.

use alloc::alloc::{Layout, alloc, dealloc};
use core::ptr::NonNull;

use serde::Serialize;
use wasmer_plugin_abi::{Codec, GUEST_ALIGN};

/// `__wasmer_plugin_alloc`: `len` bytes aligned to `GUEST_ALIGN`, or null.
#[cfg_attr(target_arch = "wasm32", unsafe(export_name = "__wasmer_plugin_alloc"))]
pub extern "C" fn guest_alloc(len: usize) -> *mut u8 {
    super::panic::install_hook();
    super::log_records::install();
    if len == 0 {
        return NonNull::<u64>::dangling().as_ptr().cast();
    }
    match Layout::from_size_align(len, GUEST_ALIGN) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc(layout) },
        Err(_) => core::ptr::null_mut(),
    }
}

/// `__wasmer_plugin_free`: releases a buffer from [`guest_alloc`].
///
/// # Safety
/// `ptr` and `len` must come from one earlier `guest_alloc(len)` call whose
/// buffer was not freed yet.
#[cfg_attr(target_arch = "wasm32", unsafe(export_name = "__wasmer_plugin_free"))]
pub unsafe extern "C" fn guest_free(ptr: *mut u8, len: usize) {
    if len == 0 || ptr.is_null() {
        return;
    }
    // SAFETY: the caller passes a live buffer from `guest_alloc(len)`, whose
    // layout this is (it was valid then, so it is valid now).
    unsafe { dealloc(ptr, Layout::from_size_align_unchecked(len, GUEST_ALIGN)) }
}

/// The type texts of a plugin function, for the guest's error messages.
pub struct FunctionInfo {
    /// Its argument type text, as in the metadata.
    pub args: &'static str,
    /// Its return type text, as in the metadata.
    pub ret: &'static str,
}

/// The body of every generated export: decode, call, encode, publish.
///
/// `call` decodes the arguments from the input and runs the user's
/// function; its error is a decoding failure. The return value is encoded
/// into the retained output buffer, whose address, length and status go
/// to the slot; the address and length are returned too, as a
/// [`DirectReply`](wasmer_plugin_abi::DirectReply), when the status is
/// `Ok`.
///
/// Outside wasm32 nothing calls an export (the generated ones are not
/// even exported there); this panics without touching any guest state.
///
/// # Safety
/// `input` must point to `len` readable bytes that stay untouched until
/// this returns (the host's input buffer), or `len` must be 0. No other
/// call into the runtime may be running.
pub unsafe fn run_export<C, R, F>(
    function: &FunctionInfo,
    input: *const u8,
    len: usize,
    call: F,
) -> u64
where
    C: Codec,
    R: Serialize,
    F: FnOnce(&[u8]) -> Result<R, C::Error>,
{
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: the caller's contract, forwarded.
        unsafe { output::run::<C, R, F>(function, input, len, call) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (function, input, len, call);
        panic!("plugin exports run only inside a wasm32 guest, called by a wasmer-plugin host")
    }
}

/// Makes `bytes` the output of the running export, with status `Ok`, and
/// returns its address.
///
/// # Safety
/// No other call into the runtime may be running.
#[cfg(target_arch = "wasm32")]
pub(super) unsafe fn publish_output(bytes: &[u8]) -> *const u8 {
    // SAFETY: the caller's contract, forwarded.
    unsafe { output::publish_bytes(bytes) }
}

#[cfg(target_arch = "wasm32")]
mod output {
    use alloc::vec::Vec;

    use serde::Serialize;
    use wasmer_plugin_abi::{Codec, Status};

    use super::FunctionInfo;
    use crate::guest::cell::GuestCell;
    use crate::guest::message::write_message;
    use crate::guest::slot::{publish, publish_reply};

    /// The output of the last call. It stays valid until the next call
    /// into the guest, which is all the host needs to copy or decode it.
    static OUTPUT: GuestCell<Vec<u8>> = GuestCell::new(Vec::new());

    /// Output capacity kept between calls; a larger buffer is released at
    /// the start of the next call so that one huge answer does not pin its
    /// memory. Answers up to this size reuse the buffer without growing it
    /// again (a 64 KiB byte buffer and its length prefix are just over
    /// 64 KiB).
    const RETAINED_OUTPUT_CAPACITY: usize = 1024 * 1024;

    /// Copies `bytes` into the output buffer and publishes them.
    ///
    /// # Safety
    /// No other call into the runtime may be running.
    pub(super) unsafe fn publish_bytes(bytes: &[u8]) -> *const u8 {
        // SAFETY: one thread (see `GuestCell`), and no other call is
        // running (the caller's contract), so this is the only reference.
        let out = unsafe { &mut *OUTPUT.get() };
        if out.capacity() > RETAINED_OUTPUT_CAPACITY {
            *out = Vec::new();
        }
        out.clear();
        out.extend_from_slice(bytes);
        publish(out.as_ptr(), out.len(), Status::Ok)
    }

    /// [`run_export`](super::run_export) in a guest. Always inlined, as
    /// `run_export` was before it had a native body: out of line, every
    /// plugin call paid a call and lost the optimizations across it (5 %
    /// of a small call's time, measured interleaved).
    ///
    /// # Safety
    /// As for `run_export`.
    #[inline(always)]
    pub(super) unsafe fn run<C, R, F>(
        function: &FunctionInfo,
        input: *const u8,
        len: usize,
        call: F,
    ) -> u64
    where
        C: Codec,
        R: Serialize,
        F: FnOnce(&[u8]) -> Result<R, C::Error>,
    {
        crate::guest::panic::install_hook();
        let input: &[u8] = if len == 0 {
            &[]
        } else {
            // SAFETY: the caller guarantees `len` readable bytes at `input`.
            unsafe { core::slice::from_raw_parts(input, len) }
        };
        let outcome = call(input);

        // SAFETY: one thread (see `GuestCell`). The user's function has
        // returned, and serializing its value cannot call back into an
        // export, so this is the only reference to the buffer.
        let out = unsafe { &mut *OUTPUT.get() };
        if out.capacity() > RETAINED_OUTPUT_CAPACITY {
            *out = Vec::new();
        }
        out.clear();
        let status = match outcome {
            Ok(value) => match C::encode(&value, out) {
                Ok(()) => Status::Ok,
                Err(err) => {
                    out.clear();
                    write_message(
                        out,
                        format_args!("cannot encode `{}` with {}: {err}", function.ret, C::NAME),
                    );
                    Status::EncodeError
                }
            },
            Err(err) => {
                write_message(
                    out,
                    format_args!("cannot decode `{}` with {}: {err}", function.args, C::NAME),
                );
                Status::DecodeError
            }
        };
        publish_reply(out.as_ptr(), out.len(), status)
    }
}
