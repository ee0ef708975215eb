//! Rust types as readable text for the metadata record: `Vec<u8>` rather
//! than the `Vec < u8 >` that token streams print.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

/// `ty` as a human writes it.
pub fn of(ty: &impl ToTokens) -> String {
    let mut atoms = Vec::new();
    flatten(ty.to_token_stream(), &mut atoms);
    let mut text = String::new();
    for (i, atom) in atoms.iter().enumerate() {
        if i > 0 && space_between(&atoms[i - 1], atom) {
            text.push(' ');
        }
        text.push_str(atom);
    }
    text
}

/// The list of argument types as the host must encode them: the bare type
/// for one argument, a tuple for several, `()` for none.
pub fn of_args<T: ToTokens>(types: &[T]) -> String {
    match types {
        [single] => of(single),
        many => {
            let inner: Vec<String> = many.iter().map(of).collect();
            format!("({})", inner.join(", "))
        }
    }
}

fn flatten(tokens: TokenStream, atoms: &mut Vec<String>) {
    let mut joint = false;
    for token in tokens {
        match token {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                if !open.is_empty() {
                    atoms.push(open.into());
                }
                flatten(group.stream(), atoms);
                if !close.is_empty() {
                    atoms.push(close.into());
                }
                joint = false;
            }
            TokenTree::Punct(punct) => {
                match atoms.last_mut() {
                    // `->`, `::` and the apostrophe of a lifetime.
                    Some(last) if joint => last.push(punct.as_char()),
                    _ => atoms.push(punct.as_char().to_string()),
                }
                joint = punct.spacing() == Spacing::Joint;
            }
            other => {
                let text = other.to_string();
                match atoms.last_mut() {
                    // The name of a lifetime follows its apostrophe directly.
                    Some(last) if joint && last == "'" => last.push_str(&text),
                    _ => atoms.push(text),
                }
                joint = false;
            }
        }
    }
}

fn space_between(before: &str, after: &str) -> bool {
    let tight_after = ["&", "<", "(", "[", "::", "*"];
    let tight_before = [",", ">", "<", ")", "]", ";", "::", ">>"];
    if tight_after.contains(&before) || tight_before.contains(&after) {
        return false;
    }
    // A call-like group hugs the word before it (`Fn(u32)`, `fn(u8)`); a
    // tuple or array after a comma or arrow keeps its space.
    let after_word = before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
    !((after == "(" || after == "[") && after_word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::Type;

    fn text(src: &str) -> String {
        of(&syn::parse_str::<Type>(src).unwrap())
    }

    #[test]
    fn reads_like_source() {
        for src in [
            "u32",
            "&str",
            "&[u8]",
            "&'static str",
            "Vec<u8>",
            "Result<Vec<String>, MyError>",
            "HashMap<String, Vec<Option<u64>>>",
            "(u32, String)",
            "[u8; 4]",
            "::std::collections::BTreeMap<u8, u8>",
            "Box<dyn Fn(u32) -> u32>",
            "()",
            "*const u8",
            "(u32, [u8; 4])",
            "(A, (B, C))",
            "fn(u8) -> (u8, u8)",
        ] {
            assert_eq!(text(src), src);
        }
    }

    #[test]
    fn argument_lists() {
        let ty = |s: &str| syn::parse_str::<Type>(s).unwrap();
        assert_eq!(of_args::<Type>(&[]), "()");
        assert_eq!(of_args(&[ty("&str")]), "&str");
        assert_eq!(of_args(&[ty("&str"), ty("u32")]), "(&str, u32)");
    }
}
