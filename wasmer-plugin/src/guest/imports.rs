//! The guest's side of a host-function call: encode the arguments into a
//! reusable buffer, call the import, decode the reply the host wrote back
//! into the same buffer (or fetch it when it did not fit).

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_abi::Codec;

/// What a generated host-function wrapper knows about its import, for the
/// guest's panic messages.
pub struct ImportInfo {
    /// The host function's name.
    pub name: &'static str,
    /// Its argument type text, as in the metadata.
    pub args: &'static str,
    /// Its return type text, as in the metadata.
    pub ret: &'static str,
}

/// A host function's import: `(ptr, len, cap) -> reply length`
/// (docs/ABI.md, "Host functions"). On wasm32 it is the C ABI.
pub type HostImport = unsafe extern "C-unwind" fn(u32, u32, u32) -> u32;

/// Calls host function `info.name` through `import` with `args` and
/// decodes its reply as `R`.
///
/// A failure on the guest's side (arguments that do not encode, a reply
/// that does not decode as `R`) panics with a message naming the host
/// function, which ends the plugin call with that message; a host
/// function that fails ends the call from the host's side.
#[cfg(target_arch = "wasm32")]
pub fn call_host<C, A, R>(info: &ImportInfo, import: HostImport, args: &A) -> R
where
    C: Codec,
    A: Serialize + ?Sized,
    R: DeserializeOwned,
{
    guest::call_host::<C, A, R>(info, import, args)
}

/// Outside wasm32 no host provides the import (a native unit test of
/// plugin code that calls a host function): this fails with
/// [`outside_a_plugin`]'s panic before it touches anything, so that test
/// threads calling host functions at once share nothing.
#[cfg(not(target_arch = "wasm32"))]
pub fn call_host<C, A, R>(info: &ImportInfo, import: HostImport, args: &A) -> R
where
    C: Codec,
    A: Serialize + ?Sized,
    R: DeserializeOwned,
{
    let _ = (import, args);
    outside_a_plugin(info)
}

/// What a host-function call does outside a wasm32 plugin, where no host
/// provides its import: a native unit test of plugin code that calls one.
#[cold]
pub fn outside_a_plugin(info: &ImportInfo) -> ! {
    panic!(
        "host function `{}` can only be called from a plugin running in a wasmer-plugin host (wasm32)",
        info.name
    )
}

#[cfg(target_arch = "wasm32")]
mod guest {
    use alloc::vec::Vec;

    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use wasmer_plugin_abi::Codec;

    use super::{HostImport, ImportInfo};
    use crate::guest::cell::GuestCell;

    /// The buffer that carries arguments out and the reply back in. It
    /// lives in a static so that a call does not allocate once the buffer
    /// has grown to the largest message.
    static BUFFER: GuestCell<Vec<u8>> = GuestCell::new(Vec::new());

    /// Room the host gets for its reply at least, so that small replies
    /// come back in the first call.
    const MIN_REPLY_ROOM: usize = 1024;

    /// Buffer capacity kept between calls (as for the output buffer).
    const RETAINED_CAPACITY: usize = 1024 * 1024;

    #[link(wasm_import_module = "wasmer-plugin")]
    unsafe extern "C" {
        #[link_name = "__wasmer_plugin_take_reply"]
        fn take_reply(ptr: u32, len: u32);
    }

    #[inline(always)]
    pub(super) fn call_host<C, A, R>(info: &ImportInfo, import: HostImport, args: &A) -> R
    where
        C: Codec,
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        // Taken out of its static for the call: should an argument's
        // `Serialize` impl call a host function itself, that call finds an
        // empty buffer of its own rather than this one.
        // SAFETY: one thread (see `GuestCell`); the reference lives only
        // for the `take`.
        let mut buffer = core::mem::take(unsafe { &mut *BUFFER.get() });
        buffer.clear();
        if let Err(err) = C::encode(args, &mut buffer) {
            panic!(
                "cannot encode the arguments of host function `{}` as `{}` with {}: {err}",
                info.name,
                info.args,
                C::NAME
            );
        }
        let len = buffer.len();
        buffer.reserve(MIN_REPLY_ROOM.saturating_sub(len));
        let cap = buffer.capacity();
        // Addresses and lengths are 32-bit on wasm32.
        let ptr = buffer.as_mut_ptr() as usize as u32;
        // SAFETY: the host reads the `len` initialized bytes at `ptr` and
        // writes at most `cap` bytes from `ptr`, all of them the buffer's
        // (docs/ABI.md); it calls nothing of the guest's meanwhile.
        let reply_len = unsafe { import(ptr, len as u32, cap as u32) } as usize;
        if reply_len <= cap {
            // SAFETY: the host wrote its `reply_len`-byte reply at `ptr`,
            // within the capacity (docs/ABI.md).
            unsafe { buffer.set_len(reply_len) };
        } else {
            buffer.clear();
            buffer.reserve(reply_len);
            // SAFETY: the buffer has room for `reply_len` bytes, which the
            // host copies there before returning (docs/ABI.md).
            unsafe {
                take_reply(buffer.as_mut_ptr() as usize as u32, reply_len as u32);
                buffer.set_len(reply_len);
            }
        }
        let reply = C::decode::<R>(&buffer).unwrap_or_else(|err| {
            panic!(
                "cannot decode the reply of host function `{}` as `{}` with {}: {err}",
                info.name,
                info.ret,
                C::NAME
            )
        });
        if buffer.capacity() <= RETAINED_CAPACITY {
            // SAFETY: as above; no other reference to the static is alive
            // (a nested call put its own buffer back before returning, and
            // this replaces it).
            unsafe { *BUFFER.get() = buffer };
        }
        reply
    }
}
