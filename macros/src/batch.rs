//! The batch export: the function applied to every row of a batch of
//! argument columns in one call (docs/ABI.md, "Batches"). Generated only
//! for functions whose every parameter and whose result are column types,
//! which the attribute sees by their spelling alone: `bool`, the integers
//! up to 64 bits, `f32`, `f64`, `String`, `&str`, `Vec<u8>`, `&[u8]`, and
//! `Option` of any of them. Hosts call other functions row by row.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{GenericArgument, Ident, PathArguments, Type};

use crate::signature::{ArgKind, Signature};

// `BATCH_EXPORT_PREFIX` of `wasmer-plugin-abi`, repeated as the names in
// `expand.rs` are.
const BATCH_EXPORT_PREFIX: &str = "__wasmer_plugin_batch_";

const SCALARS: [&str; 11] = [
    "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
];

/// Whether `ty`, as spelled, is a column type; `borrowed` allows `&str`
/// and `&[u8]` (parameters).
fn is_column_type(ty: &Type, borrowed: bool, in_option: bool) -> bool {
    match ty {
        Type::Reference(reference) if borrowed && reference.mutability.is_none() => {
            matches!(
                crate::signature::buffer_kind(&reference.elem),
                Some(ArgKind::Str | ArgKind::Bytes)
            )
        }
        Type::Paren(inner) => is_column_type(&inner.elem, borrowed, in_option),
        // A type substituted by a `macro_rules!` macro (`$ty:ty`).
        Type::Group(inner) => is_column_type(&inner.elem, borrowed, in_option),
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            // Only bare names or `std`/`core`/`alloc` paths: anything else
            // is the user's own type of the same name.
            let prefix_ok = path.path.segments.len() == 1
                || path.path.segments.first().is_some_and(|first| {
                    ["std", "core", "alloc"].contains(&first.ident.to_string().as_str())
                });
            if !prefix_ok {
                return false;
            }
            match &last.arguments {
                PathArguments::None => SCALARS.contains(&name.as_str()) || name == "String",
                PathArguments::AngleBracketed(args) if args.args.len() == 1 => {
                    let Some(GenericArgument::Type(inner)) = args.args.first() else {
                        return false;
                    };
                    match name.as_str() {
                        "Vec" => {
                            matches!(inner, Type::Path(p) if p.qself.is_none() && p.path.is_ident("u8"))
                        }
                        "Option" if !in_option => is_column_type(inner, borrowed, true),
                        _ => false,
                    }
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether `signature` gets a batch export.
pub fn has_batch_export(signature: &Signature) -> bool {
    signature
        .args
        .iter()
        .all(|arg| is_column_type(&arg.ty, true, false))
        && signature
            .ret
            .as_ref()
            .is_some_and(|ret| is_column_type(ret, false, false))
}

/// The batch export of `user_fn` (named `name`), or nothing when its
/// signature has no columns.
pub fn batch_export(
    private: &TokenStream,
    user_fn: &Ident,
    name: &str,
    signature: &Signature,
) -> TokenStream {
    if !has_batch_export(signature) {
        return TokenStream::new();
    }
    let export_name = format!("{BATCH_EXPORT_PREFIX}{name}");
    let ret = signature.ret.as_ref().expect("checked by has_batch_export");
    let input = Ident::new("input", Span::mixed_site());
    let len = Ident::new("len", Span::mixed_site());
    let columns = Ident::new("columns", Span::mixed_site());
    let row = Ident::new("row", Span::mixed_site());
    let value = Ident::new("value", Span::mixed_site());
    let bindings: Vec<_> = (0..signature.args.len())
        .map(|i| format_ident!("arg{i}", span = Span::mixed_site()))
        .collect();
    let types: Vec<_> = signature.args.iter().map(|arg| &arg.ty).collect();
    let indices = 0..signature.args.len();
    let dense_rows = dense_rows(private, user_fn, ret, &types);
    quote! {
        // One call for every row of a batch (docs/ABI.md, "Batches").
        #[cfg_attr(target_arch = "wasm32", unsafe(export_name = #export_name))]
        unsafe extern "C" fn __wasmer_plugin_batch(
            #input: *mut ::core::primitive::u8,
            #len: ::core::primitive::usize,
        ) -> *const ::core::primitive::u8 {
            // SAFETY: only the host calls this export, one call at a time,
            // with `len` bytes it wrote at `input` (docs/ABI.md).
            unsafe {
                #private::run_batch::<#ret, _, _>(
                    &__WASMER_PLUGIN_INFO,
                    #input,
                    #len,
                    &[#(<#types as #private::ColumnArg<'static>>::KIND),*],
                    |#columns, #row| {
                        #(
                            let #bindings = match <#types as #private::ColumnArg<'_>>::get(
                                &#columns[#indices],
                                #indices,
                                #row,
                            )? {
                                ::core::option::Option::Some(#value) => #value,
                                ::core::option::Option::None => {
                                    return ::core::result::Result::Ok(::core::option::Option::None);
                                }
                            };
                        )*
                        ::core::result::Result::Ok(::core::option::Option::Some(
                            #user_fn(#(#bindings),*),
                        ))
                    },
                    #dense_rows,
                )
            }
        }
    }
}

/// The closure a batch export runs first: every row straight into the
/// result column, each column's values read as a slice, without the
/// general path's per-row kind checks and `Result<Option<_>>` through
/// memory (`None` when a column cannot be read so). One loop serves
/// batches without nulls; the other tests each row's validity bits, and
/// gives a null to an `Option` parameter as `None` and otherwise makes
/// the row's result null without a call, as the general path does.
fn dense_rows(
    private: &TokenStream,
    user_fn: &Ident,
    ret: &syn::Type,
    types: &[&syn::Type],
) -> TokenStream {
    if types.is_empty() {
        // No column to check: the general path is as fast.
        return quote!(|_, _, _, _| ::core::option::Option::None);
    }
    let columns = Ident::new("columns", Span::mixed_site());
    let rows = Ident::new("rows", Span::mixed_site());
    let out = Ident::new("out", Span::mixed_site());
    let marker = Ident::new("marker", Span::mixed_site());
    let row = Ident::new("row", Span::mixed_site());
    let value = Ident::new("value", Span::mixed_site());
    let dense: Vec<_> = (0..types.len())
        .map(|i| format_ident!("dense{i}", span = Span::mixed_site()))
        .collect();
    let column: Vec<_> = (0..types.len())
        .map(|i| format_ident!("column{i}", span = Span::mixed_site()))
        .collect();
    let bindings: Vec<_> = (0..types.len())
        .map(|i| format_ident!("arg{i}", span = Span::mixed_site()))
        .collect();
    let indices: Vec<_> = (0..types.len()).collect();
    quote! {
        |#columns, #rows, #out, #marker| {
            #(let #column = &#columns[#indices];)*
            let (#(::core::option::Option::Some(#dense),)*) = (#(
                <#types as #private::ColumnArg<'_>>::dense(#column),
            )*) else {
                return ::core::option::Option::None;
            };
            ::core::option::Option::Some((|| -> ::core::result::Result<(), #private::BatchError> {
                if #(!#column.has_nulls())&&* {
                    for #row in 0..#rows {
                        #marker.mark(#row);
                        #(
                            let #bindings = <#types as #private::ColumnArg<'_>>::dense_get(
                                #dense,
                                #indices,
                                #row,
                            )?;
                        )*
                        <#ret as #private::ColumnReturn>::push(#user_fn(#(#bindings),*), #out);
                    }
                } else {
                    for #row in 0..#rows {
                        #marker.mark(#row);
                        #(
                            let #bindings = if #column.is_valid(#row) {
                                <#types as #private::ColumnArg<'_>>::dense_get(
                                    #dense,
                                    #indices,
                                    #row,
                                )?
                            } else {
                                match <#types as #private::ColumnArg<'_>>::null() {
                                    ::core::option::Option::Some(#value) => #value,
                                    ::core::option::Option::None => {
                                        #out.push_null();
                                        continue;
                                    }
                                }
                            };
                        )*
                        <#ret as #private::ColumnReturn>::push(#user_fn(#(#bindings),*), #out);
                    }
                }
                ::core::result::Result::Ok(())
            })())
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::{ItemFn, parse_quote};

    fn batched(function: ItemFn) -> bool {
        super::has_batch_export(&crate::signature::check(&function).unwrap())
    }

    #[test]
    fn column_signatures_get_a_batch_export() {
        assert!(batched(parse_quote!(
            pub fn f(a: i64, b: &str, c: Option<&[u8]>, d: std::string::String) -> Option<String> {
                None
            }
        )));
        assert!(batched(parse_quote!(
            pub fn f() -> u64 {
                0
            }
        )));
        assert!(batched(parse_quote!(
            pub fn f(a: Vec<u8>, b: bool, c: f32) -> Vec<u8> {
                a
            }
        )));
    }

    #[test]
    fn other_signatures_do_not() {
        assert!(!batched(parse_quote!(
            pub fn f(a: i64) {}
        )));
        assert!(!batched(parse_quote!(
            pub fn f(a: Point) -> i64 {
                0
            }
        )));
        assert!(!batched(parse_quote!(
            pub fn f(a: i128) -> i64 {
                0
            }
        )));
        assert!(!batched(parse_quote!(
            pub fn f(a: Option<Option<i64>>) -> i64 {
                0
            }
        )));
        assert!(!batched(parse_quote!(
            pub fn f(a: my::String) -> i64 {
                0
            }
        )));
        assert!(!batched(parse_quote!(
            pub fn f(a: &Vec<u8>) -> i64 {
                0
            }
        )));
        assert!(!batched(parse_quote!(
            pub fn f(a: Vec<u32>) -> Result<i64, String> {
                0
            }
        )));
    }
}
