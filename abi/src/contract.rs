//! The numbers and names of the wire contract. `docs/ABI.md` is the prose
//! version; `abi/tests/contract.rs` fails when anything here changes while
//! [`ABI_VERSION`] stays the same.

use alloc::string::String;

use crate::le::{read_u32, write_u32};

/// The version of the contract described in `docs/ABI.md`.
///
/// A host loads modules whose metadata names this version or an older one
/// down to [`OLDEST_ABI_VERSION`], and refuses, at load time, any other.
/// Bump it whenever anything in this module, the metadata record format,
/// the schema bytes or the guest runtime's observable behaviour changes.
///
/// Version 7 made function exports return their answer
/// ([`DirectReply`]), so that a host need not read the slot after a call
/// that went well; version 6 added batch exports
/// ([`BATCH_EXPORT_PREFIX`](crate::BATCH_EXPORT_PREFIX)) and their
/// column layout; version 5 added the capability imports ([`CLOCK_WALL_IMPORT`],
/// [`CLOCK_MONOTONIC_IMPORT`], [`RANDOM_FILL_IMPORT`]) and [`LOG_IMPORT`];
/// version 4
/// host-function schema exports
/// ([`IMPORT_SCHEMA_EXPORT_PREFIX`]); version 3 schema exports
/// ([`SCHEMA_EXPORT_PREFIX`]); version 2 host functions (import records).
pub const ABI_VERSION: u32 = 7;

/// The oldest version a host of this version still loads and calls:
/// every version so far only added things a plugin may go without, or
/// (version 7) changed what a new plugin's exports return in a way a host
/// tells apart by the record's version.
pub const OLDEST_ABI_VERSION: u32 = 1;

/// The first version whose function exports are `(ptr: i32, len: i32) ->
/// i64` and return a [`DirectReply`]; a record of an older version names
/// an export `(ptr: i32, len: i32) -> i32` that returns the output's
/// address only.
pub const DIRECT_REPLY_VERSION: u32 = 7;

/// The name of the custom section that holds the plugin's metadata records.
pub const METADATA_SECTION: &str = "wasmer-plugin";

/// The guest's linear memory export.
pub const MEMORY_EXPORT: &str = "memory";

/// `(len: i32) -> i32`: allocates `len` bytes aligned to [`GUEST_ALIGN`]
/// and returns their address, or 0 when the guest is out of memory.
pub const ALLOC_EXPORT: &str = "__wasmer_plugin_alloc";

/// `(ptr: i32, len: i32) -> ()`: releases a buffer obtained from
/// [`ALLOC_EXPORT`] with the same `len`.
pub const FREE_EXPORT: &str = "__wasmer_plugin_free";

/// An immutable `i32` global holding the address of the guest's [`Slot`].
pub const SLOT_EXPORT: &str = "__wasmer_plugin_slot";

/// Plugin function `name` is exported as `FUNCTION_EXPORT_PREFIX + name`,
/// with the signature `(ptr: i32, len: i32) -> i64` returning a
/// [`DirectReply`] (since [`DIRECT_REPLY_VERSION`]; before it, `(ptr: i32,
/// len: i32) -> i32` returning the output's address).
pub const FUNCTION_EXPORT_PREFIX: &str = "__wasmer_plugin_fn_";

/// Since ABI version 3, plugin function `name` has a schema export
/// `SCHEMA_EXPORT_PREFIX + name`, `() -> i32`: it returns the address of
/// the function's [`FunctionSchema`](crate::FunctionSchema) bytes and
/// reports their length and status in the slot, as a function export of
/// a record older than [`DIRECT_REPLY_VERSION`] does. A plugin without it
/// is called unchecked.
pub const SCHEMA_EXPORT_PREFIX: &str = "__wasmer_plugin_schema_";

/// Since ABI version 4, each host function `name` a plugin declares has a
/// schema export `IMPORT_SCHEMA_EXPORT_PREFIX + name`, `() -> i32`, like a
/// [`SCHEMA_EXPORT_PREFIX`] export: its
/// [`FunctionSchema`](crate::FunctionSchema) describes the arguments the
/// plugin sends and the reply it reads. A plugin without it has its host
/// functions linked unchecked.
pub const IMPORT_SCHEMA_EXPORT_PREFIX: &str = "__wasmer_plugin_import_schema_";

/// The import module of everything a plugin imports: the host functions
/// it declares, [`TAKE_REPLY_IMPORT`], the capability imports and
/// [`LOG_IMPORT`].
pub const IMPORT_MODULE: &str = "wasmer-plugin";

