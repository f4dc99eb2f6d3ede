//! The one place that knows, at macro time, which types may cross the
//! plugin boundary and how they are named in generated code. How each type
//! is lowered is the runtime's `Abi` trait; generated code always goes
//! through `<T as Abi>`, so aliases and paths work as the compiler sees them.

use quote::ToTokens;
use syn::visit_mut::VisitMut;
use syn::{GenericArgument, Lifetime, PathArguments, Type, TypePath};

/// What the boundary accepts, for error messages.
pub const SUPPORTED: &str = "bool, char, i8..i64, u8..u64, isize, usize, f32, f64, (), &str, \
    String, &[T] and Vec<T> of those scalars, and Option<T> of any of these";

const SCALARS: &[&str] = &[
    "bool", "char", "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize", "f32",
    "f64",
];

/// Names of well-known types that cannot cross, refused at macro time with
/// our message rather than the trait-bound error.
const KNOWN_UNSUPPORTED: &[&str] = &[
    "HashMap",
    "BTreeMap",
    "HashSet",
    "BTreeSet",
    "VecDeque",
    "LinkedList",
    "BinaryHeap",
    "Box",
    "Rc",
    "Arc",
    "Cow",
    "Result",
    "PathBuf",
    "Path",
    "OsString",
    "OsStr",
    "CString",
    "CStr",
    "Mutex",
    "RwLock",
    "RefCell",
    "Cell",
    "u128",
    "i128",
];

/// Where a type appears.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Argument,
    Return,
}

/// Checks `ty` against what the boundary accepts; pushes an error spanned
/// on the offending tokens for each problem found.
pub fn check(ty: &Type, position: Position, errors: &mut Vec<syn::Error>) {
    let what = text(ty);
    let mut err = |tokens: &dyn ToTokens, message: String| {
        errors.push(syn::Error::new_spanned(tokens.to_token_stream(), message))
    };
    match ty {
        Type::Paren(p) => check(&p.elem, position, errors),
        Type::Group(g) => check(&g.elem, position, errors),
        Type::Tuple(t) if t.elems.is_empty() => {}
        Type::Tuple(t) => err(
            t,
            format!("tuples cannot cross the plugin boundary yet; supported types: {SUPPORTED}"),
        ),
        Type::Reference(r) => {
            if let Some(m) = &r.mutability {
                err(
                    m,
                    format!(
                        "`{what}`: mutable references cannot cross the plugin boundary yet; \
                         pass the value and return the result (supported types: {SUPPORTED})"
                    ),
                );
                return;
            }
            match &*r.elem {
                Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {}
                Type::Slice(s) => check_element(&s.elem, &what, errors),
                other => errors.push(syn::Error::new_spanned(
                    other,
                    format!(
                        "`{what}`: only `&str` and `&[T]` cross the plugin boundary by \
                         reference; pass the value itself (supported types: {SUPPORTED})"
                    ),
                )),
            }
        }
        Type::Path(p) => check_path(p, position, &what, errors),
        Type::ImplTrait(t) => err(
            t,
            format!(
                "`impl Trait` cannot cross the plugin boundary: the plugin exports one \
                 compiled function per method; use a concrete type such as `&str` \
                 (supported types: {SUPPORTED})"
            ),
        ),
        Type::TraitObject(t) => err(
            t,
            format!("trait objects cannot cross the plugin boundary; supported types: {SUPPORTED}"),
        ),
        Type::Ptr(p) => err(
            p,
            format!(
                "raw pointers cannot cross a plugin boundary safely; supported types: {SUPPORTED}"
            ),
        ),
        Type::FnPtr(f) => err(
            f,
            format!(
                "function pointers cannot cross the plugin boundary; supported types: {SUPPORTED}"
            ),
        ),
        Type::Array(a) => err(
            a,
            format!(
                "arrays cannot cross the plugin boundary yet; use `&[T]` or `Vec<T>` \
                 (supported types: {SUPPORTED})"
            ),
        ),
        Type::Slice(s) => err(
            s,
            format!(
                "a bare slice has no size; use `&[T]` or `Vec<T>` (supported types: {SUPPORTED})"
            ),
        ),
        other => err(
            other,
            format!("this type cannot cross the plugin boundary; supported types: {SUPPORTED}"),
        ),
    }
}

fn check_path(p: &TypePath, position: Position, what: &str, errors: &mut Vec<syn::Error>) {
    let Some(last) = p.path.segments.last() else {
        return;
    };
    if p.qself.is_some() {
        errors.push(syn::Error::new_spanned(
            p,
            format!("`{what}`: qualified paths cannot cross the plugin boundary; name the type"),
        ));
        return;
    }
    let name = last.ident.to_string();
    let args = generic_types(&last.arguments);
    match name.as_str() {
        "Self" => errors.push(syn::Error::new_spanned(
            p,
            "`Self` cannot cross the plugin boundary: the host does not know the plugin's type",
        )),
        "Option" if args.len() == 1 => check(args[0], position, errors),
        "Vec" if args.len() == 1 => check_element(args[0], what, errors),
        n if KNOWN_UNSUPPORTED.contains(&n) => errors.push(syn::Error::new_spanned(
            p,
            format!("`{what}` cannot cross the plugin boundary; supported types: {SUPPORTED}"),
        )),
        // Everything else (scalars, String, aliases) is checked by the
        // compiler through the `Abi` trait, whose message lists what works.
        _ => {}
    }
}

