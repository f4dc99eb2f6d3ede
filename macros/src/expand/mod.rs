//! Code generation. Runs only on input that passed the checks.

pub mod c_library;
pub mod export;
pub mod loader;
pub mod object;
pub mod params;
pub mod skeleton;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use crate::ast::Method;
use crate::types;

/// The return type of a method, `()` when it has none.
pub fn output_type(method: &Method) -> Type {
    match method.output {
        Some(ty) => ty.clone(),
        None => syn::parse_quote!(()),
    }
}

/// The spans of the first and the last token of `ty`. Generated tokens
/// before the type that take the first, and tokens after it that take the
/// last, make a path or a call whose span is the type's, whole: the span
/// the compiler gives the type itself. An error reported on both is then
/// one error (one span of the type's first token only would be a second).
pub fn ends(ty: &Type) -> (Span, Span) {
    let mut tokens = ty.to_token_stream().into_iter();
    let span_of = |t: &proc_macro2::TokenTree, first: bool| match t {
        proc_macro2::TokenTree::Group(g) if first => g.span_open(),
        proc_macro2::TokenTree::Group(g) => g.span_close(),
        other => other.span(),
    };
    let first = tokens
        .next()
        .map_or_else(|| ty.span(), |t| span_of(&t, true));
    let last = tokens.last().map_or(first, |t| span_of(&t, false));
    (first, last)
}

/// `tokens`, every one of them spanned at `span`.
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                t = group.into();
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

/// `before`, then `inner`, then `after`, the first spanned at `first` and
/// the last at `last`: a type or expression around `inner` that the
/// compiler reports from `first` to `last` ([`ends`]).
pub fn around(
    (first, last): (Span, Span),
    before: TokenStream,
    inner: TokenStream,
    after: TokenStream,
) -> TokenStream {
    let before = respan(before, first);
    let after = respan(after, last);
    quote!(#before #inner #after)
}

/// `<T as ::dynplug::__private::Abi>` for `ty`, spanned whole on the type
/// ([`ends`]), so that an unsupported type is reported on the user's
/// tokens, once.
pub fn abi(ty: &Type) -> TokenStream {
    as_trait(ty, Via::Abi)
}

/// Which of the runtime's traits says how a type crosses: `Abi` for a
/// value, `RefArg` for the `T` of a `&T` argument (which may be unsized:
/// `Path`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Abi,
    RefArg,
}

