//! Callback parameters (`&dyn Fn(A..) -> R`, `&mut dyn FnMut(A..) -> R`):
//! how one is recognised, checked, and how the lifetimes of its arguments
//! are renamed in generated code. Whether an argument borrows only for the
//! call is the compiler's to prove (the runtime's `Lent`, see
//! `expand::params::host_callback`); the checks here word the mistakes
//! that can be seen in the tokens.

use syn::visit_mut::VisitMut;
use syn::{Lifetime, PathArguments, Type};

use crate::types::{self, Position, has_reference, push, strip};

/// A callback parameter's signature.
pub struct Callback<'a> {
    pub mutable: bool,
    pub inputs: Vec<&'a Type>,
    pub output: Option<&'a Type>,
    /// Lifetimes the callback declares itself: `'a` in
    /// `&dyn for<'a> Fn(&'a str)`, which mean what elided ones do.
    pub bound: Vec<&'a Lifetime>,
}

/// `dyn Fn(A..) -> R` (with `&`) or `dyn FnMut(A..) -> R` (with `&mut`).
pub fn parse(elem: &Type, mutable: bool) -> Option<Callback<'_>> {
    let Type::TraitObject(object) = elem else {
        return None;
    };
    object.bounds.iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(t) = bound else {
            return None;
        };
        let last = t.path.segments.last()?;
        let wanted = if mutable { "FnMut" } else { "Fn" };
        if last.ident != wanted {
            return None;
        }
        let PathArguments::Parenthesized(args) = &last.arguments else {
            return None;
        };
        Some(Callback {
            mutable,
            bound: t
                .lifetimes
                .iter()
                .flat_map(|l| &l.lifetimes)
                .filter_map(|p| match p {
                    syn::GenericParam::Lifetime(l) => Some(&l.lifetime),
                    _ => None,
                })
                .collect(),
            inputs: args.inputs.iter().map(|a| &a.ty).collect(),
            output: match &args.output {
                syn::ReturnType::Default => None,
                syn::ReturnType::Type(_, ty) => Some(&**ty),
            },
        })
    })
}

/// A callback parameter: its lifetimes elided (or its own, `for<'a>`), one
/// bound, arguments lent for the call, a result that owns its data. Whether
/// an argument borrows only for the call is proven by the compiler (the
/// runtime's `Lent`), however its type is spelled; this gives the message
/// for what is written out.
pub fn check(r: &syn::TypeReference, cb: &Callback, what: &str, errors: &mut Vec<syn::Error>) {
    let outer = r.lifetime.clone().filter(|l| l.ident != "_");
    let inner = || cb.inputs.iter().find_map(|t| named_lifetime(t, &cb.bound));
    if let Some(lifetime) = outer.or_else(inner) {
        push(
            errors,
            &lifetime,
            format!(
                "`{what}`: a callback's lifetimes must be elided, so that the \
                 host cannot keep what the plugin lends it"
            ),
        );
    }
    if let Type::TraitObject(object) = strip(&r.elem) {
        if object.bounds.len() > 1 {
            push(
                errors,
                object,
                format!(
                    "`{what}`: a callback is `&dyn Fn(..)` or `&mut dyn FnMut(..)` alone; \
                     it is called on the caller's thread during the call, so `+ Send` \
                     and other bounds are not needed"
                ),
            );
        }
    }
    for input in &cb.inputs {
        types::check(input, Position::Lent, errors);
    }
    if let Some(output) = cb.output {
        types::check(output, Position::Nested, errors);
        if has_reference(output) {
            push(
                errors,
                output,
                format!("`{what}`: a callback's result cannot borrow; return an owned value"),
            );
        }
    }
}

/// The first explicit lifetime in `ty` (`'a`, `'static`; not `'_`, nor one
/// of `except`).
pub fn named_lifetime(ty: &Type, except: &[&Lifetime]) -> Option<Lifetime> {
    struct Finder<'e> {
        except: &'e [&'e Lifetime],
        found: Option<Lifetime>,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_lifetime(&mut self, l: &'ast Lifetime) {
            let skip = l.ident == "_" || self.except.iter().any(|e| e.ident == l.ident);
            if self.found.is_none() && !skip {
                self.found = Some(l.clone());
            }
        }
    }
    let mut finder = Finder {
        except,
        found: None,
    };
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.found
}

/// `ty` with the lifetimes of `names` made `to`; others (elided ones
/// included) as written.
pub fn rebind_named(ty: &Type, names: &[&Lifetime], to: &Lifetime) -> Type {
    struct Rebind<'a> {
        names: &'a [&'a Lifetime],
        to: &'a Lifetime,
    }
    impl VisitMut for Rebind<'_> {
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            if self.names.iter().any(|n| n.ident == l.ident) {
                *l = Lifetime::new(&self.to.to_string(), l.apostrophe);
            }
        }
    }
    let mut ty = ty.clone();
    Rebind { names, to }.visit_type_mut(&mut ty);
    ty
}

/// `ty` with every elided lifetime (`&T`, `'_`) and every lifetime of
/// `bound` made `to`; other lifetimes (`'static`) stay as written.
pub fn rebind(ty: &Type, bound: &[&Lifetime], to: &Lifetime) -> Type {
    struct Rebind<'a> {
        bound: &'a [&'a Lifetime],
        to: &'a Lifetime,
    }
    impl VisitMut for Rebind<'_> {
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            if l.ident == "_" || self.bound.iter().any(|b| b.ident == l.ident) {
                *l = Lifetime::new(&self.to.to_string(), l.apostrophe);
            }
        }
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(Lifetime::new(&self.to.to_string(), r.and_token.span));
            }
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
    }
    let mut ty = ty.clone();
    Rebind { bound, to }.visit_type_mut(&mut ty);
    ty
}
