//! Writes the export, the metadata record and the decoding glue.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use crate::options::{self, Options};
use crate::signature::{self, ArgKind, Signature};
use crate::type_text;

// `FUNCTION_EXPORT_PREFIX` and `METADATA_SECTION` of `wasmer-plugin-abi`.
// A proc-macro crate cannot use the guest runtime's crate without building
// it for the compiler's host as well, so the names are repeated here (and
// the import names in `imports.rs`); the end-to-end tests fail if they
// ever disagree.
const FUNCTION_EXPORT_PREFIX: &str = "__wasmer_plugin_fn_";
const SCHEMA_EXPORT_PREFIX: &str = "__wasmer_plugin_schema_";
pub(crate) const METADATA_SECTION: &str = "wasmer-plugin";

/// The whole attribute: on any error, the user's item is still emitted
/// unchanged beside the `compile_error!`s, so that code calling it does not
/// pile follow-on errors on top.
pub fn wasmer_plugin(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new(Span::call_site(), "`#[wasmer_plugin]` goes on a `pub fn`");
            return with_errors(item, error);
        }
    };
    let options = options::parse(attr, "wasmer_plugin");
    let signature = signature::check(&function);
    match (options, signature) {
        (Ok(options), Ok(signature)) => {
            let glue = export(&function, &signature, &options);
            quote!(#function #glue)
        }
        (Err(mut first), Err(second)) => {
            first.combine(second);
            with_errors(item, first)
        }
        (Err(error), _) | (_, Err(error)) => with_errors(item, error),
    }
}