/// Host function `name` is imported as `IMPORT_MODULE`.`HOST_FUNCTION_PREFIX
/// + name`, with the signature `(ptr: i32, len: i32, cap: i32) -> i32`.
/// The `len` bytes at `ptr` are the encoded arguments, and the `cap` bytes
/// from `ptr` the guest's to overwrite. The host returns the length of its
/// encoded reply, which it wrote at `ptr` when it fits in `cap` and
/// otherwise keeps for [`TAKE_REPLY_IMPORT`]. (The prefix keeps the
/// import's symbol apart from the plugin's own: a host function called
/// `log` must not resolve to libm's.)
pub const HOST_FUNCTION_PREFIX: &str = "__wasmer_plugin_host_";

/// `IMPORT_MODULE`.`__wasmer_plugin_take_reply`, `(ptr: i32, len: i32) ->
/// ()`: copies the host's pending reply, of the `len` bytes the host
/// function returned, to `ptr`. A guest calls it only right after a host
/// function returned a length over the `cap` it was given.
pub const TAKE_REPLY_IMPORT: &str = "__wasmer_plugin_take_reply";

/// Since ABI version 5, `IMPORT_MODULE`.`__wasmer_plugin_clock_wall`,
/// `() -> i64`: the wall-clock time, in nanoseconds since the Unix epoch.
/// Importing it asks for the clock capability, which the host grants or
/// refuses at load.
pub const CLOCK_WALL_IMPORT: &str = "__wasmer_plugin_clock_wall";

/// Since ABI version 5, `IMPORT_MODULE`.`__wasmer_plugin_clock_monotonic`,
/// `() -> i64`: nanoseconds since an origin fixed for the instance, never
/// less than the last answer. The clock capability, as
/// [`CLOCK_WALL_IMPORT`].
pub const CLOCK_MONOTONIC_IMPORT: &str = "__wasmer_plugin_clock_monotonic";

/// Since ABI version 5, `IMPORT_MODULE`.`__wasmer_plugin_random_fill`,
/// `(ptr: i32, len: i32) -> ()`: fills the `len` bytes at `ptr` with
/// random bytes. Importing it asks for the randomness capability.
pub const RANDOM_FILL_IMPORT: &str = "__wasmer_plugin_random_fill";

/// Since ABI version 5, `IMPORT_MODULE`.`__wasmer_plugin_log`, `(level:
/// i32, target_ptr: i32, target_len: i32, message_ptr: i32, message_len:
/// i32) -> ()`: one log record of the plugin, its target and message UTF-8
/// strings in guest memory, its level 1 (error) to 5 (trace) as the `log`
/// crate numbers them. Every host provides it; one that does not forward
/// plugin logs drops the record.
pub const LOG_IMPORT: &str = "__wasmer_plugin_log";

/// The alignment of every buffer [`ALLOC_EXPORT`] returns.
pub const GUEST_ALIGN: usize = 8;

/// The export name of plugin function `name`.
pub fn function_export_name(name: &str) -> String {
    let mut export = String::with_capacity(FUNCTION_EXPORT_PREFIX.len() + name.len());
    export.push_str(FUNCTION_EXPORT_PREFIX);
    export.push_str(name);
    export
}

/// The schema export name of plugin function `name`.
pub fn schema_export_name(name: &str) -> String {
    let mut export = String::with_capacity(SCHEMA_EXPORT_PREFIX.len() + name.len());
    export.push_str(SCHEMA_EXPORT_PREFIX);
    export.push_str(name);
    export
}

/// The schema export name of host function `name`.
pub fn import_schema_export_name(name: &str) -> String {
    let mut export = String::with_capacity(IMPORT_SCHEMA_EXPORT_PREFIX.len() + name.len());
    export.push_str(IMPORT_SCHEMA_EXPORT_PREFIX);
    export.push_str(name);
    export
}

/// The import name of host function `name`.
pub fn host_function_import_name(name: &str) -> String {
    let mut import = String::with_capacity(HOST_FUNCTION_PREFIX.len() + name.len());
    import.push_str(HOST_FUNCTION_PREFIX);
    import.push_str(name);
    import
}

/// Where a guest reports the outcome of its last call: twelve bytes of
/// little-endian `u32`s at the address [`SLOT_EXPORT`] names.
///
/// The guest writes it before a plugin export returns, and from its panic
/// hook before it aborts; the host reads it after the call returns or traps.
/// [`Slot::from_le_bytes`] and [`Slot::to_le_bytes`] are its byte layout;
/// every reader and writer of slot bytes goes through them.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Length in bytes of the output at `ptr`.
    pub len: u32,
    /// A [`Status`] code saying what the output bytes are.
    pub status: u32,
    /// Address of the output; the same value the export returns.
    pub ptr: u32,
}

/// Size in bytes of the [`Slot`].
pub const SLOT_SIZE: usize = 12;
/// Offset of [`Slot::len`] within the slot.
pub const SLOT_LEN_OFFSET: usize = 0;
/// Offset of [`Slot::status`] within the slot.
pub const SLOT_STATUS_OFFSET: usize = 4;
/// Offset of [`Slot::ptr`] within the slot.
pub const SLOT_PTR_OFFSET: usize = 8;

