//! The checks: everything a plugin interface or export cannot be, each
//! reported on the tokens at fault, all of them in one build.

use syn::{Error, GenericParam, TraitItem, TypeParamBound};

use crate::ast::{Export, Interface, Method, Receiver};
use crate::c_types;
use crate::types::{self, Position};

/// The most arguments a plugin method may take besides its receiver (one
/// runtime `Shim::callN` per arity up to it).
use dynplug_rules::limit::ARGS as MAX_ARGS;

/// Collects errors and reports them all at once (serde_derive's `Ctxt`).
#[derive(Default)]
pub struct Errors(Vec<Error>);

impl Errors {
    pub fn push(&mut self, error: Error) {
        self.0.push(error);
    }

    pub fn spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.0.push(Error::new_spanned(tokens, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All errors as one `compile_error!` per error.
    pub fn to_compile_errors(&self) -> proc_macro2::TokenStream {
        self.0.iter().map(Error::to_compile_error).collect()
    }
}

/// Checks a trait under `#[plugin_interface]`.
pub fn interface(iface: &Interface, errors: &mut Errors) {
    let item = iface.item;
    if let Some(unsafety) = &item.unsafety {
        errors.spanned(unsafety, "a plugin interface cannot be an `unsafe trait`");
    }
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.spanned(
            &item.generics,
            "a plugin interface cannot be generic: a plugin exports one compiled \
             implementation; use concrete types",
        );
    }
    for bound in &item.supertraits {
        let allowed = match bound {
            TypeParamBound::Trait(t) => t
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Send" || s.ident == "Sync"),
            TypeParamBound::Lifetime(l) => l.ident == "static",
            _ => false,
        };
        if !allowed {
            errors.spanned(
                bound,
                "a plugin interface may only have `Send`, `Sync` and `'static` as \
                 supertraits: the generated loader must implement every supertrait",
            );
        }
    }
    for it in &item.items {
        match it {
            TraitItem::Fn(_) => {}
            TraitItem::Const(c) => errors.spanned(
                &c.ident,
                "associated constants cannot cross the plugin boundary; use a method \
                 that returns the value",
            ),
            TraitItem::Type(t) => errors.spanned(
                &t.ident,
                "associated types cannot cross the plugin boundary; use concrete types",
            ),
            other => errors.spanned(other, "only methods are supported in a plugin interface"),
        }
    }
    for (index, method) in iface.methods.iter().enumerate() {
        if iface.methods[..index]
            .iter()
            .any(|earlier| earlier.ident() == method.ident())
        {
            // Reported once, here; the copy is left out of the trait as
            // emitted (`strip_duplicates`), so the compiler says nothing
            // more.
            errors.spanned(
                method.ident(),
                format!(
                    "`{}` is declared twice: a trait has one method of each name (each is \
                     one entry of the plugin's table); rename or remove this one",
                    method.ident()
                ),
            );
            continue;
        }
        if iface.c_library {
            c_method(method, errors);
        } else {
            self::method(method, errors);
            if let Some(attr) = method.symbol_attr {
                errors.spanned(
                    attr,
                    "`#[symbol]` names a C function; it belongs in a \
                     `#[plugin_interface(c_library)]` trait",
                );
            }
        }
        let name = method.ident().to_string();
        let hidden = name.strip_prefix("has_").filter(|optional| {
            iface
                .methods
                .iter()
                .any(|m| m.default.is_some() && m.ident() == optional)
        });
        if let Some(optional) = hidden {
            let what = if iface.c_library { "library" } else { "plugin" };
            errors.spanned(
                method.ident(),
                format!(
                    "`{name}` would be hidden by the loader's own `{name}()`, which tells \
                     whether the {what} has the optional `{optional}`; rename the method"
                ),
            );
        }
        if RESERVED.contains(&name.as_str()) {
            errors.spanned(
                method.ident(),
                format!(
                    "a plugin method cannot be named `{name}`: the generated loader has a \
                     `{name}` of its own ({}), which would hide it; rename the method",
                    RESERVED.join(", ")
                ),
            );
        }
    }
}

/// The loader's own functions, which a trait method of the same name would
/// be hidden by (method calls find inherent methods first).
const RESERVED: &[&str] = &[
    "load",
    "load_with",
    "load_named",
    "load_by_name",
    "load_by_names",
    "path",
    "close",
    "leak",
    "package",
];

/// Checks a method of a `c_library` trait: a receiver (not passed to C), no
/// generics, no variadics, C types only; `unsafe fn` is allowed.
fn c_method(method: &Method, errors: &mut Errors) {
    let sig = method.sig;
    match method.receiver {
        Receiver::Shared | Receiver::Exclusive => {}
        _ => errors.spanned(
            &sig.ident,
            format!(
                "`{}`: a `c_library` method takes `&self` (which is not passed to C)",
                sig.ident
            ),
        ),
    }
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(asyncness, "a C function cannot be `async`");
    }
    if let Some(constness) = &sig.constness {
        errors.spanned(
            constness,
            "a C function is called at run time; remove `const`",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            "write the method as plain Rust; dynplug calls the C function with the C ABI",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(
            variadic,
            "variadic C functions (`printf`-like) cannot be bound: the types of their \
             extra arguments are only known at each call, and calling one through a \
             fixed signature is undefined behaviour on some platforms; bind a fixed-argument \
             function instead",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(
            &sig.generics,
            "a C function has no generic parameters; use concrete C types",
        );
    }
    if let (Some(attr), None) = (method.symbol_attr, &method.symbol) {
        errors.spanned(
            attr,
            "write the C function's name as `#[symbol = \"name\"]`",
        );
    }
    let mut type_errors = Vec::new();
    for arg in &method.args {
        c_types::check_c(arg.ty, &mut type_errors);
    }
    if let Some(output) = method.output {
        c_types::check_c(output, &mut type_errors);
    }
    for error in type_errors {
        errors.push(error);
    }
}

/// Checks a method's signature: receiver, generics, qualifiers, types.
pub fn method(method: &Method, errors: &mut Errors) {
    let sig = method.sig;
    match method.receiver {
        Receiver::Shared | Receiver::Exclusive => {}
        Receiver::Missing => errors.spanned(
            &sig.ident,
            format!(
                "`{}` has no receiver: a plugin method takes `&self` or `&mut self` \
                 (associated functions cannot be called through a plugin)",
                sig.ident
            ),
        ),
        Receiver::Other => errors.spanned(
            sig.receiver(),
            "this receiver cannot cross the plugin boundary: the plugin keeps its \
             instance; take `&self` or `&mut self`",
        ),
    }
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(
            asyncness,
            "`async fn` cannot cross the plugin boundary: a future cannot be polled \
             across two copies of the standard library; make the method synchronous",
        );
    }
    if let Some(constness) = &sig.constness {
        errors.spanned(
            constness,
            "a plugin method cannot be `const fn`: it is called at run time",
        );
    }
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        errors.spanned(
            unsafety,
            "a plugin method cannot be `unsafe fn`: calls through a plugin are safe; \
             check preconditions inside the method",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            "write the method as plain Rust; dynplug makes the `extern \"C\"` shims",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(
            variadic,
            "variadic methods cannot cross the plugin boundary",
        );
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            other => errors.spanned(
                other,
                "generic methods cannot cross the plugin boundary: a plugin exports one \
                 compiled function per method; use concrete types",
            ),
        }
    }
    lifetimes(method, errors);
    if let Some(clause) = &sig.generics.where_clause {
        errors.spanned(
            clause,
            "`where` clauses are not supported on plugin methods",
        );
    }
    if method.args.len() > MAX_ARGS {
        errors.spanned(
            &sig.inputs,
            format!(
                "a plugin method takes at most {MAX_ARGS} arguments besides `self`; \
                 pass a group of them as one argument"
            ),
        );
    }
    let mut type_errors = Vec::new();
    for arg in &method.args {
        types::check(arg.ty, Position::Argument, &mut type_errors);
    }
    if let Some(output) = method.output {
        types::check(output, Position::Return, &mut type_errors);
        types::check_return_lifetimes(output, method.receiver_lifetime, &mut type_errors);
    }
    for error in type_errors {
        errors.push(error);
    }
}

