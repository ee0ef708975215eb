//! The one kind of static the guest runtime keeps.

use core::cell::UnsafeCell;

/// A static that only the guest's one thread touches.
///
/// It exists only on wasm32, and the runtime refuses to build for wasm32
/// with the `atomics` target feature (see the module's `compile_error!`):
/// without it `wasm32-unknown-unknown` has one thread, so no two threads
/// ever reach a cell. Every access takes the pointer from [`get`], and
/// each says why no other reference to the value is alive at that point
/// (a host calls one export at a time, and the runtime never holds a
/// reference across a call into code that could re-enter it).
///
/// [`get`]: GuestCell::get
pub(super) struct GuestCell<T>(UnsafeCell<T>);

// SAFETY: `Sync` lets any thread reach the cell and, through `get`, its
// value, which is what `T: Send` allows for a value handed out by `&mut`
// (as for `Mutex<T>`). Only one thread exists where the type is compiled:
// wasm32 without atomics (see the type's documentation).
unsafe impl<T: Send> Sync for GuestCell<T> {}

impl<T> GuestCell<T> {
    pub(super) const fn new(value: T) -> Self {
        GuestCell(UnsafeCell::new(value))
    }

    /// The value's address; dereferencing it is the caller's to justify.
    pub(super) fn get(&self) -> *mut T {
        self.0.get()
    }
}
