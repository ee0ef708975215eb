//! The host's input buffer in guest memory: one buffer per instance, got
//! from the guest's allocator, grown by powers of two and reused by every
//! call, into which the host copies a call's encoded arguments, at an
//! offset of its choosing (see [`placement`]).

use wasmer::{Memory, RuntimeError, Store, TypedFunction};
use wasmer_plugin_abi::{ALLOC_EXPORT, FREE_EXPORT};

use crate::guest_memory::{GuestMemory, OutOfBounds};

/// The input buffer of one instance, and the allocator exports that
/// provide it.
pub(crate) struct InputBuffer {
    alloc: TypedFunction<u32, u32>,
    free: TypedFunction<(u32, u32), ()>,
    current: Option<Allocation>,
}

#[derive(Clone, Copy)]
struct Allocation {
    ptr: u32,
    capacity: u32,
}

/// Why the input could not be placed.
pub(crate) enum InputFailure {
    /// The guest's `alloc` or `free` export trapped.
    Trapped {
        export: &'static str,
        trap: RuntimeError,
    },
    /// The `alloc` export returned 0.
    OutOfMemory { capacity: u32 },
    /// The `alloc` export returned a buffer outside the memory.
    Outside(OutOfBounds),
}

/// Smallest input buffer the host asks for, so that small arguments of
/// growing size do not reallocate on every call.
const MIN_INPUT_CAPACITY: u32 = 1024;

/// Inputs this long and longer are placed (see [`placement`]): shorter
/// copies never take glibc's `rep movsb`.
const PLACED_INPUT: u32 = 2048;

/// The distance modulo which CPUs confuse addresses (4K aliasing).
const ALIASING_PERIOD: u32 = 4096;

impl InputBuffer {
    /// No buffer yet; the first non-empty input allocates one.
    pub(crate) fn new(
        alloc: TypedFunction<u32, u32>,
        free: TypedFunction<(u32, u32), ()>,
    ) -> InputBuffer {
        InputBuffer {
            alloc,
            free,
            current: None,
        }
    }

    /// Copies `input` into the buffer, growing it through the guest's
    /// allocator when it is too small, and returns the `(ptr, len)` the
    /// plugin export takes. An empty input is `(0, 0)`, without touching
    /// the allocator. `input` is at most 4 GiB - 1 bytes (the input limit).
    #[inline]
    pub(crate) fn write(
        &mut self,
        store: &mut Store,
        memory: &Memory,
        input: &[u8],
    ) -> Result<(u32, u32), InputFailure> {
        if input.is_empty() {
            return Ok((0, 0));
        }
        let len = input.len() as u32;
        let needed = len.saturating_add(placement_slack(len));
        let buffer = match self.current {
            Some(buffer) if buffer.capacity >= needed => buffer,
            previous => self.grow(store, memory, previous, needed)?,
        };
        let mut guest = GuestMemory::new(memory, store);
        let offset = placement(
            guest.base_address() + buffer.ptr as usize,
            input.as_ptr() as usize,
            len,
        );
        // wasmer's `MemoryView::write` copies with volatile stores, several
        // times slower than `copy_from_slice` on large inputs; the guest
        // memory view is a plain slice (see `guest_memory`).
        let start = buffer.ptr + offset;
        guest
            .get_mut("the input buffer", start as u64, len as u64)
            .map_err(InputFailure::Outside)?
            .copy_from_slice(input);
        Ok((start, len))
    }

    /// Frees `previous` and allocates a buffer of at least `needed` bytes.
    fn grow(
        &mut self,
        store: &mut Store,
        memory: &Memory,
        previous: Option<Allocation>,
        needed: u32,
    ) -> Result<Allocation, InputFailure> {
        if let Some(old) = previous {
            self.current = None;
            self.free
                .call(store, old.ptr, old.capacity)
                .map_err(|trap| InputFailure::Trapped {
                    export: FREE_EXPORT,
                    trap,
                })?;
        }
        let capacity = needed
            .checked_next_power_of_two()
            .unwrap_or(needed)
            .max(MIN_INPUT_CAPACITY);
        let ptr = self
            .alloc
            .call(store, capacity)
            .map_err(|trap| InputFailure::Trapped {
                export: ALLOC_EXPORT,
                trap,
            })?;
        if ptr == 0 {
            return Err(InputFailure::OutOfMemory { capacity });
        }
        GuestMemory::new(memory, store)
            .get(
                "the buffer its alloc export returned",
                ptr as u64,
                capacity as u64,
            )
            .map_err(InputFailure::Outside)?;
        let buffer = Allocation { ptr, capacity };
        self.current = Some(buffer);
        Ok(buffer)
    }
}

/// The spare bytes an input buffer needs to place `len` bytes of input.
fn placement_slack(len: u32) -> u32 {
    if len >= PLACED_INPUT {
        ALIASING_PERIOD - 1
    } else {
        0
    }
}

/// Where in an input buffer at host address `buffer` the `len` bytes at
/// host address `source` go: at the same offset modulo 4 KiB as the
/// source, for long inputs.
///
/// On some x86 CPUs glibc copies a few KiB and up with `rep movsb`, which
/// runs about fourteen times slower when the destination lies a few bytes
/// above the source modulo 4 KiB (docs/BENCHMARKS.md); at the same offset
/// it runs at full speed. The guest is told the address, so where the
/// input starts inside the buffer is the host's choice (docs/ABI.md).
fn placement(buffer: usize, source: usize, len: u32) -> u32 {
    if placement_slack(len) == 0 {
        return 0;
    }
    (source.wrapping_sub(buffer) % ALIASING_PERIOD as usize) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_inputs_sit_at_the_source_offset_modulo_4k() {
        for (buffer, source) in [(0x1000, 0x7f00_0010), (0x1_2348, 0x5555_1003), (8, 8)] {
            let offset = placement(buffer, source, PLACED_INPUT);
            assert!(offset < ALIASING_PERIOD, "{offset}");
            assert_eq!((buffer + offset as usize) % 4096, source % 4096);
            // The buffer has room for the input at that offset.
            assert!(offset + PLACED_INPUT <= PLACED_INPUT + placement_slack(PLACED_INPUT));
        }
        assert_eq!(placement(0x1008, 0x7f00_0010, PLACED_INPUT - 1), 0);
        assert_eq!(placement_slack(PLACED_INPUT - 1), 0);
    }
}
