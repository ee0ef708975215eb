//! The contract shared by every `wasmer-plugin` host and guest.
//!
//! This crate holds what both sides of a plugin call must agree on: the
//! [`Codec`] trait that turns Rust values into bytes, the [`ABI_VERSION`]
//! and the export names, the [`Slot`] through which a guest reports the
//! length and [`Status`] of its output, and the metadata record format
//! ([`parse_metadata`]). `docs/ABI.md` in the repository describes the same
//! contract in prose, for plugin authors in other languages.
//!
//! It also carries the guest runtime that the `#[wasmer_plugin]` attribute
//! expands to (allocator exports, the output buffer, panic capture). That
//! part is an implementation detail, reachable only through the hidden
//! `__private` module.
//!
//! Plugin authors depend on the `wasmer-plugin` facade crate and host
//! authors on `wasmer-plugin-host`; neither needs to name this crate.
//!
//! The crate is `no_std` with `alloc`. The `std` feature (on by default)
//! installs a panic hook in guests so that a panic message reaches the host.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod codec;
mod contract;
mod metadata;

#[doc(hidden)]
pub mod __private;

pub use __private::record_panic;
pub use codec::Codec;
pub use contract::{
    ABI_VERSION, ALLOC_EXPORT, FREE_EXPORT, FUNCTION_EXPORT_PREFIX, GUEST_ALIGN,
    HOST_FUNCTION_PREFIX, IMPORT_MODULE, MEMORY_EXPORT, METADATA_SECTION, SLOT_EXPORT,
    SLOT_LEN_OFFSET, SLOT_PTR_OFFSET, SLOT_SIZE, SLOT_STATUS_OFFSET, Slot, Status,
    TAKE_REPLY_IMPORT, function_export_name, host_function_import_name,
};
pub use metadata::{
    FunctionRecord, MAX_FUNCTIONS, MAX_METADATA_BYTES, Metadata, MetadataError, RECORD_HEADER_SIZE,
    RECORD_KIND_FUNCTION, RECORD_KIND_IMPORT, parse_metadata,
};