impl Slot {
    /// The slot held by these [`SLOT_SIZE`] bytes of guest memory.
    #[inline]
    pub const fn from_le_bytes(bytes: [u8; SLOT_SIZE]) -> Slot {
        Slot {
            len: read_u32(&bytes, SLOT_LEN_OFFSET),
            status: read_u32(&bytes, SLOT_STATUS_OFFSET),
            ptr: read_u32(&bytes, SLOT_PTR_OFFSET),
        }
    }

    /// The [`SLOT_SIZE`] bytes this slot is in guest memory.
    #[inline]
    pub const fn to_le_bytes(self) -> [u8; SLOT_SIZE] {
        let mut bytes = [0; SLOT_SIZE];
        write_u32(&mut bytes, SLOT_LEN_OFFSET, self.len);
        write_u32(&mut bytes, SLOT_STATUS_OFFSET, self.status);
        write_u32(&mut bytes, SLOT_PTR_OFFSET, self.ptr);
        bytes
    }

    /// The [`Status`] the slot reports, or `None` for a code the contract
    /// does not define.
    #[inline]
    pub const fn status(&self) -> Option<Status> {
        Status::from_code(self.status)
    }
}

// The in-memory layout a wasm32 guest writes is the byte layout above:
// `repr(C)`, no padding, and wasm is little-endian.
const _: () = {
    assert!(core::mem::size_of::<Slot>() == SLOT_SIZE);
    assert!(core::mem::offset_of!(Slot, len) == SLOT_LEN_OFFSET);
    assert!(core::mem::offset_of!(Slot, status) == SLOT_STATUS_OFFSET);
    assert!(core::mem::offset_of!(Slot, ptr) == SLOT_PTR_OFFSET);
};

/// What a function export returns since [`DIRECT_REPLY_VERSION`], as one
/// `i64`: the output of a call whose status is [`Status::Ok`], its address
/// in the low 32 bits and its length in the high 32 bits; or 0, which
/// tells the host to read the [`Slot`] instead (any status, and an empty
/// output at address 0). The guest writes the slot in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectReply {
    /// Address of the output.
    pub ptr: u32,
    /// Length in bytes of the output.
    pub len: u32,
}

impl DirectReply {
    /// The returned value that sends the host to the slot.
    pub const IN_SLOT: u64 = 0;

    /// The `i64` an export returns for this output.
    #[inline]
    pub const fn to_u64(self) -> u64 {
        self.ptr as u64 | (self.len as u64) << 32
    }

    /// The output an export returned, or `None` when it returned
    /// [`IN_SLOT`](DirectReply::IN_SLOT) and the answer is in the slot.
    #[inline]
    pub const fn from_u64(returned: u64) -> Option<DirectReply> {
        match returned {
            DirectReply::IN_SLOT => None,
            _ => Some(DirectReply {
                ptr: returned as u32,
                len: (returned >> 32) as u32,
            }),
        }
    }
}

/// What the output bytes of a call are.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The encoded return value.
    Ok = 0,
    /// The guest could not decode the arguments; the output is a UTF-8
    /// message saying why.
    DecodeError = 1,
    /// The guest could not encode its return value; the output is a UTF-8
    /// message saying why.
    EncodeError = 2,
    /// The guest panicked; the output is the UTF-8 panic message with its
    /// source location. Only ever seen after the call trapped.
    Panic = 3,
}

impl Status {
    /// Every status, for exhaustive checks.
    pub const ALL: [Status; 4] = [
        Status::Ok,
        Status::DecodeError,
        Status::EncodeError,
        Status::Panic,
    ];

    /// The status with this code, if there is one.
    #[inline]
    pub const fn from_code(code: u32) -> Option<Status> {
        match code {
            0 => Some(Status::Ok),
            1 => Some(Status::DecodeError),
            2 => Some(Status::EncodeError),
            3 => Some(Status::Panic),
            _ => None,
        }
    }

    /// The code written into [`Slot::status`].
    #[inline]
    pub const fn code(self) -> u32 {
        self as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direct_reply_comes_back_as_it_was_and_zero_means_the_slot() {
        for (ptr, len) in [
            (1, 0),
            (0, 1),
            (64, 3),
            (u32::MAX, u32::MAX),
            (0xffff_fff0, 0),
        ] {
            let reply = DirectReply { ptr, len };
            assert_eq!(DirectReply::from_u64(reply.to_u64()), Some(reply));
        }
        assert_eq!(
            DirectReply { ptr: 64, len: 3 }.to_u64(),
            64 | 3 << 32,
            "the address in the low half, the length in the high half"
        );
        assert_eq!(DirectReply::from_u64(DirectReply::IN_SLOT), None);
        // The one output that cannot be returned directly is sent to the slot.
        assert_eq!(
            DirectReply { ptr: 0, len: 0 }.to_u64(),
            DirectReply::IN_SLOT
        );
    }
}
