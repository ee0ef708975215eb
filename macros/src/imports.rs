//! `#[host_functions]`: an `extern "C"` block of host-function signatures
//! becomes one safe wrapper per signature (encode, call the import, decode
//! the reply) and one metadata record per import. Parse, check every
//! signature, then expand.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{FnArg, ForeignItem, ForeignItemFn, ItemForeignMod, Pat, ReturnType, Type};

use crate::expand::{metadata_record, schema_export, with_errors};
use crate::options::{self, Options};
use crate::signature::{borrowed_part, buffer_kind};
use crate::type_text;

// `IMPORT_MODULE` and `HOST_FUNCTION_PREFIX` of `wasmer-plugin-abi`,
// repeated for the reason given in `expand.rs`.
const IMPORT_MODULE: &str = "wasmer-plugin";
const HOST_FUNCTION_PREFIX: &str = "__wasmer_plugin_host_";
const IMPORT_SCHEMA_EXPORT_PREFIX: &str = "__wasmer_plugin_import_schema_";

const ATTRIBUTE: &str = "host_functions";

/// The whole attribute. On any error the block's functions are still
/// declared (as wrappers that are never reached, beside the
/// `compile_error!`s), so that code calling them gets no follow-on errors.
pub fn host_functions(attr: TokenStream, item: TokenStream) -> TokenStream {
    let block: ItemForeignMod = match syn::parse2(item.clone()) {
        Ok(block) => block,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[host_functions]` goes on an `extern \"C\" { … }` block of function signatures: `extern \"C\" { fn log(line: &str); }`",
            );
            return with_errors(item, error);
        }
    };
    let options = options::parse(attr, ATTRIBUTE);
    let imports = check(&block);
    match (options, imports) {
        (Ok(options), Ok(imports)) => imports
            .iter()
            .map(|import| wrapper(import, &options))
            .collect(),
        (Err(mut first), Err(second)) => {
            first.combine(second);
            placeholders(&block, first)
        }
        (Err(error), _) | (_, Err(error)) => placeholders(&block, error),
    }
}

/// One declared host function that passed every check.
struct Import<'a> {
    function: &'a ForeignItemFn,
    /// The argument names and types, in order.
    args: Vec<(&'a syn::Ident, &'a Type)>,
}

/// Checks the block and each signature in it, returning every problem.
fn check(block: &ItemForeignMod) -> syn::Result<Vec<Import<'_>>> {
    let mut errors: Vec<syn::Error> = Vec::new();
    let mut fail = |tokens: &dyn ToTokens, message: &str| {
        errors.push(syn::Error::new_spanned(tokens, message));
    };
    if let Some(name) = &block.abi.name
        && name.value() != "C"
    {
        fail(
            name,
            "`#[host_functions]` blocks are `extern \"C\"`: the attribute writes the real imports itself",
        );
    }
    let mut imports = Vec::new();
    for item in &block.items {
        let function = match item {
            ForeignItem::Fn(function) => function,
            other => {
                fail(
                    other,
                    "`#[host_functions]` blocks hold only function signatures: a plugin imports functions from its host, nothing else",
                );
                continue;
            }
        };
        let sig = &function.sig;
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            fail(
                &sig.generics,
                "host functions cannot be generic: the host provides one concrete signature",
            );
        }
        if let Some(variadic) = &sig.variadic {
            fail(variadic, "host functions cannot be variadic");
        }
        let mut args = Vec::new();
        for input in &sig.inputs {
            let typed = match input {
                FnArg::Typed(typed) => typed,
                FnArg::Receiver(receiver) => {
                    fail(receiver, "host functions cannot take `self`");
                    continue;
                }
            };
            let name = match &*typed.pat {
                Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                    &ident.ident
                }
                other => {
                    fail(other, "host function arguments need a plain name");
                    continue;
                }
            };
            if let Some(message) = argument_problem(&typed.ty) {
                fail(&typed.ty, message);
                continue;
            }
            args.push((name, &*typed.ty));
        }
        if let ReturnType::Type(_, ty) = &sig.output {
            if let Some(at) = borrowed_part(ty) {
                fail(
                    &at,
                    "host function replies cannot borrow: they are decoded from a buffer the next host call reuses; return an owned type such as `String` or `Vec<u8>`",
                );
            } else if let Type::ImplTrait(_) = **ty {
                fail(
                    ty,
                    "host functions must name their return type: the plugin decodes one concrete type",
                );
            }
        }
        imports.push(Import { function, args });
    }
    match errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    }) {
        Some(errors) => Err(errors),
        None => Ok(imports),
    }
}