/// `<T as ::dynplug::__private::Abi>` (or `RefArg`), spanned whole on the
/// type.
pub fn as_trait(ty: &Type, via: Via) -> TokenStream {
    let (first, last) = ends(ty);
    let open = quote_spanned!(first=> <);
    let close = match via {
        Via::Abi => quote_spanned!(last=> as ::dynplug::__private::Abi>),
        Via::RefArg => quote_spanned!(last=> as ::dynplug::__private::RefArg>),
    };
    quote!(#open #ty #close)
}

/// `<T as ::dynplug::__private::Abi>::item` (or `RefArg`), spanned whole on
/// the type.
pub fn via_item(ty: &Type, via: Via, item: &str) -> TokenStream {
    let path = as_trait(ty, via);
    let item = syn::Ident::new(item, ends(ty).1);
    let colons = quote_spanned!(ends(ty).1=> ::);
    quote!(#path #colons #item)
}

/// `<T as ::dynplug::__private::Abi>` then `rest` (`::Arg`, `::lift_ret(x)`),
/// spanned whole on the type ([`ends`]).
pub fn abi_path(ty: &Type, rest: TokenStream) -> TokenStream {
    let abi = abi(ty);
    let rest = respan(rest, ends(ty).1);
    quote!(#abi #rest)
}

/// `<T as ::dynplug::__private::Abi>::item`, spanned whole on the type.
pub fn abi_item(ty: &Type, item: &str) -> TokenStream {
    via_item(ty, Via::Abi, item)
}

/// `ident`, a generated name, spanned on a user's token (which resolves as
/// the call site does): a call on a user's type whose parts all point at
/// the type reports an unsupported type there, once, and not a second time
/// at the attribute.
pub fn at(ident: &syn::Ident, span: proc_macro2::Span) -> syn::Ident {
    let mut ident = ident.clone();
    ident.set_span(span);
    ident
}

/// Generated names of a method's arguments: `__dynplug_arg0`, ... (in
/// shims, which nobody reads).
pub fn arg_names(method: &Method) -> Vec<syn::Ident> {
    (0..method.args.len())
        .map(|i| format_ident!("__dynplug_arg{}", i))
        .collect()
}

/// The names of a method's arguments in a loader's or proxy's methods: the
/// trait's own where it names one plainly (`name: &str`), so that the
/// loader's rustdoc shows it; else (a pattern, `mut x`, `_`)
/// `__dynplug_arg0`, ...
pub fn shown_arg_names(method: &Method) -> Vec<syn::Ident> {
    method
        .args
        .iter()
        .enumerate()
        .map(|(i, arg)| match plain_name(arg.pat) {
            Some(name) => name.clone(),
            None => format_ident!("__dynplug_arg{}", i),
        })
        .collect()
}

/// The identifier a parameter's pattern is, if it is only that (not `mut`,
/// `ref`, `_`, a tuple, or a name of ours).
fn plain_name(pat: &syn::Pat) -> Option<&syn::Ident> {
    match pat {
        syn::Pat::Ident(p)
            if p.by_ref.is_none()
                && p.mutability.is_none()
                && p.subpat.is_none()
                && !p.ident.to_string().starts_with("__") =>
        {
            Some(&p.ident)
        }
        _ => None,
    }
}

/// The signature as a person reads it, for metadata and messages:
/// `fn greet(&self, name: &str) -> String`.
pub fn signature_text(method: &Method) -> String {
    let mut parts = Vec::new();
    match method.receiver {
        crate::ast::Receiver::Exclusive => parts.push("&mut self".to_owned()),
        _ => parts.push("&self".to_owned()),
    }
    for arg in &method.args {
        parts.push(format!(
            "{}: {}",
            types::tokens_text(arg.pat),
            types::text(arg.ty)
        ));
    }
    let mut s = format!("fn {}({})", method.ident(), parts.join(", "));
    if let Some(ty) = method.output {
        s += &format!(" -> {}", types::text(ty));
    }
    s
}

/// When the macro refuses a trait, the compiler never sees the types of its
/// methods through `Abi`; this asks it to check the types the macro had
/// nothing against, so that those errors show in the same build.
pub fn type_assertions(methods: &[Method]) -> TokenStream {
    let clean = |ty: &&Type, position| {
        let mut errors = Vec::new();
        types::check(ty, position, &mut errors);
        errors.is_empty()
    };
    let kinds = || {
        methods
            .iter()
            .flat_map(|m| m.args.iter().map(|a| (types::arg_kind(a.ty), a.ty)))
    };
    let abi = kinds()
        .flat_map(|(kind, ty)| params::abi_types(&kind, ty))
        .chain(
            methods
                .iter()
                .filter_map(|m| m.output)
                .map(|t| (t, Via::Abi)),
        )
        .filter(|(ty, _)| clean(ty, types::Position::Nested))
        .map(|(ty, via)| {
            let ty = types::to_static(ty);
            match via {
                Via::Abi => quote_spanned!(ty.span()=> __dynplug_is_abi::<#ty>();),
                Via::RefArg => quote_spanned!(ty.span()=> __dynplug_is_ref_arg::<#ty>();),
            }
        });
    let lent = kinds()
        .flat_map(|(kind, _)| match kind {
            types::ArgKind::Callback(cb) | types::ArgKind::OptionalCallback(cb, _) => cb.inputs,
            _ => Vec::new(),
        })
        .filter(|ty| clean(ty, types::Position::Lent))
        .map(|ty| {
            let ty = types::to_static(ty);
            quote_spanned!(ty.span()=> __dynplug_is_callback_arg::<#ty>();)
        });
    quote! {
        const _: () = {
            #[allow(dead_code)]
            fn __dynplug_check_types() {
                fn __dynplug_is_abi<T: ::dynplug::__private::Abi>() {}
                fn __dynplug_is_ref_arg<T: ?::core::marker::Sized + ::dynplug::__private::RefArg>() {}
                fn __dynplug_is_callback_arg<T: ::dynplug::__private::CallbackArg>() {}
                #(#abi)*
                #(#lent)*
            }
        };
    }
}

/// The body of a forwarding method: `call` (which uses `__f`, the function
/// `fetch` gives), or, for a method with a default body, `call` when the
/// other side has the function (`fetch` gives an `Option`) and the default
/// body when it does not.
pub fn forwarding_body(
    method: &Method,
    names: &[syn::Ident],
    fetch: &TokenStream,
    call: &TokenStream,
) -> TokenStream {
    match method.default {
        None => quote! {
            let __f = #fetch;
            #call
        },
        Some(default) => {
            // Parameters named as written are bound already.
            let bind = method.args.iter().zip(names).filter_map(|(a, n)| {
                let pat = a.pat;
                (plain_name(pat) != Some(n)).then(|| quote!(let #pat = #n;))
            });
            // The body's statements, spliced: `{ { .. } }` would warn.
            let default = &default.stmts;
            quote! {
                match #fetch {
                    ::core::option::Option::Some(__f) => #call,
                    ::core::option::Option::None => {
                        #(#bind)*
                        #(#default)*
                    }
                }
            }
        }
    }
}

/// The marker field a loader or an object proxy holds when its trait lacks
/// a `Send` or `Sync` supertrait (it is otherwise both, as its core is), and
/// the field's initialiser: both `None` when the trait has both.
pub fn marker(iface: &crate::ast::Interface) -> (Option<TokenStream>, Option<TokenStream>) {
    let ty = match (iface.send, iface.sync) {
        (true, true) => return (None, None),
        (true, false) => quote!(NoSyncSupertrait),
        (false, true) => quote!(NoSendSupertrait),
        (false, false) => quote!(NoSendSyncSupertraits),
    };
    (
        Some(quote!(__dynplug_marker: ::core::marker::PhantomData<::dynplug::__private::#ty>,)),
        Some(quote!(__dynplug_marker: ::core::marker::PhantomData,)),
    )
}
