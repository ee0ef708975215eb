//! The attribute's arguments: `codec = "name"` or `codec = path::To::Codec`,
//! and `crate = "path"` for a renamed `wasmer-plugin` dependency.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{LitStr, Path};

/// The codecs that may be named by a string, with their type names in the
/// `wasmer-plugin` crate.
pub const NAMED_CODECS: [(&str, &str); 4] = [
    ("bincode", "Bincode"),
    ("msgpack", "MsgPack"),
    ("postcard", "Postcard"),
    ("json", "Json"),
];

pub enum CodecChoice {
    /// One of [`NAMED_CODECS`], by its type name.
    Named(&'static str),
    /// A user type implementing `Codec`.
    Path(Path),
}

pub struct Options {
    pub codec: CodecChoice,
    /// The path of the `wasmer-plugin` crate, `::wasmer_plugin` unless
    /// `crate = "…"` says otherwise.
    pub krate: Path,
}

/// Reads the arguments of `#[attribute(…)]`.
pub fn parse(attr: TokenStream, attribute: &str) -> syn::Result<Options> {
    let mut codec: Option<CodecChoice> = None;
    let mut krate: Option<Path> = None;
    let parser = syn::meta::parser(|meta| {
        if !meta.input.peek(syn::Token![=]) {
            return Err(syn::Error::new_spanned(
                &meta.path,
                format!(
                    "`#[{attribute}]` arguments take a value: `codec = \"postcard\"` or `crate = \"::wasmer_plugin\"`"
                ),
            ));
        }
        if meta.path.is_ident("codec") {
            if codec.is_some() {
                return Err(meta.error("`codec` is given twice"));
            }
            let value = meta.value()?;
            codec = Some(if value.peek(LitStr) {
                named_codec(&value.parse::<LitStr>()?)?
            } else {
                CodecChoice::Path(value.parse::<Path>().map_err(|err| {
                    syn::Error::new(
                        err.span(),
                        "expected `codec = \"bincode\"` (or \"msgpack\", \"postcard\", \"json\") or `codec = path::to::YourCodec`",
                    )
                })?)
            });
            Ok(())
        } else if meta.path.is_ident("crate") {
            if krate.is_some() {
                return Err(meta.error("`crate` is given twice"));
            }
            let lit: LitStr = meta.value()?.parse()?;
            krate = Some(lit.parse::<Path>().map_err(|_| {
                syn::Error::new_spanned(
                    &lit,
                    "`crate` must be a path such as \"::my_wasmer_plugin\"",
                )
            })?);
            Ok(())
        } else {
            Err(syn::Error::new_spanned(
                &meta.path,
                format!(
                    "unknown `#[{attribute}]` argument `{}`; expected `codec = …` or `crate = …`",
                    meta.path.to_token_stream().to_string().replace(' ', "")
                ),
            ))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(Options {
        codec: codec.unwrap_or(CodecChoice::Named("Bincode")),
        krate: krate.unwrap_or_else(|| syn::parse_quote!(::wasmer_plugin)),
    })
}

fn named_codec(lit: &LitStr) -> syn::Result<CodecChoice> {
    let name = lit.value();
    NAMED_CODECS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, type_name)| CodecChoice::Named(type_name))
        .ok_or_else(|| {
            syn::Error::new_spanned(
                lit,
                format!(
                    "unknown codec \"{name}\"; expected \"bincode\", \"msgpack\", \"postcard\" or \"json\", or a path to a type implementing `Codec` (`codec = my_crate::MyCodec`)"
                ),
            )
        })
}

impl Options {
    /// The codec's type as generated code names it.
    pub fn codec_type(&self) -> TokenStream {
        match &self.codec {
            CodecChoice::Named(type_name) => {
                let krate = &self.krate;
                let ident = syn::Ident::new(type_name, Span::call_site());
                quote::quote!(#krate::#ident)
            }
            CodecChoice::Path(path) => path.to_token_stream(),
        }
    }
}