fn argument_problem(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Reference(reference) if reference.mutability.is_some() => Some(
            "host function arguments cannot be `&mut`: the host's changes never come back; have the host function return what changed",
        ),
        Type::ImplTrait(_) => Some(
            "host function arguments cannot be `impl Trait`: the host decodes one concrete type",
        ),
        Type::Infer(_) => Some("host function arguments need a type"),
        _ => None,
    }
}

/// The safe function that calls host function `import`, and its metadata
/// record.
fn wrapper(import: &Import<'_>, options: &Options) -> TokenStream {
    let krate = &options.krate;
    let private = quote!(#krate::__private);
    let codec = options.codec_type();
    let function = import.function;
    let attrs = &function.attrs;
    let vis = &function.vis;
    let ident = &function.sig.ident;
    let name = ident.unraw().to_string();
    let import_name = format!("{HOST_FUNCTION_PREFIX}{name}");
    let schema_export_name = format!("{IMPORT_SCHEMA_EXPORT_PREFIX}{name}");
    let types: Vec<&Type> = import.args.iter().map(|(_, ty)| *ty).collect();
    let names: Vec<&syn::Ident> = import.args.iter().map(|(name, _)| *name).collect();
    let args_text = type_text::of_args(&types);
    let (ret_type, ret_text) = match &function.sig.output {
        ReturnType::Type(_, ty) => (quote!(#ty), type_text::of(ty)),
        ReturnType::Default => (quote!(()), "()".to_owned()),
    };
    let output = &function.sig.output;
    // One argument crosses as the bare value, several as a tuple, none as
    // `()`: the same rule as for plugin functions.
    let args_value = match &names[..] {
        [single] => quote!(&#single),
        many => quote!(&(#(#many,)*)),
    };
    // Unserializable arguments and undecodable replies fail the bounds of
    // `call_host`; its span on the signature puts the error there.
    let call_span = match &function.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => ident.span(),
    };
    let call_host = quote_spanned!(call_span=> #private::call_host::<#codec, _, #ret_type>);
    let import_fn = format_ident!("__wasmer_plugin_import", span = Span::mixed_site());
    let info = format_ident!("__WASMER_PLUGIN_INFO", span = Span::mixed_site());
    let kind = quote!(#private::RECORD_KIND_IMPORT);
    let record = metadata_record(&private, &codec, kind, [&name, &args_text, &ret_text]);
    let traced_args: Vec<Type> = types.iter().map(|ty| traceable(ty)).collect();
    let traced_args = match &traced_args[..] {
        [single] => quote!(#single),
        many => quote!((#(#many,)*)),
    };

    let schema_export = schema_export(
        &private,
        &codec,
        &schema_export_name,
        &traced_args,
        &ret_type,
    );

    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code, unexpected_cfgs, clippy::all)]
        const _: () = {
            // Declared even where the linker dropped an import the plugin
            // never calls.
            #record

            // The host calls this once, at the plugin's first instance, to
            // check the host function it links against what the plugin
            // sends and reads (docs/ABI.md, "Schemas").
            #schema_export
        };

        #(#attrs)*
        #vis fn #ident(#(#names: #types),*) #output {
            static #info: #private::ImportInfo = #private::ImportInfo {
                name: #name,
                args: #args_text,
                ret: #ret_text,
            };
            #[cfg(target_arch = "wasm32")]
            #[link(wasm_import_module = #IMPORT_MODULE)]
            unsafe extern "C-unwind" {
                #[link_name = #import_name]
                fn #import_fn(
                    ptr: ::core::primitive::u32,
                    len: ::core::primitive::u32,
                    cap: ::core::primitive::u32,
                ) -> ::core::primitive::u32;
            }
            // Native builds of a plugin crate (its unit tests) have no host:
            // `call_host` panics there, saying so, before it would call
            // this stub (or touch any guest state).
            #[cfg(not(target_arch = "wasm32"))]
            unsafe extern "C-unwind" fn #import_fn(
                _: ::core::primitive::u32,
                _: ::core::primitive::u32,
                _: ::core::primitive::u32,
            ) -> ::core::primitive::u32 {
                #private::outside_a_plugin(&#info)
            }
            #call_host(&#info, #import_fn, #args_value)
        }
    }
}

/// The type whose `Deserialize` describes what the plugin writes for an
/// argument of type `ty`: a reference is described by what it points to
/// (`&Point` as `Point`; `&str` and `&[u8]` stay references, which
/// deserialize borrowed), and every other lifetime becomes `'static`, so
/// that the type is `Deserialize<'static>`.
fn traceable(ty: &Type) -> Type {
    struct Static;
    impl VisitMut for Static {
        fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
            *lifetime = syn::Lifetime::new("'static", lifetime.span());
        }
        fn visit_type_reference_mut(&mut self, reference: &mut syn::TypeReference) {
            reference.lifetime = Some(syn::Lifetime::new("'static", reference.and_token.span));
            visit_mut::visit_type_reference_mut(self, reference);
        }
    }
    let mut ty = match ty {
        Type::Reference(reference) if buffer_kind(&reference.elem).is_none() => {
            (*reference.elem).clone()
        }
        other => other.clone(),
    };
    Static.visit_type_mut(&mut ty);
    ty
}

/// The errors, and each function of the block declared with a body that
/// is never reached, so that its callers still type-check.
fn placeholders(block: &ItemForeignMod, error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    let functions = block.items.iter().filter_map(|item| match item {
        ForeignItem::Fn(function)
            if !function
                .sig
                .inputs
                .iter()
                .any(|input| matches!(input, FnArg::Receiver(_))) =>
        {
            let attrs = &function.attrs;
            let vis = &function.vis;
            let mut sig = function.sig.clone();
            // `...` is only valid in a foreign declaration; patterns such as
            // `(a, b): (u8, u8)` are fine in a definition.
            sig.variadic = None;
            Some(quote! {
                #(#attrs)*
                #[allow(unused_variables)]
                #vis #sig {
                    ::core::unreachable!()
                }
            })
        }
        _ => None,
    });
    quote!(#errors #(#functions)*)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(item: proc_macro2::TokenStream) -> String {
        super::host_functions(quote!(), item).to_string()
    }

    #[test]
    fn arguments_cross_as_the_bare_value_a_tuple_or_unit() {
        let out = expand(quote!(
            extern "C" {
                fn log(line: &str);
                fn pair(a: u8, b: &[u8]) -> Option<String>;
                fn none() -> u64;
            }
        ));
        assert!(out.contains("fn log (line : & str)"), "{out}");
        assert!(out.contains(", & line)"), "{out}");
        assert!(out.contains("& (a , b ,)"), "{out}");
        assert!(out.contains("& ()"), "{out}");
        assert!(out.contains("\"__wasmer_plugin_host_pair\""), "{out}");
        assert!(out.contains("\"(u8, &[u8])\""), "{out}");
        assert!(out.contains("RECORD_KIND_IMPORT"), "{out}");
        assert!(
            out.contains("\"__wasmer_plugin_import_schema_pair\""),
            "{out}"
        );
    }

    #[test]
    fn schemas_describe_what_references_point_to() {
        let out = expand(quote!(
            extern "C" {
                fn f(a: &str, b: &[u8], c: &Point, d: Option<&'a str>, e: Vec<&str>);
            }
        ));
        assert!(
            out.contains(
                "TypeProbe :: < (& 'static str , & 'static [u8] , Point , Option < & 'static str > , Vec < & 'static str > ,) >"
            ),
            "{out}"
        );
    }

    #[test]
    fn an_error_still_declares_the_functions() {
        let out = expand(quote!(
            extern "C" {
                fn ok(x: u8);
                fn bad(x: &mut u8);
            }
        ));
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("fn ok (x : u8)"), "{out}");
        assert!(out.contains("fn bad (x : & mut u8)"), "{out}");
        assert!(!out.contains("call_host"), "{out}");
    }
}
