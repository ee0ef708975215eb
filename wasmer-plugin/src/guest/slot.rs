//! The slot the host reads after every call (docs/ABI.md).

use wasmer_plugin_abi::{DirectReply, Slot, Status};

use super::cell::GuestCell;

/// The slot the host finds through the `__wasmer_plugin_slot` export.
#[unsafe(export_name = "__wasmer_plugin_slot")]
static SLOT: GuestCell<Slot> = GuestCell::new(Slot {
    len: 0,
    status: 0,
    ptr: 0,
});

/// Records the outcome of a call where the host will look for it, and
/// returns `ptr`.
pub(super) fn publish(ptr: *const u8, len: usize, status: Status) -> *const u8 {
    let slot = Slot {
        // Addresses and lengths are 32-bit on wasm32.
        len: len as u32,
        status: status.code(),
        ptr: ptr as usize as u32,
    };
    // SAFETY: one thread (see `GuestCell`), and no reference to the slot
    // is ever taken: it is only written whole, here.
    unsafe { SLOT.get().write(slot) };
    ptr
}

/// Records the outcome of a function export's call, as [`publish`] does,
/// and returns what the export returns (docs/ABI.md, "A call"): the whole
/// answer when its status is `Ok`, so that the host need not read the
/// slot, and otherwise the value that sends the host to the slot.
pub(super) fn publish_reply(ptr: *const u8, len: usize, status: Status) -> u64 {
    publish(ptr, len, status);
    match status {
        Status::Ok => DirectReply {
            ptr: ptr as usize as u32,
            len: len as u32,
        }
        .to_u64(),
        _ => DirectReply::IN_SLOT,
    }
}
