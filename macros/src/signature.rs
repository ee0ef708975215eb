//! Checks that a function can be a plugin function and works out how each
//! argument is decoded.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{FnArg, GenericParam, ItemFn, ReturnType, Type, Visibility};

/// How one argument is decoded and handed to the user's function.
pub enum ArgKind {
    /// Decoded as its own type and moved into the call.
    Owned,
    /// `&str`: decoded as a `StrArg` that borrows the input where it can.
    Str,
    /// `&[u8]`: decoded as a `BytesArg` that borrows the input where it can.
    Bytes,
    /// `&T`: `T` is decoded and the call gets a reference to it.
    Ref(Box<Type>),
}

pub struct Arg {
    /// The type as the user wrote it.
    pub ty: Type,
    pub kind: ArgKind,
}

/// A function that passed every check.
pub struct Signature {
    pub args: Vec<Arg>,
    /// `None` for a function without `-> …`.
    pub ret: Option<Type>,
}

/// Checks `item`, returning every problem found rather than the first.
pub fn check(item: &ItemFn) -> syn::Result<Signature> {
    let mut errors: Vec<syn::Error> = Vec::new();
    let sig = &item.sig;
    let mut fail = |tokens: &dyn ToTokens, message: &str| {
        errors.push(syn::Error::new_spanned(tokens, message));
    };

    if !matches!(item.vis, Visibility::Public(_)) {
        let at: &dyn ToTokens = match &item.vis {
            Visibility::Inherited => &sig.fn_token,
            other => other,
        };
        fail(
            at,
            "`#[wasmer_plugin]` functions must be `pub`: they are the plugin's public interface",
        );
    }
    if let Some(token) = &sig.asyncness {
        fail(
            token,
            "`#[wasmer_plugin]` functions cannot be `async`: a plugin call runs to completion before the host continues",
        );
    }
    if let Some(token) = &sig.unsafety {
        fail(
            token,
            "`#[wasmer_plugin]` functions cannot be `unsafe`: the host cannot uphold a safety contract",
        );
    }
    if let Some(abi) = &sig.abi {
        fail(
            abi,
            "`#[wasmer_plugin]` functions must use the Rust ABI; the attribute generates the `extern \"C\"` export itself",
        );
    }
    if let Some(param) = sig.generics.params.first() {
        let what = match param {
            GenericParam::Lifetime(_) => {
                "`#[wasmer_plugin]` functions cannot have lifetime parameters: write `&str` or `&[u8]` with elided lifetimes to borrow from the input"
            }
            _ => {
                "`#[wasmer_plugin]` functions cannot be generic: the host calls one concrete signature"
            }
        };
        fail(&sig.generics, what);
    } else if let Some(clause) = &sig.generics.where_clause {
        fail(
            clause,
            "`#[wasmer_plugin]` functions cannot have a `where` clause: the host calls one concrete signature",
        );
    }
    if let Some(variadic) = &sig.variadic {
        fail(variadic, "`#[wasmer_plugin]` functions cannot be variadic");
    }

    let mut args = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => fail(
                receiver,
                "`#[wasmer_plugin]` functions cannot take `self`: write a free function; the host has no value to call a method on",
            ),
            FnArg::Typed(typed) => match classify(&typed.ty) {
                Ok(kind) => args.push(Arg {
                    ty: (*typed.ty).clone(),
                    kind,
                }),
                Err(message) => fail(&typed.ty, message),
            },
        }
    }

    let ret = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => {
            if let Some(at) = borrowed_part(ty) {
                fail(
                    &at,
                    "`#[wasmer_plugin]` return values cannot borrow: they are encoded after the call, when the arguments are gone; return an owned type such as `String` or `Vec<u8>`",
                );
            }
            if let Type::ImplTrait(_) = **ty {
                fail(
                    ty,
                    "`#[wasmer_plugin]` functions must name their return type: the host decodes one concrete type",
                );
            }
            Some((**ty).clone())
        }
    };

    match errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    }) {
        Some(errors) => Err(errors),
        None => Ok(Signature { args, ret }),
    }
}

fn classify(ty: &Type) -> Result<ArgKind, &'static str> {
    match ty {
        Type::Reference(reference) => {
            if reference.mutability.is_some() {
                return Err(
                    "`#[wasmer_plugin]` arguments cannot be `&mut`: the host never sees changes made to them; take the value and return what changed",
                );
            }
            if let Some(lifetime) = &reference.lifetime
                && lifetime.ident != "_"
            {
                return Err(
                    "`#[wasmer_plugin]` arguments cannot name lifetimes: they borrow from the call's input, so elide them",
                );
            }
            Ok(buffer_kind(&reference.elem)
                .unwrap_or_else(|| ArgKind::Ref(Box::new((*reference.elem).clone()))))
        }
        Type::ImplTrait(_) => Err(
            "`#[wasmer_plugin]` arguments cannot be `impl Trait`: the host encodes one concrete type",
        ),
        Type::Infer(_) => Err("`#[wasmer_plugin]` arguments need a type"),
        _ => Ok(ArgKind::Owned),
    }
}

/// [`ArgKind::Str`] or [`ArgKind::Bytes`] when `elem`, what a reference
/// points to, is `str` or `[u8]`: the buffers a codec can lend from its
/// input.
pub fn buffer_kind(elem: &Type) -> Option<ArgKind> {
    match elem {
        Type::Path(path) if path.qself.is_none() && path.path.is_ident("str") => Some(ArgKind::Str),
        Type::Slice(slice) if is_u8(&slice.elem) => Some(ArgKind::Bytes),
        _ => None,
    }
}

fn is_u8(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none() && path.path.is_ident("u8"))
}

/// The first reference or lifetime in `ty` that is not `'static`.
pub fn borrowed_part(ty: &Type) -> Option<TokenStream> {
    struct FindBorrow(Option<TokenStream>);
    impl<'ast> Visit<'ast> for FindBorrow {
        fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
            match &reference.lifetime {
                Some(lifetime) if lifetime.ident == "static" => {
                    visit::visit_type_reference(self, reference)
                }
                _ => {
                    self.0.get_or_insert_with(|| reference.to_token_stream());
                }
            }
        }
        fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
            if lifetime.ident != "static" {
                self.0.get_or_insert_with(|| lifetime.to_token_stream());
            }
        }
    }
    let mut finder = FindBorrow(None);
    finder.visit_type(ty);
    finder.0
}

impl Signature {
    /// The argument types as the user wrote them.
    pub fn arg_types(&self) -> Vec<&Type> {
        self.args.iter().map(|arg| &arg.ty).collect()
    }
}
