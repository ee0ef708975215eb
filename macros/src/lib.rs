//! The `#[wasmer_plugin]` attribute. Plugin authors use it through the
//! `wasmer-plugin` crate, which documents it; this crate has no other API.
//!
//! The work runs in three steps, each in its own module: `options` reads
//! the attribute's arguments, `signature` checks the function and works
//! out how each argument crosses the wire, `expand` writes the export
//! and the metadata record.

use proc_macro::TokenStream;

mod expand;
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
