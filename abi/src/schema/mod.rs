//! Structural descriptions of the types that cross the boundary, in
//! serde's data model: what a host compares before it encodes or decodes
//! the first byte of a call.
//!
//! A [`Schema`] is a root [`Format`] and the named containers (structs and
//! enums) it refers to, each described once so that recursive types end.
//! It is made from a type, by running the type's `Deserialize` against a
//! tracer ([`trace_type`]), or from a value, by running its `Serialize`
//! ([`trace_value`]); the first describes every field and variant, the
//! second only what that value shows (the element of an empty sequence and
//! the variants it does not use stay [`Format::Unknown`]).
//!
//! A plugin built with ABI version 3 or later exports, for each function,
//! the [`FunctionSchema`] of its arguments and return value
//! ([`schema_export_name`], [`FunctionSchema::to_bytes`]); `docs/ABI.md`
//! describes the bytes.

mod display;
mod model;
mod trace_type;
mod trace_value;
mod wire;

pub use model::{Container, Field, Format, FunctionSchema, Schema, Shape, Variant};
pub use trace_type::trace_type;
pub use trace_value::trace_value;
pub use wire::{MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH, SchemaError};

#[cfg(test)]
mod tests;
