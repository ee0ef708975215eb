//! The guest's side of a call: allocator exports, the slot, the output
//! buffer, and the body every plugin export runs.

use alloc::alloc::{Layout, alloc, dealloc};
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt::Write as _;
use core::ptr::NonNull;

use serde::Serialize;

use crate::codec::Codec;
use crate::contract::{GUEST_ALIGN, Slot, Status};

/// A static only the guest's one thread touches.
///
/// `wasm32-unknown-unknown` runs a module on a single thread and the host
/// calls one export at a time, so no two accesses overlap. On other targets
/// the statics exist only so that plugin crates type-check and unit-test
/// natively; nothing there calls the exports.
pub(super) struct GuestCell<T>(UnsafeCell<T>);

// SAFETY: see the type's documentation: a guest has one thread and the
// runtime never holds a reference across a call into user code that could
// re-enter it.
unsafe impl<T> Sync for GuestCell<T> {}

impl<T> GuestCell<T> {
    pub(super) const fn new(value: T) -> Self {
        GuestCell(UnsafeCell::new(value))
    }

    pub(super) fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// The slot the host finds through the `__wasmer_plugin_slot` export.
#[cfg_attr(target_arch = "wasm32", unsafe(export_name = "__wasmer_plugin_slot"))]
pub(super) static SLOT: GuestCell<Slot> = GuestCell::new(Slot {
    len: 0,
    status: 0,
    ptr: 0,
});

/// The output of the last call. It stays valid until the next call into
/// the guest, which is all the host needs to copy or decode it.
static OUTPUT: GuestCell<Vec<u8>> = GuestCell::new(Vec::new());

/// Output capacity kept between calls; a larger buffer is released at the
/// start of the next call so that one huge answer does not pin its memory.
/// Answers up to this size reuse the buffer without growing it again
/// (a 64 KiB byte buffer and its length prefix are just over 64 KiB).
const RETAINED_OUTPUT_CAPACITY: usize = 1024 * 1024;

/// Records the outcome of a call where the host will look for it.
pub(super) fn publish(ptr: *const u8, len: usize, status: Status) -> *const u8 {
    let slot = Slot {
        // Addresses and lengths are 32-bit on wasm32, the only target
        // where a host reads the slot.
        len: len as u32,
        status: status.code(),
        ptr: ptr as usize as u32,
    };
    // SAFETY: single-threaded guest (see `GuestCell`); no reference to the
    // slot is alive.
    unsafe { SLOT.get().write(slot) };
    ptr
}

/// `__wasmer_plugin_alloc`: `len` bytes aligned to `GUEST_ALIGN`, or null.
#[cfg_attr(target_arch = "wasm32", unsafe(export_name = "__wasmer_plugin_alloc"))]
pub extern "C" fn guest_alloc(len: usize) -> *mut u8 {
    super::panic::install_hook();
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
/// into the retained output buffer, whose address is returned and whose
/// length and status go to the slot.
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
) -> *const u8
where
    C: Codec,
    R: Serialize,
    F: FnOnce(&[u8]) -> Result<R, C::Error>,
{
    super::panic::install_hook();
    let input: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: the caller guarantees `len` readable bytes at `input`.
        unsafe { core::slice::from_raw_parts(input, len) }
    };
    let outcome = call(input);

    // SAFETY: single-threaded guest (see `GuestCell`). The user's function
    // has returned, and serializing its value cannot call back into an
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
    publish(out.as_ptr(), out.len(), status)
}

pub(super) fn write_message(out: &mut Vec<u8>, args: core::fmt::Arguments<'_>) {
    struct Bytes<'a>(&'a mut Vec<u8>);
    impl core::fmt::Write for Bytes<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    // Writing into a Vec cannot fail; a failing Display impl leaves a
    // shorter message, which is still better than none.
    let _ = Bytes(out).write_fmt(args);
}