/// The element of `&[T]` or `Vec<T>` must be a scalar.
fn check_element(elem: &Type, what: &str, errors: &mut Vec<syn::Error>) {
    let is_scalar_name = |p: &TypePath| {
        p.path
            .segments
            .last()
            .is_some_and(|s| SCALARS.contains(&s.ident.to_string().as_str()))
    };
    let known_non_scalar = match elem {
        Type::Path(p) if is_scalar_name(p) => false,
        // An alias of a scalar is fine; the compiler checks it (`Scalar`).
        Type::Path(p) => {
            let name = p.path.segments.last().map(|s| s.ident.to_string());
            matches!(name.as_deref(), Some("String" | "Option" | "Vec" | "Self"))
                || name
                    .as_deref()
                    .is_some_and(|n| KNOWN_UNSUPPORTED.contains(&n))
        }
        _ => true,
    };
    if known_non_scalar {
        errors.push(syn::Error::new_spanned(
            elem,
            format!(
                "`{what}`: slices and vectors cross the plugin boundary only with scalar \
                 elements (bool, char, integers, floats) for now"
            ),
        ));
    }
}

fn generic_types(args: &PathArguments) -> Vec<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `ty` with every lifetime, named or elided, made `'static`: lowered forms
/// do not depend on lifetimes, and this lets generated items that have no
/// lifetimes of their own (fn pointer fields, consts) name them.
pub fn to_static(ty: &Type) -> Type {
    struct Statics;
    impl VisitMut for Statics {
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            *l = Lifetime::new("'static", l.apostrophe);
        }
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(Lifetime::new("'static", r.and_token.span));
            }
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
    }
    let mut ty = ty.clone();
    Statics.visit_type_mut(&mut ty);
    ty
}

/// A type as a person writes it: `&str`, `Option<Vec<u8>>`.
pub fn text(ty: &Type) -> String {
    match ty {
        Type::Paren(p) => text(&p.elem),
        Type::Group(g) => text(&g.elem),
        Type::Reference(r) => {
            let mut s = String::from("&");
            if let Some(l) = &r.lifetime {
                s += &format!("{l} ");
            }
            if r.mutability.is_some() {
                s += "mut ";
            }
            s + &text(&r.elem)
        }
        Type::Slice(s) => format!("[{}]", text(&s.elem)),
        Type::Tuple(t) => {
            let elems: Vec<String> = t.elems.iter().map(text).collect();
            if elems.len() == 1 {
                format!("({},)", elems[0])
            } else {
                format!("({})", elems.join(", "))
            }
        }
        Type::Path(p) if p.qself.is_none() => {
            let mut s = String::new();
            if p.path.leading_colon.is_some() {
                s += "::";
            }
            let segments: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|seg| {
                    let mut s = seg.ident.to_string();
                    if let PathArguments::AngleBracketed(a) = &seg.arguments {
                        let args: Vec<String> = a
                            .args
                            .iter()
                            .map(|arg| match arg {
                                GenericArgument::Type(t) => text(t),
                                other => tokens_text(other),
                            })
                            .collect();
                        s += &format!("<{}>", args.join(", "));
                    }
                    s
                })
                .collect();
            s + &segments.join("::")
        }
        other => tokens_text(other),
    }
}

/// Tokens as text, with the spaces `to_string` puts around punctuation
/// taken out where a person would not write them.
pub fn tokens_text(tokens: &dyn ToTokens) -> String {
    let s = tokens.to_token_stream().to_string();
    s.replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace("' ", "'")
}

/// Whether `ty` names `lifetime` anywhere.
pub fn mentions_lifetime(ty: &Type, lifetime: &Lifetime) -> bool {
    struct Finder<'a> {
        lifetime: &'a Lifetime,
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_lifetime(&mut self, l: &'ast Lifetime) {
            self.found |= l.ident == self.lifetime.ident;
        }
    }
    let mut finder = Finder {
        lifetime,
        found: false,
    };
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.found
}

/// A returned borrow must borrow from `self`: its lifetime is elided (so
/// tied to the receiver) or the receiver's own. Anything else (`'static`, a
/// lifetime of an argument only) could outlive the plugin's library.
pub fn check_return_lifetimes(
    ty: &Type,
    receiver: Option<&Lifetime>,
    errors: &mut Vec<syn::Error>,
) {
    struct Checker<'a> {
        receiver: Option<&'a Lifetime>,
        errors: &'a mut Vec<syn::Error>,
    }
    impl<'ast> syn::visit::Visit<'ast> for Checker<'_> {
        fn visit_lifetime(&mut self, l: &'ast Lifetime) {
            let ok = l.ident == "_" || self.receiver.is_some_and(|r| r.ident == l.ident);
            if !ok {
                self.errors.push(syn::Error::new_spanned(
                    l,
                    format!(
                        "a borrowed return value must borrow from `self`, not `{l}`: the \
                         loader keeps the plugin's library loaded only while it is borrowed; \
                         elide the lifetime (`fn f(&self) -> &str`), use the receiver's \
                         (`fn f<'a>(&'a self, ..) -> &'a str`), or return an owned value"
                    ),
                ));
            }
        }
    }
    let mut checker = Checker { receiver, errors };
    syn::visit::Visit::visit_type(&mut checker, ty);
}
