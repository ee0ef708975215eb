//! The contract shared by every `wasmer-plugin` host and guest.
//!
//! This crate holds what both sides of a plugin call must agree on, and
//! nothing else: the [`Codec`] trait that turns Rust values into bytes,
//! the [`ABI_VERSION`] and the export and import names, the [`Slot`]
//! through which a guest reports the length and [`Status`] of its output
//! with its byte layout, and the metadata record format ([`record`],
//! [`parse_metadata`]). `docs/ABI.md` in the repository describes the same
//! contract in prose, for plugin authors in other languages.
//!
//! The guest runtime that `#[wasmer_plugin]` expands to (allocator
//! exports, the output buffer, panic capture, host-function calls) lives
//! in the `wasmer-plugin` crate, so that a host compiles none of it.
//!
//! Plugin authors depend on the `wasmer-plugin` facade crate and host
//! authors on `wasmer-plugin-host`; neither needs to name this crate.
//!
//! The crate is `no_std` with `alloc`, and has no `unsafe` code.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

mod batch;
mod codec;
mod contract;
mod le;
mod metadata;
mod schema;

pub use batch::{
    BATCH_ALIGN, BATCH_EXPORT_PREFIX, BATCH_HEADER_SIZE, BATCH_OUTPUT_HEADER_SIZE,
    BATCH_ROW_OFFSET, BatchError, BatchHeader, COLUMN_HAS_VALIDITY, COLUMN_HEADER_SIZE, Column,
    ColumnBuilder, ColumnKind, NO_ROW, Values, batch_export_name, bitmap_len, read_batch,
    read_columns, read_output, write_batch_header, write_column, write_output_header,
};
pub use codec::{Codec, Layout};
pub use contract::{
    ABI_VERSION, ALLOC_EXPORT, CLOCK_MONOTONIC_IMPORT, CLOCK_WALL_IMPORT, DIRECT_REPLY_VERSION,
    DirectReply, FREE_EXPORT, FUNCTION_EXPORT_PREFIX, GUEST_ALIGN, HOST_FUNCTION_PREFIX,
    IMPORT_MODULE, IMPORT_SCHEMA_EXPORT_PREFIX, LOG_IMPORT, MEMORY_EXPORT, METADATA_SECTION,
    OLDEST_ABI_VERSION, RANDOM_FILL_IMPORT, SCHEMA_EXPORT_PREFIX, SLOT_EXPORT, SLOT_LEN_OFFSET,
    SLOT_PTR_OFFSET, SLOT_SIZE, SLOT_STATUS_OFFSET, Slot, Status, TAKE_REPLY_IMPORT,
    function_export_name, host_function_import_name, import_schema_export_name, schema_export_name,
};
pub use metadata::{
    FunctionRecord, MAX_FUNCTIONS, MAX_METADATA_BYTES, Metadata, MetadataError, RECORD_HEADER_SIZE,
    RECORD_KIND_FUNCTION, RECORD_KIND_IMPORT, parse_metadata, record, record_len,
};
pub use schema::{
    Container, Field, Format, FunctionSchema, MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH, Schema,
    SchemaError, Shape, Variant, trace_type, trace_value,
};
