//! `crate = path` on every attribute: the generated code names dynplug by
//! `::dynplug` (absolute, so that no local item shadows it); an interface
//! crate that re-exports dynplug lets its plugin authors depend on it alone
//! by naming the re-export instead (`crate = my_api::dynplug`). The output
//! is rewritten token by token, the replacement taking the span of the
//! `dynplug` it replaces, so that errors point where they did.

use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

/// `tokens` with each `::dynplug` replaced by `path`; unchanged if `path`
/// is `None`.
pub fn rewrite(tokens: TokenStream, path: Option<&syn::Path>) -> TokenStream {
    match path {
        Some(path) => replace(tokens, &path.to_token_stream()),
        None => tokens,
    }
}

fn replace(tokens: TokenStream, path: &TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let starts_path = i == 0 || !continues_path(&tokens[i - 1]);
        if let Some(span) = leading_dynplug(&tokens[i..]).filter(|_| starts_path) {
            out.extend(path.clone().into_iter().map(|mut t| {
                respan(&mut t, span);
                t
            }));
            i += 3;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), replace(group.stream(), path));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// Whether a `::` after `token` continues a path (`a::dynplug`,
/// `super::dynplug`) rather than starting one (`as ::dynplug`,
/// `impl ::dynplug`).
fn continues_path(token: &TokenTree) -> bool {
    const STARTS: &[&str] = &[
        "as", "box", "break", "const", "dyn", "else", "for", "if", "impl", "in", "let", "match",
        "move", "mut", "pub", "return", "static", "type", "unsafe", "use", "where", "while",
        "yield",
    ];
    match token {
        TokenTree::Ident(ident) => !STARTS.iter().any(|k| ident == k),
        // `-> ::dynplug::X` starts one: `>` there is the arrow's.
        _ => false,
    }
}

/// The span of `dynplug` if `tokens` starts with `::dynplug`.
fn leading_dynplug(tokens: &[TokenTree]) -> Option<proc_macro2::Span> {
    match tokens {
        [
            TokenTree::Punct(first),
            TokenTree::Punct(second),
            TokenTree::Ident(name),
            ..,
        ] if first.as_char() == ':'
            && first.spacing() == Spacing::Joint
            && second.as_char() == ':'
            && name == "dynplug" =>
        {
            Some(name.span())
        }
        _ => None,
    }
}

/// `#[dynplug(crate = path)]` among a derive's attributes: the path, or
/// `None`; an error for any other `#[dynplug(..)]`.
pub fn derive_arg(attrs: &[syn::Attribute]) -> syn::Result<Option<syn::Path>> {
    let mut krate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("dynplug")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                krate = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument; `#[dynplug(..)]` takes `crate = path` (where the \
                     dynplug crate is, when it is re-exported: `crate = my_api::dynplug`)",
                ))
            }
        })?;
    }
    Ok(krate)
}

/// Parses `crate = path` for an attribute's arguments: the value after
/// `crate`.
pub fn parse_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<syn::Path> {
    meta.value()?.parse()
}

/// Gives `token` (and everything in it) `span`.
fn respan(token: &mut TokenTree, span: proc_macro2::Span) {
    if let TokenTree::Group(group) = token {
        let stream = group
            .stream()
            .into_iter()
            .map(|mut t| {
                respan(&mut t, span);
                t
            })
            .collect();
        let delimiter: Delimiter = group.delimiter();
        *group = Group::new(delimiter, stream);
    }
    token.set_span(span);
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::rewrite;

    #[test]
    fn every_absolute_dynplug_is_the_path_given_and_nothing_else() {
        let path: syn::Path = syn::parse_quote!(my_api::dynplug);
        let before = quote! {
            impl ::dynplug::__private::Abi for T {
                type Arg = <u8 as ::dynplug::__private::Abi>::Arg;
                fn f() { other::dynplug::x(); dynplug::y(); }
            }
        };
        let after = rewrite(before, Some(&path)).to_string();
        // (`->` then `::dynplug` starts a path too.)
        let expected = quote! {
            impl my_api::dynplug::__private::Abi for T {
                type Arg = <u8 as my_api::dynplug::__private::Abi>::Arg;
                fn f() { other::dynplug::x(); dynplug::y(); }
            }
        };
        assert_eq!(after, expected.to_string());
    }
}
