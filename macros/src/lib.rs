//! The `#[wasmer_plugin]` and `#[host_functions]` attributes. Plugin
//! authors use them through the `wasmer-plugin` crate, which documents
//! them; this crate has no other API.
//!
//! `#[wasmer_plugin]` runs in three steps, each in its own module:
//! `options` reads the attribute's arguments, `signature` checks the
//! function and works out how each argument crosses the wire, `expand`
//! writes the export and the metadata record. `imports` does the same
//! three steps for `#[host_functions]`.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod batch;
mod expand;
mod imports;
mod options;
mod signature;
mod type_text;

#[cfg(test)]
mod snapshot_tests;

/// Exports a `pub fn` to `wasmer-plugin` hosts. See the `wasmer-plugin`
/// crate for the full documentation.
#[proc_macro_attribute]
pub fn wasmer_plugin(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::wasmer_plugin(attr.into(), item.into()).into()
}

/// Declares functions the plugin imports from its host. See the
/// `wasmer-plugin` crate for the full documentation.
#[proc_macro_attribute]
pub fn host_functions(attr: TokenStream, item: TokenStream) -> TokenStream {
    imports::host_functions(attr.into(), item.into()).into()
}
