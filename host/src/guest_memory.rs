//! The one checked view of a plugin's linear memory, in the manner of
//! wiggle's `GuestMemory`: every read and write of guest memory by the
//! host goes through [`GuestMemory`], whose ranges are checked in one
//! place with one error shape ([`OutOfBounds`]), and whose one `unsafe`
//! block carries the one argument for why a plain slice of the memory is
//! sound.

use std::fmt;

use wasmer::{AsStoreMut, Memory};
use wasmer_plugin_abi::{SLOT_SIZE, Slot};

/// A plugin's whole linear memory, borrowed from its store.
///
/// Made from an exclusive borrow of the store, so that while it lives no
/// wasm runs in that store, nothing grows the memory, and no other view of
/// it exists; reads and writes are then plain slice operations.
pub(crate) struct GuestMemory<'s> {
    bytes: &'s mut [u8],
}

/// A range the guest named that does not lie inside its memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutOfBounds {
    /// What the range holds, for the message (`"the arguments"`).
    pub(crate) what: &'static str,
    pub(crate) start: u64,
    pub(crate) len: u64,
    /// The memory's size in bytes.
    pub(crate) size: u64,
}

impl fmt::Display for OutOfBounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bytes {}..{} ({}) lie outside the {}-byte memory",
            self.start,
            self.start.saturating_add(self.len),
            self.what,
            self.size
        )
    }
}

impl std::error::Error for OutOfBounds {}

impl<'s> GuestMemory<'s> {
    /// The memory of an instance in `store`.
    #[inline]
    pub(crate) fn new(memory: &Memory, store: &'s mut impl AsStoreMut) -> GuestMemory<'s> {
        debug_assert!(
            !memory.ty(store).shared,
            "a plugin memory is never shared (the threads feature is refused at load)"
        );
        let view = memory.view(store);
        let (base, size) = (view.data_ptr(), view.data_size() as usize);
        if size == 0 || base.is_null() {
            return GuestMemory { bytes: &mut [] };
        }
        // SAFETY: `base` and `size` describe the memory's current
        // allocation, `size` bytes that wasmer keeps mapped and initialised
        // while the memory exists (the store owns it, and outlives `'s`).
        // The slice is the only access to those bytes for `'s`:
        // - `'s` is an exclusive borrow of the store, so no wasm runs and
        //   no host code calls into the instance (both need the store), the
        //   memory cannot grow or move (growing needs the store too), and no
        //   other `GuestMemory` or `MemoryView` of this store can exist;
        // - no other thread can reach the bytes: the memory is not shared.
        //   Modules that declare a shared memory are refused at load (the
        //   threads feature is off, see `features`), and a plugin imports
        //   only functions (see `host_functions::link`), so its memory is
        //   the one our tunables created for this instance in this store,
        //   which never leaves its thread (`Store` is not `Send`). The
        //   watchdog thread writes only the interrupt flag, a global
        //   outside linear memory.
        let bytes = unsafe { std::slice::from_raw_parts_mut(base, size) };
        GuestMemory { bytes }
    }

    /// A view of bytes that are not a plugin's, for tests and fuzzing of
    /// the code that reads guest memory.
    pub(crate) fn from_bytes(bytes: &'s mut [u8]) -> GuestMemory<'s> {
        GuestMemory { bytes }
    }

    /// The memory's size in bytes.
    #[inline]
    pub(crate) fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The `len` bytes at `start`, holding `what`.
    #[inline]
    pub(crate) fn get(
        &self,
        what: &'static str,
        start: u64,
        len: u64,
    ) -> Result<&[u8], OutOfBounds> {
        let range = self.range(what, start, len)?;
        Ok(&self.bytes[range])
    }

    /// The `len` bytes at `start`, holding `what`, to write.
    #[inline]
    pub(crate) fn get_mut(
        &mut self,
        what: &'static str,
        start: u64,
        len: u64,
    ) -> Result<&mut [u8], OutOfBounds> {
        let range = self.range(what, start, len)?;
        Ok(&mut self.bytes[range])
    }

    /// The slot at `address`.
    #[inline]
    pub(crate) fn slot(&self, address: u32) -> Result<Slot, OutOfBounds> {
        let bytes = self.get("the slot", address as u64, SLOT_SIZE as u64)?;
        let bytes: [u8; SLOT_SIZE] = bytes.try_into().expect("a slot-sized range");
        Ok(Slot::from_le_bytes(bytes))
    }

    /// The host address of the memory's first byte, for a copy whose
    /// placement depends on where the memory lies (see `input_buffer`).
    #[inline]
    pub(crate) fn base_address(&self) -> usize {
        self.bytes.as_ptr() as usize
    }

    #[inline]
    fn range(
        &self,
        what: &'static str,
        start: u64,
        len: u64,
    ) -> Result<std::ops::Range<usize>, OutOfBounds> {
        let size = self.size();
        match start.checked_add(len) {
            Some(end) if end <= size => Ok(start as usize..end as usize),
            _ => Err(OutOfBounds {
                what,
                start,
                len,
                size,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_inside_the_memory_are_its_bytes() {
        let mut bytes = *b"0123456789";
        let mut memory = GuestMemory::from_bytes(&mut bytes);
        assert_eq!(memory.size(), 10);
        assert_eq!(memory.get("x", 2, 3).unwrap(), b"234");
        assert_eq!(memory.get("x", 10, 0).unwrap(), b"");
        memory.get_mut("x", 8, 2).unwrap().copy_from_slice(b"ab");
        assert_eq!(&bytes, b"01234567ab");
    }

    #[test]
    fn ranges_past_the_end_or_wrapping_are_refused_with_one_message() {
        let mut bytes = [0; 10];
        let memory = GuestMemory::from_bytes(&mut bytes);
        for (start, len) in [
            (8, 3),
            (11, 0),
            (u32::MAX as u64, 2),
            (0, u32::MAX as u64 + 1),
        ] {
            let err = memory.get("the reply", start, len).unwrap_err();
            assert_eq!(
                err,
                OutOfBounds {
                    what: "the reply",
                    start,
                    len,
                    size: 10
                }
            );
        }
        assert_eq!(
            memory.get("the reply", 8, 3).unwrap_err().to_string(),
            "bytes 8..11 (the reply) lie outside the 10-byte memory"
        );
    }

    #[test]
    fn the_slot_is_read_only_inside_memory() {
        let slot = Slot {
            len: 1,
            status: 2,
            ptr: 3,
        };
        let mut bytes = [0; 16];
        bytes[4..16].copy_from_slice(&slot.to_le_bytes());
        let memory = GuestMemory::from_bytes(&mut bytes);
        assert_eq!(memory.slot(4), Ok(slot));
        assert!(memory.slot(5).is_err());
        assert!(memory.slot(u32::MAX).is_err());
    }
}