/// What the tokens show of a method's lifetimes: everything a method takes
/// is lent for the call, so its lifetimes are elided or the method's own,
/// without bounds between them. (A `'static` hidden in an alias is the
/// compiler's to refuse: see `expand::loader::argument_lifetimes`.) A
/// signature's hash cannot see lifetimes: were `&'static self`, `'b: 'a` or
/// `&'static mut [u8]` allowed, a plugin built where they are written would
/// load in a host where they are not, and keep or return what the host
/// lent it for the call only.
fn lifetimes(method: &Method, errors: &mut Errors) {
    let sig = method.sig;
    let own: Vec<&syn::Lifetime> = sig.generics.lifetimes().map(|l| &l.lifetime).collect();
    let foreign = |l: &syn::Lifetime| l.ident != "_" && !own.iter().any(|o| o.ident == l.ident);
    for param in sig.generics.lifetimes() {
        if !param.bounds.is_empty() {
            errors.spanned(
                &param.bounds,
                format!(
                    "`{}`: bounds between a plugin method's lifetimes are not supported; \
                     to let the result borrow from an argument, give it the receiver's \
                     lifetime (`fn f<'a>(&'a self, s: &'a str) -> &'a str`)",
                    param.lifetime
                ),
            );
        }
    }
    if let Some(lifetime) = method.receiver_lifetime.filter(|l| foreign(l)) {
        errors.spanned(
            lifetime,
            format!(
                "`&{lifetime} self`: the receiver is borrowed for the call; elide its \
                 lifetime or name one of the method's (`fn f<'a>(&'a self) -> &'a str`)"
            ),
        );
    }
    for arg in &method.args {
        // An argument the result may borrow from (it names the receiver's
        // lifetime): the hash says which arguments, not which part of one,
        // so every borrow in it must be the receiver's. (One hidden in an
        // alias is the compiler's to refuse.)
        let borrowed = method.receiver_lifetime.filter(|&receiver| {
            !matches!(
                types::arg_kind(arg.ty),
                types::ArgKind::Callback(_) | types::ArgKind::OptionalCallback(..)
            ) && types::mentions_lifetime(arg.ty, receiver)
        });
        // A `&T` is held by the plugin as a copy made for the call (or, for
        // a `&Path` on Windows, a path made for it), freed as the call
        // returns: the result cannot borrow from it. (`&[T]` and `&[T; N]`
        // are lent in place for scalars: checked by the compiler,
        // `expand::loader::argument_lifetimes`.)
        if let (Some(receiver), types::ArgKind::MutRef(_)) = (borrowed, types::arg_kind(arg.ty)) {
            errors.spanned(
                arg.ty,
                format!(
                    "`{}`: this argument names the receiver's lifetime `{receiver}`, so the \
                     result may borrow from it, but a `&mut` argument is a copy the plugin \
                     writes back after the call; elide its lifetime (and return an owned \
                     value)",
                    types::text(arg.ty)
                ),
            );
            continue;
        }
        if let (Some(receiver), types::ArgKind::Ref(_)) = (borrowed, types::arg_kind(arg.ty)) {
            errors.spanned(
                arg.ty,
                format!(
                    "`{}`: this argument names the receiver's lifetime `{receiver}`, so the \
                     result may borrow from it, but the plugin gets a copy of it made for the \
                     call; elide its lifetime (and return an owned value): only `&str` and \
                     `&[T]` of scalars are lent in place",
                    types::text(arg.ty)
                ),
            );
            continue;
        }
        let other =
            borrowed.and_then(|receiver| Some((receiver, other_lifetime(arg.ty, receiver)?)));
        if let Some((receiver, other)) = other {
            errors.spanned(
                &other,
                format!(
                    "`{}`: the result may borrow from this argument, which names the \
                     receiver's lifetime `{receiver}`; every borrow in it must have that \
                     lifetime (write `&{receiver} str`), or none (pass it as another argument)",
                    types::text(arg.ty)
                ),
            );
        }
        if matches!(
            types::arg_kind(arg.ty),
            types::ArgKind::Value
                | types::ArgKind::Callback(_)
                | types::ArgKind::OptionalCallback(..)
        ) {
            continue;
        }
        let lent = match types::strip(arg.ty) {
            syn::Type::Reference(r) => r.lifetime.as_ref().filter(|l| foreign(l)),
            _ => None,
        };
        if let Some(lifetime) = lent {
            errors.spanned(
                lifetime,
                format!(
                    "`{}`: an argument is lent for the call; elide its lifetime or name \
                     one of the method's, so that the plugin cannot keep it",
                    types::text(arg.ty)
                ),
            );
        }
    }
}

