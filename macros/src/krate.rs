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
        let starts_path = i == 0 || !continues_path(&tokens[..i]);
        // Only what the attributes generate: a `::dynplug` the user wrote
        // (in a body, in `stringify!`) is theirs, and stays as written.
        let generated = |span: &proc_macro2::Span| span.source_text().as_deref() != Some("dynplug");
        if let Some(span) = leading_dynplug(&tokens[i..]).filter(|s| starts_path && generated(s)) {
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

/// Whether a `::` after `before` continues a path (`a::dynplug`,
/// `super::dynplug`) rather than starting one (`as ::dynplug`,
/// `impl ::dynplug`, `-> ::dynplug`).
fn continues_path(before: &[TokenTree]) -> bool {
    const STARTS: &[&str] = &[
        "as", "box", "break", "const", "dyn", "else", "for", "if", "impl", "in", "let", "match",
        "move", "mut", "pub", "return", "static", "type", "unsafe", "use", "where", "while",
        "yield",
    ];
    match before {
        [.., TokenTree::Ident(ident)] => !STARTS.iter().any(|k| ident == k),
        // `-> ::dynplug::X`, `impl<T> ::dynplug::X` start one. (`>` also
        // closes a qualified path, `<Self as Api>::dynplug(..)`: a path
        // the attributes never generate, whose `dynplug` is a method and
        // not followed by `::`, see `leading_dynplug`.)
        _ => false,
    }
}

/// The span of `dynplug` if `tokens` starts with `::dynplug::`, a path
/// into the crate (what the attributes generate; `::dynplug` alone, or a
/// method `dynplug` after a qualified path, is not).
fn leading_dynplug(tokens: &[TokenTree]) -> Option<proc_macro2::Span> {
    let colons = |a: &TokenTree, b: &TokenTree| {
        matches!((a, b), (TokenTree::Punct(a), TokenTree::Punct(b))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':')
    };
    match tokens {
        [first, second, TokenTree::Ident(name), third, fourth, ..]
            if colons(first, second) && colons(third, fourth) && name == "dynplug" =>
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
