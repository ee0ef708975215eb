//! Panic capture. `wasm32-unknown-unknown` aborts on panic and the host
//! only sees an `unreachable` trap, so the message must be recorded in the
//! slot before the abort.

/// Longest panic message kept; the rest is cut so that a runaway message
/// cannot exhaust the guest's memory while it dies.
#[cfg(target_arch = "wasm32")]
const MAX_PANIC_MESSAGE: usize = 16 * 1024;

/// Records a panic message where the host will find it after the trap, so
/// that the host reports `Error::Panic` with this text instead of a bare
/// `unreachable` trap.
///
/// With the `std` feature (the default) the guest runtime installs a panic
/// hook that calls this for you. A `no_std` plugin calls it from its own
/// panic handler before aborting:
///
/// ```ignore
/// #[panic_handler]
/// fn panic(info: &core::panic::PanicInfo) -> ! {
///     if let Some(at) = info.location() {
///         wasmer_plugin::record_panic(&format_args!("{at}: {}", info.message()));
///     }
///     core::arch::wasm32::unreachable()
/// }
/// ```
///
/// The convention, which the host's message relies on, is
/// `file:line:column: message`.
///
/// It does nothing outside a wasm32 guest, where no host reads the slot,
/// and nothing when called again while it runs (a panic inside the
/// message's `Display`).
pub fn record_panic(message: &dyn core::fmt::Display) {
    #[cfg(target_arch = "wasm32")]
    guest::record(message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = message;
}

#[cfg(target_arch = "wasm32")]
mod guest {
    use alloc::vec::Vec;
    use core::sync::atomic::{AtomicBool, Ordering};

    use wasmer_plugin_abi::Status;

    use super::MAX_PANIC_MESSAGE;
    use crate::guest::cell::GuestCell;
    use crate::guest::message::{truncate_utf8, write_message};
    use crate::guest::slot::publish;

    static PANIC_MESSAGE: GuestCell<Vec<u8>> = GuestCell::new(Vec::new());

    /// Set while a message is being recorded.
    static RECORDING: AtomicBool = AtomicBool::new(false);

    pub(super) fn record(message: &dyn core::fmt::Display) {
        if RECORDING.swap(true, Ordering::Acquire) {
            return;
        }
        // SAFETY: one thread (see `GuestCell`), and `RECORDING` keeps a
        // nested panic (in the message's `Display`) from reaching here
        // while `buf` is borrowed.
        let buf = unsafe { &mut *PANIC_MESSAGE.get() };
        buf.clear();
        write_message(buf, format_args!("{message}"));
        truncate_utf8(buf, MAX_PANIC_MESSAGE);
        publish(buf.as_ptr(), buf.len(), Status::Panic);
        RECORDING.store(false, Ordering::Release);
    }
}

/// Installs the panic hook once, on the guest's first call.
#[cfg(all(feature = "std", target_arch = "wasm32"))]
pub(super) fn install_hook() {
    use core::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    // A load on every call, a store once.
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
        std::panic::set_hook(alloc::boxed::Box::new(|info| {
            // `file:line:column: message`, without std's "panicked at"
            // prefix: the host's error supplies its own wording.
            let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
            match info.location() {
                Some(at) => record_panic(&format_args!("{at}: {message}")),
                None => record_panic(&message),
            }
        }));
    }
}

/// Natively the test harness owns the panic hook, and without `std` the
/// plugin's `#[panic_handler]` calls [`record_panic`] itself.
#[cfg(not(all(feature = "std", target_arch = "wasm32")))]
pub(super) fn install_hook() {}