pub(crate) fn with_errors(item: TokenStream, error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote!(#item #errors)
}

/// The hidden items that make `function` callable from a host.
fn export(function: &ItemFn, signature: &Signature, options: &Options) -> TokenStream {
    let krate = &options.krate;
    let private = quote!(#krate::__private);
    let codec = options.codec_type();
    let user_fn = &function.sig.ident;
    let name = user_fn.unraw().to_string();
    let export_name = format!("{FUNCTION_EXPORT_PREFIX}{name}");
    let schema_export_name = format!("{SCHEMA_EXPORT_PREFIX}{name}");
    let args_text = type_text::of_args(&signature.arg_types());
    let ret_text = match &signature.ret {
        Some(ty) => type_text::of(ty),
        None => "()".to_owned(),
    };

    // Locals get mixed-site hygiene, so that they neither shadow nor are
    // shadowed by the user's names (a plugin function may well be called
    // `input`). Items cannot be hygienic; theirs carry a long prefix.
    let bindings: Vec<_> = (0..signature.args.len())
        .map(|i| format_ident!("arg{i}", span = Span::mixed_site()))
        .collect();
    let input = Ident::new("input", Span::mixed_site());
    let len = Ident::new("len", Span::mixed_site());
    let wire_types: Vec<TokenStream> = signature
        .args
        .iter()
        .map(|arg| match &arg.kind {
            ArgKind::Owned => {
                let ty = &arg.ty;
                quote!(#ty)
            }
            ArgKind::Str => quote!(#private::StrArg<'_>),
            ArgKind::Bytes => quote!(#private::BytesArg<'_>),
            ArgKind::Ref(inner) => quote!(#inner),
        })
        .collect();
    let call_args: Vec<TokenStream> = signature
        .args
        .iter()
        .zip(&bindings)
        .map(|(arg, binding)| match arg.kind {
            ArgKind::Owned => quote!(#binding),
            ArgKind::Str | ArgKind::Bytes => quote!(&*#binding),
            ArgKind::Ref(_) => quote!(&#binding),
        })
        .collect();
    // One argument crosses as the bare value, several as a tuple, none as `()`.
    let (pattern, wire_type) = match (&bindings[..], &wire_types[..]) {
        ([binding], [ty]) => (quote!(#binding), quote!(#ty)),
        _ => (quote!((#(#bindings,)*)), quote!((#(#wire_types,)*))),
    };

    // A type without serde's traits fails the bound of `decode` (arguments)
    // or of `run_export` (return value). Spanning those calls on the user's
    // type puts the error on the signature rather than on the attribute;
    // for a tuple of arguments rustc reports it at the attribute anyway.
    let args_span = match &signature.args[..] {
        [single] => single.ty.span(),
        _ => Span::call_site(),
    };
    let decode =
        quote_spanned!(args_span=> <#codec as #private::Codec>::decode::<#wire_type>(#input));
    let ret_span = match &function.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => function.sig.ident.span(),
    };
    let run_export = quote_spanned!(ret_span=> #private::run_export::<#codec, _, _>);
    let ret_type = match &signature.ret {
        Some(ty) => quote!(#ty),
        None => quote!(()),
    };
    let schema_export = schema_export(&private, &codec, &schema_export_name, &wire_type, &ret_type);
    let batch_export = crate::batch::batch_export(&private, user_fn, &name, signature);
    let kind = quote!(#private::RECORD_KIND_FUNCTION);
    let record = metadata_record(&private, &codec, kind, [&name, &args_text, &ret_text]);

    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code, unexpected_cfgs, clippy::all)]
        const _: () = {
            #record

            static __WASMER_PLUGIN_INFO: #private::FunctionInfo = #private::FunctionInfo {
                args: #args_text,
                ret: #ret_text,
            };

            #[cfg_attr(target_arch = "wasm32", unsafe(export_name = #export_name))]
            unsafe extern "C" fn __wasmer_plugin_export(
                #input: *const ::core::primitive::u8,
                #len: ::core::primitive::usize,
            ) -> ::core::primitive::u64 {
                // SAFETY: only the host calls this export, one call at a time,
                // with `len` bytes it wrote at `input` (docs/ABI.md).
                unsafe {
                    #run_export(&__WASMER_PLUGIN_INFO, #input, #len, |#input| {
                        let #pattern: #wire_type = #decode?;
                        ::core::result::Result::Ok(#user_fn(#(#call_args),*))
                    })
                }
            }

            // The host calls this once, at its first instance, to check its
            // types against these (docs/ABI.md, "Schemas"). A return type
            // without `Deserialize` is reported as not described. Building
            // with `--cfg wasmer_plugin_no_schemas` leaves it out (and the
            // function unchecked), for the size it costs.
            #schema_export

            #batch_export
        };
    }
}

/// The export `export_name` that describes `args` and `ret` (a function's
/// or a host function's) for the host's check (docs/ABI.md, "Schemas").
/// A type without `Deserialize` is reported as not described. Building
/// with `--cfg wasmer_plugin_no_schemas` leaves the export out (and the
/// function unchecked), for the size it costs.
pub(crate) fn schema_export(
    private: &TokenStream,
    codec: &TokenStream,
    export_name: &str,
    args: &TokenStream,
    ret: &TokenStream,
) -> TokenStream {
    quote! {
        #[cfg(not(wasmer_plugin_no_schemas))]
        #[cfg_attr(target_arch = "wasm32", unsafe(export_name = #export_name))]
        unsafe extern "C" fn __wasmer_plugin_schema() -> *const ::core::primitive::u8 {
            use #private::{TraceDeserialize as _, TraceUntraceable as _};
            // SAFETY: only the host calls this export, one call at a time.
            unsafe {
                #private::run_schema(|| {
                    let layout = <#codec as #private::Codec>::LAYOUT;
                    #private::FunctionSchema {
                        args: (&#private::TypeProbe::<#args>::new()).schema(layout),
                        ret: (&#private::TypeProbe::<#ret>::new()).schema(layout),
                    }
                })
            }
        }
    }
}

/// The static holding one metadata record of `kind` for `[name,
/// args, ret]` in `codec`, computed at compile time; the linker appends
/// every record to one section.
pub(crate) fn metadata_record(
    private: &TokenStream,
    codec: &TokenStream,
    kind: TokenStream,
    [name, args_text, ret_text]: [&str; 3],
) -> TokenStream {
    quote! {
        const __WASMER_PLUGIN_FIELDS: [&::core::primitive::str; 4] = [
            #name,
            <#codec as #private::Codec>::NAME,
            #args_text,
            #ret_text,
        ];
        const __WASMER_PLUGIN_RECORD_LEN: ::core::primitive::usize =
            #private::record_len(__WASMER_PLUGIN_FIELDS);

        #[cfg_attr(target_arch = "wasm32", used, unsafe(link_section = #METADATA_SECTION))]
        static __WASMER_PLUGIN_RECORD: [::core::primitive::u8; __WASMER_PLUGIN_RECORD_LEN] =
            #private::record::<__WASMER_PLUGIN_RECORD_LEN>(#kind, __WASMER_PLUGIN_FIELDS);
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(item: proc_macro2::TokenStream) -> String {
        super::wasmer_plugin(quote!(), item).to_string()
    }

    #[test]
    fn borrowed_arguments_decode_through_the_borrowing_wrappers() {
        let out = expand(quote!(
            pub fn f(text: &str, bytes: &[u8], point: &Point, n: u32) -> u32 {
                n
            }
        ));
        assert!(out.contains("StrArg < '_ >"), "{out}");
        assert!(out.contains("BytesArg < '_ >"), "{out}");
        // `&Point` decodes a `Point` and lends it; `n` is moved.
        assert!(
            out.contains("f (& * arg0 , & * arg1 , & arg2 , arg3)"),
            "{out}"
        );
        assert!(out.contains("\"(&str, &[u8], &Point, u32)\""), "{out}");
    }

    #[test]
    fn an_error_keeps_the_item() {
        let out = expand(quote!(
            fn private() {}
        ));
        assert!(out.contains("fn private () { }"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
        assert!(!out.contains("__wasmer_plugin_export"), "{out}");
    }
}
