//! A plugin written to hurt its host: every function but `echo` runs
//! away with a resource or breaks while the framework's code runs. The
//! host must report each as an error and serve `echo` right after.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Serialize, Serializer};
use wasmer_plugin::wasmer_plugin;

/// The well-behaved function, called after each attack.
#[wasmer_plugin]
pub fn echo(text: String) -> String {
    text
}

/// Never returns: only fuel stops it.
#[wasmer_plugin]
pub fn spin() -> u64 {
    let mut count = 0u64;
    loop {
        count = black_box(count.wrapping_add(1));
    }
}

/// Grows a vector until the allocator fails, which aborts a Rust guest.
#[wasmer_plugin]
pub fn hoard() -> usize {
    let mut heap: Vec<u64> = Vec::new();
    loop {
        heap.push(black_box(heap.len() as u64));
    }
}

/// Recurses until the wasm stack runs out.
#[wasmer_plugin]
pub fn recurse(depth: u64) -> u64 {
    // Endless on purpose: only the engine's stack limit stops it.
    #[allow(unconditional_recursion)]
    fn down(depth: u64) -> u64 {
        black_box(down(black_box(depth + 1))) + 1
    }
    down(depth)
}

/// A value whose serialization panics.
pub struct Unencodable;

impl Serialize for Unencodable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("Unencodable refuses to be encoded")
    }
}

/// Panics in the framework's encoding of its return value.
#[wasmer_plugin]
pub fn panic_while_encoding() -> Unencodable {
    Unencodable
}

/// Makes the allocator panic on the next allocation of a megabyte or
/// more, such as the host's request for a large input buffer.
#[wasmer_plugin]
pub fn arm_allocator_panic() {
    ALLOCATOR_ARMED.store(true, Ordering::Relaxed);
}

static ALLOCATOR_ARMED: AtomicBool = AtomicBool::new(false);

/// The system allocator, but for `arm_allocator_panic`.
struct TrappedAllocator;

// SAFETY: every allocation is the system allocator's; the panic happens
// before any memory is handed out, and aborts (wasm32 has no unwinding).
unsafe impl GlobalAlloc for TrappedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= 1 << 20 && ALLOCATOR_ARMED.swap(false, Ordering::Relaxed) {
            panic!("the allocator refuses {} bytes", layout.size());
        }
        // SAFETY: the caller's layout obligations pass through.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: TrappedAllocator = TrappedAllocator;