/// A borrow in `ty` whose lifetime is not `receiver`: an elided `&`, `'_`,
/// or another named lifetime; as tokens to report on.
fn other_lifetime(ty: &syn::Type, receiver: &syn::Lifetime) -> Option<proc_macro2::TokenStream> {
    struct Finder<'a> {
        receiver: &'a syn::Lifetime,
        found: Option<proc_macro2::TokenStream>,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
            if self.found.is_none() && l.ident != self.receiver.ident {
                self.found = Some(quote::ToTokens::to_token_stream(l));
            }
        }
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            if self.found.is_none() && r.lifetime.is_none() {
                self.found = Some(quote::ToTokens::to_token_stream(&r.and_token));
            }
            syn::visit::visit_type_reference(self, r);
        }
    }
    let mut finder = Finder {
        receiver,
        found: None,
    };
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.found
}

/// Checks an impl under `#[plugin_export]`.
pub fn export(item: &syn::ItemImpl, export: Option<&Export>, errors: &mut Errors) {
    let Some(export) = export else {
        errors.spanned(
            &item.self_ty,
            "`#[plugin_export]` goes on an implementation of a plugin interface, \
             `impl some_api::Trait for Type`, not on an inherent impl",
        );
        return;
    };
    if !item.generics.params.is_empty() {
        errors.spanned(
            &item.generics,
            "a plugin export cannot be generic: the plugin exports one instance type; \
             implement the trait for a concrete type",
        );
    }
    if let Some(unsafety) = &item.unsafety {
        errors.spanned(unsafety, "`#[plugin_export]` cannot go on an `unsafe impl`");
    }
    if let Some(last) = export
        .trait_path
        .segments
        .last()
        .filter(|last| !last.arguments.is_none())
    {
        errors.spanned(
            &last.arguments,
            "a plugin interface has no generic parameters",
        );
    }
    // The methods' signatures are the trait's, which `#[plugin_interface]`
    // checked; the compiler checks that the impl matches them.
}
