//! The one place that knows, at macro time, which types may cross the
//! plugin boundary and how they are named in generated code. How each type
//! is lowered is the runtime's `Abi` trait; generated code always goes
//! through `<T as Abi>`, so aliases and paths work as the compiler sees them.

use quote::ToTokens;
use syn::visit_mut::VisitMut;
use syn::{GenericArgument, Lifetime, PathArguments, Type, TypePath};

use crate::callback::{self, Callback};

/// What the boundary accepts, for error messages.
pub const SUPPORTED: &str = "bool, char, integers (u128 and i128 too), f32, f64, (), \
    Duration, &str, String, Box<str>, Vec<T>, Box<[T]>, Box<T>, arrays [T; N], PathBuf, HashMap<K, V>, BTreeMap<K, V>, HashSet<T>, BTreeSet<T>, \
    Option<T>, Result<T, E>, tuples of up to 12, types with `#[derive(dynplug::PluginType)]`; \
    `Box<dyn Trait>` of a `#[plugin_interface]` trait; as arguments also &T, &Path, &[T], \
    &mut [scalar], &mut T, `&dyn Trait`, `&mut dyn Trait`, and callbacks \
    (`&dyn Fn(A..) -> R`, `&mut dyn FnMut(A..) -> R`, either in `Option`), whose \
    arguments may borrow for the call (`&T`, `&[T]`, `Option<&T>`)";

use dynplug_rules::SCALARS;

/// Names of well-known types that cannot cross, refused at macro time with
/// our message rather than the trait-bound error.
const KNOWN_UNSUPPORTED: &[&str] = &[
    "VecDeque",
    "LinkedList",
    "BinaryHeap",
    "Rc",
    "Arc",
    "Cow",
    "OsString",
    "OsStr",
    "CString",
    "CStr",
    "Mutex",
    "RwLock",
    "RefCell",
    "Cell",
];

/// The most elements a tuple at the boundary may have.
use dynplug_rules::limit::TUPLE as MAX_TUPLE;

/// Where a type appears.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Argument,
    Return,
    /// Inside another type (an element, a field): only plain values.
    Nested,
    /// A callback's argument, or inside one: lent to the host's closure for
    /// the call, so shared borrows of any supported type are fine.
    Lent,
}

impl Position {
    /// The position of what a tuple, `Option`, `Vec` or `Result` in this
    /// position holds.
    fn inner(self) -> Position {
        match self {
            Position::Lent => Position::Lent,
            _ => Position::Nested,
        }
    }
}

/// How a parameter crosses, decided from how its type is written.
pub enum ArgKind<'a> {
    /// A value of a type with `Abi` (including `&str` and `Option<&str>`).
    Value,
    /// `&T`: lowered like `T`; the plugin gets a copy for the call (unless
    /// `T` crosses in place).
    Ref(&'a Type),
    /// `&[T]`: in place for scalars, else copied for the call.
    Slice(&'a Type),
    /// `&[T; N]`: as `&[T]`, and viewed as the array (never copied onto
    /// the stack whole: it may be large).
    ArrayRef(&'a syn::TypeArray),
    /// `&mut [T]` of scalars: lent in place.
    MutSlice(&'a Type),
    /// `&mut T`: copied in, written back after the call.
    MutRef(&'a Type),
    /// `&dyn Fn(A..) -> R` or `&mut dyn FnMut(A..) -> R`.
    Callback(Callback<'a>),
    /// `Option<&dyn Fn(A..) -> R>` or `Option<&mut dyn FnMut(A..) -> R>`:
    /// a callback or none; the reference type is kept for the checks.
    OptionalCallback(Callback<'a>, &'a syn::TypeReference),
    /// `&dyn Trait` of an interface: the object lent for the call; the
    /// type is the trait object, `dyn Trait`.
    ObjectRef(&'a syn::TypeTraitObject),
    /// `&mut dyn Trait`: lent exclusively for the call.
    ObjectMut(&'a syn::TypeTraitObject),
    /// `Box<dyn Trait>`: the object handed over to the other side.
    ObjectBox(&'a syn::TypeTraitObject),
}

impl ArgKind<'_> {
    /// The trait object of an object argument.
    pub fn object(&self) -> Option<&syn::TypeTraitObject> {
        match self {
            ArgKind::ObjectRef(t) | ArgKind::ObjectMut(t) | ArgKind::ObjectBox(t) => Some(t),
            _ => None,
        }
    }
}

/// The callback in `Option<&dyn Fn(..)>` (or `Option<&mut dyn FnMut(..)>`),
/// if `ty` is written so.
fn optional_callback(ty: &Type) -> Option<(Callback<'_>, &syn::TypeReference)> {
    let Type::Path(p) = strip(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    if p.qself.is_some() || last.ident != "Option" {
        return None;
    }
    let [inner] = generic_types(&last.arguments)[..] else {
        return None;
    };
    let Type::Reference(r) = strip(inner) else {
        return None;
    };
    callback::parse(strip(&r.elem), r.mutability.is_some()).map(|cb| (cb, r))
}

/// `dyn Trait` in `Box<dyn Trait>`, if `ty` is written so.
pub fn boxed_object(ty: &Type) -> Option<&syn::TypeTraitObject> {
    let Type::Path(p) = strip(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    if p.qself.is_some() || last.ident != "Box" {
        return None;
    }
    match generic_types(&last.arguments).as_slice() {
        [inner] => match strip(inner) {
            Type::TraitObject(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// How the parameter of type `ty` crosses.
pub fn arg_kind(ty: &Type) -> ArgKind<'_> {
    let Type::Reference(r) = strip(ty) else {
        if let Some((cb, r)) = optional_callback(ty) {
            return ArgKind::OptionalCallback(cb, r);
        }
        return match boxed_object(ty) {
            Some(object) => ArgKind::ObjectBox(object),
            None => ArgKind::Value,
        };
    };
    let elem = strip(&r.elem);
    if let Some(callback) = callback::parse(elem, r.mutability.is_some()) {
        return ArgKind::Callback(callback);
    }
    match (elem, r.mutability.is_some()) {
        (Type::TraitObject(t), true) => ArgKind::ObjectMut(t),
        (Type::TraitObject(t), false) => ArgKind::ObjectRef(t),
        (Type::Slice(s), true) => ArgKind::MutSlice(&s.elem),
        (_, true) => ArgKind::MutRef(&r.elem),
        (Type::Slice(s), false) => ArgKind::Slice(&s.elem),
        (Type::Array(a), false) => ArgKind::ArrayRef(a),
        (Type::Path(p), false) if p.qself.is_none() && p.path.is_ident("str") => ArgKind::Value,
        (_, false) => ArgKind::Ref(&r.elem),
    }
}

pub(crate) fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip(&p.elem),
        Type::Group(g) => strip(&g.elem),
        other => other,
    }
}

pub(crate) fn push(errors: &mut Vec<syn::Error>, tokens: &dyn ToTokens, message: String) {
    errors.push(syn::Error::new_spanned(tokens.to_token_stream(), message));
}

/// Checks `ty` against what the boundary accepts; pushes an error spanned
/// on the offending tokens for each problem found.
pub fn check(ty: &Type, position: Position, errors: &mut Vec<syn::Error>) {
    let what = text(ty);
    match ty {
        Type::Paren(p) => check(&p.elem, position, errors),
        Type::Group(g) => check(&g.elem, position, errors),
        Type::Tuple(t) if t.elems.len() > MAX_TUPLE => push(
            errors,
            t,
            format!(
                "tuples of more than {MAX_TUPLE} elements cannot cross the plugin boundary; group them in a struct with `#[derive(dynplug::PluginType)]`"
            ),
        ),
        Type::Tuple(t) => {
            for elem in &t.elems {
                check(elem, position.inner(), errors);
            }
        }
        Type::Reference(r) => check_reference(r, position, &what, errors),
        Type::Path(p) => check_path(p, position, &what, errors),
        Type::ImplTrait(t) => push(
            errors,
            t,
            format!(
                "`impl Trait` cannot cross the plugin boundary: the plugin exports one \
                 compiled function per method; use a concrete type such as `&str` \
                 (supported types: {SUPPORTED})"
            ),
        ),
        Type::TraitObject(t) => push(
            errors,
            t,
            "this trait object cannot cross the plugin boundary: objects of a \
             `#[plugin_interface]` trait cross as return values, `Box<dyn Trait>`, and \
             callbacks as arguments, `&dyn Fn(A..) -> R` or `&mut dyn FnMut(A..) -> R`"
                .to_owned(),
        ),
        Type::Ptr(p) => push(
            errors,
            p,
            format!(
                "raw pointers cannot cross a plugin boundary safely; supported types: {SUPPORTED}"
            ),
        ),
        Type::FnPtr(f) => push(
            errors,
            f,
            "function pointers cannot cross the plugin boundary; take a callback, \
             `&dyn Fn(A..) -> R`, instead (`Option<&dyn Fn(A..) -> R>` when it is optional)"
                .to_owned(),
        ),
        // Its length is the compiler's to check (a constant expression).
        Type::Array(a) => check(&a.elem, position.inner(), errors),
        Type::Slice(s) => push(
            errors,
            s,
            format!(
                "a bare slice has no size; use `&[T]` or `Vec<T>` (supported types: {SUPPORTED})"
            ),
        ),
        other => push(
            errors,
            other,
            format!("this type cannot cross the plugin boundary; supported types: {SUPPORTED}"),
        ),
    }
}

fn check_reference(
    r: &syn::TypeReference,
    position: Position,
    what: &str,
    errors: &mut Vec<syn::Error>,
) {
    let elem = strip(&r.elem);
    let is_str = matches!(elem, Type::Path(p) if p.qself.is_none() && p.path.is_ident("str"));
    match position {
        Position::Argument => match arg_kind(&Type::Reference(r.clone())) {
            ArgKind::Value => {}
            ArgKind::MutRef(t) if has_reference(t) => push(
                errors,
                t,
                format!(
                    "`{what}`: a `&mut` argument is written back with the plugin's value, so \
                     its type must own its data (a borrow could point into the plugin); use \
                     `&mut String` or `&mut Vec<T>`"
                ),
            ),
            // `&Path`: its own `RefArg`, checked by the compiler.
            ArgKind::Ref(t) if is_path(t) => {}
            ArgKind::Ref(t) | ArgKind::Slice(t) | ArgKind::MutRef(t) => {
                check(t, Position::Nested, errors)
            }
            ArgKind::ArrayRef(a) => check(&a.elem, Position::Nested, errors),
            ArgKind::MutSlice(t) => check_scalar(t, what, errors),
            ArgKind::Callback(cb) => callback::check(r, &cb, what, errors),
            ArgKind::ObjectRef(t) | ArgKind::ObjectMut(t) | ArgKind::ObjectBox(t) => {
                check_object(t, what, errors)
            }
            // A path, never a reference: checked in `check_path`.
            ArgKind::OptionalCallback(..) => {}
        },
        Position::Lent => match (&r.mutability, elem) {
            (Some(m), _) => push(
                errors,
                m,
                format!(
                    "`{what}`: a callback's arguments are lent to the host for the call and \
                     cannot be `&mut`; pass the value, or return the new one"
                ),
            ),
            (None, _) if is_str || is_path(elem) => {}
            (None, other) => {
                let elem = match other {
                    Type::Slice(s) => &*s.elem,
                    other => other,
                };
                // One error per mistake: a borrow inside is reported only
                // of a type that is otherwise fine.
                let before = errors.len();
                check(elem, Position::Nested, errors);
                if errors.len() == before && has_reference(elem) {
                    push(
                        errors,
                        elem,
                        format!(
                            "`{what}`: a callback gets a copy of this value for the call, so \
                             what it holds must own its data; use `String` or `Vec<T>` inside"
                        ),
                    );
                }
            }
        },
        Position::Return | Position::Nested => {
            if let Some(m) = &r.mutability {
                push(
                    errors,
                    m,
                    format!(
                        "`{what}`: mutable references cross the plugin boundary only as \
                         arguments; return the value instead"
                    ),
                );
                return;
            }
            match elem {
                _ if is_str => {}
                Type::Slice(s) => check_scalar(&s.elem, what, errors),
                Type::TraitObject(t) if is_closure(t) => push(
                    errors,
                    r,
                    format!(
                        "`{what}`: a callback crosses only as a method's argument, by itself \
                         (`&dyn Fn(A..) -> R`), or as an optional callback \
                         (`Option<&dyn Fn(A..) -> R>`); not returned, and not inside another \
                         type"
                    ),
                ),
                other if is_path(other) => push(
                    errors,
                    other,
                    format!(
                        "`{what}`: a path crosses by reference only as an argument of a \
                         method or a callback; use `PathBuf` to hand a path over"
                    ),
                ),
                other => push(
                    errors,
                    other,
                    format!(
                        "`{what}`: inside a return value or another type, only `&str` and \
                         `&[T]` of scalars cross by reference; use the value itself"
                    ),
                ),
            }
        }
    }
}

/// Whether `ty` is written as `Path` (`std::path::Path`): its `&Path` is
/// lent by the runtime's `RefArg` and `CallbackArg`, which the compiler
/// checks on the resolved type (another type of that name is checked the
/// same way).
fn is_path(ty: &Type) -> bool {
    matches!(strip(ty), Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|l| l.ident == "Path" && l.arguments.is_none()))
}

/// Whether `p` may name std's `Path`: `Path` alone, or by its module
/// (`std::path::Path`, `path::Path`). A type of the user's own of that
/// name is named by its module instead (`crate::model::Path`).
fn is_std_path(p: &TypePath) -> bool {
    let n = p.path.segments.len();
    n == 1 || p.path.segments[n - 2].ident == "path"
}

fn check_path(p: &TypePath, position: Position, what: &str, errors: &mut Vec<syn::Error>) {
    let Some(last) = p.path.segments.last() else {
        return;
    };
    if p.qself.is_some() {
        push(
            errors,
            p,
            format!("`{what}`: qualified paths cannot cross the plugin boundary; name the type"),
        );
        return;
    }
    let name = last.ident.to_string();
    let args = generic_types(&last.arguments);
    match name.as_str() {
        "Self" => push(
            errors,
            p,
            "`Self` cannot cross the plugin boundary: the host does not know the plugin's type"
                .to_owned(),
        ),
        "Option"
            if position == Position::Argument
                && optional_callback(&Type::Path(p.clone())).is_some() =>
        {
            if let Some((cb, r)) = optional_callback(&Type::Path(p.clone())) {
                callback::check(r, &cb, what, errors);
            }
        }
        "Option" | "Vec" | "Result" | "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet" => {
            for arg in args {
                check(arg, position.inner(), errors);
            }
        }
        "Box" => check_box(p, &args, position, what, errors),
        // std's `Path`, as it is spelled (a user's type of that name, named
        // by its module, is the compiler's to check).
        "Path" if is_std_path(p) => push(
            errors,
            p,
            format!(
                "`{what}` has no size of its own: it crosses as `&Path`, an argument of a \
                 method or a callback; use `PathBuf` to hand a path over (a type of your \
                 own named `Path`: name it by its module, `crate::..::Path`)"
            ),
        ),
        n if KNOWN_UNSUPPORTED.contains(&n) => push(
            errors,
            p,
            format!("`{what}` cannot cross the plugin boundary; supported types: {SUPPORTED}"),
        ),
        // Everything else (scalars, String, aliases, user types) is checked
        // by the compiler through the `Abi` trait, whose message lists what
        // works.
        _ => {}
    }
}

/// `Box<dyn Trait>`, an object of a `#[plugin_interface]` trait (the
/// compiler checks that it is one, through `Abi`): crosses as a return
/// value, alone or inside another type, and as an argument by itself
/// (inside another type, `Abi::OBJECTS` refuses it).
fn check_box(
    p: &TypePath,
    args: &[&Type],
    position: Position,
    what: &str,
    errors: &mut Vec<syn::Error>,
) {
    // `Box<str>` crosses as a `String`, `Box<[T]>` as a `Vec<T>`, `Box<T>`
    // as its `T`.
    if let [ty] = args {
        match strip(ty) {
            Type::Path(s) if s.qself.is_none() && s.path.is_ident("str") => return,
            Type::Slice(s) => return check(&s.elem, position.inner(), errors),
            Type::TraitObject(_) => {}
            other => return check(other, position.inner(), errors),
        }
    }
    let object = match args {
        [ty] => match strip(ty) {
            Type::TraitObject(t) => Some(t),
            _ => None,
        },
        _ => None,
    };
    let Some(object) = object else {
        push(
            errors,
            p,
            format!(
                "`{what}` cannot cross the plugin boundary: a `Box` takes one type, a value \
                 that crosses or an object of a `#[plugin_interface]` trait (`Box<dyn Trait>`)"
            ),
        );
        return;
    };
    if is_closure(object) {
        push(
            errors,
            p,
            format!(
                "`{what}`: a closure cannot be handed over, its code is in the library that \
                 made it; take a callback for the call, `&dyn Fn(A..) -> R` (or \
                 `Option<&dyn Fn(A..) -> R>` when it is optional), or for the other side \
                 to keep, an object of a `#[plugin_interface]` trait, `Box<dyn Trait>`"
            ),
        );
        return;
    }
    check_object(object, what, errors);
    if let Some(l) = object.bounds.iter().find_map(|b| match b {
        syn::TypeParamBound::Lifetime(l) if l.ident != "static" => Some(l),
        _ => None,
    }) {
        push(
            errors,
            l,
            format!(
                "`{what}`: an object handed over lives as long as its owner keeps it, so it \
                 cannot borrow (`{l}`); make it own its data, or lend it for a call \
                 (`&dyn Trait`)"
            ),
        );
    }
    if position == Position::Lent {
        push(
            errors,
            p,
            format!(
                "`{what}`: a callback's arguments are lent to the host for the call; an \
                 object is passed to a method, as `Box<dyn Trait>`, `&dyn Trait` or \
                 `&mut dyn Trait`"
            ),
        );
    }
}

/// Whether `object` is a closure's trait object (`dyn Fn(..)`,
/// `dyn FnMut(..)`, `dyn FnOnce(..)`), which only a callback argument lends.
fn is_closure(object: &syn::TypeTraitObject) -> bool {
    object.bounds.iter().any(|b| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|l| {
            matches!(l.ident.to_string().as_str(), "Fn" | "FnMut" | "FnOnce")
                && matches!(l.arguments, syn::PathArguments::Parenthesized(_))
        }),
        _ => false,
    })
}

/// The trait object of an object (`Box<dyn Trait>`, `&dyn Trait`): one
/// trait, which the compiler checks is a `#[plugin_interface]` (through
/// `ObjectInterface`), and no other bound but lifetimes.
fn check_object(object: &syn::TypeTraitObject, what: &str, errors: &mut Vec<syn::Error>) {
    let traits = object
        .bounds
        .iter()
        .filter(|b| matches!(b, syn::TypeParamBound::Trait(_)))
        .count();
    let others = object
        .bounds
        .iter()
        .filter(|b| {
            !matches!(
                b,
                syn::TypeParamBound::Trait(_) | syn::TypeParamBound::Lifetime(_)
            )
        })
        .count();
    if traits != 1 || others != 0 {
        push(
            errors,
            object,
            format!(
                "`{what}`: an object crosses as `dyn Trait` of one `#[plugin_interface]` \
                 trait, with no other bounds; whether it is `Send` or `Sync` follows the \
                 trait's supertraits"
            ),
        );
    }
}

/// Whether `ty` is, as written, a type that crosses: a scalar, `()`,
/// `String`, `&str`, or `Vec`, `Option`, `Result`, a tuple, `&T` or `&[T]`
/// of such. Only a hint for where the compiler reports an error (a user's
/// type named like a scalar would fool it), never a check.
pub fn known_to_cross(ty: &Type) -> bool {
    match strip(ty) {
        Type::Tuple(t) => t.elems.iter().all(known_to_cross),
        Type::Reference(r) => match &*r.elem {
            Type::Slice(s) => known_to_cross(&s.elem),
            Type::Path(p) if p.path.is_ident("str") => true,
            elem => known_to_cross(elem),
        },
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            match &last.arguments {
                syn::PathArguments::None => SCALARS.contains(&name.as_str()) || name == "String",
                syn::PathArguments::AngleBracketed(a)
                    if matches!(name.as_str(), "Vec" | "Option" | "Result") =>
                {
                    a.args.iter().all(|arg| match arg {
                        syn::GenericArgument::Type(t) => known_to_cross(t),
                        _ => false,
                    })
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The element of `&mut [T]` must be a scalar.
fn check_scalar(elem: &Type, what: &str, errors: &mut Vec<syn::Error>) {
    let known_non_scalar = match strip(elem) {
        Type::Path(p) => {
            let name = p.path.segments.last().map(|s| s.ident.to_string());
            // An alias of a scalar is fine; the compiler checks it (`Scalar`).
            !name.as_deref().is_some_and(|n| SCALARS.contains(&n))
                && matches!(
                    name.as_deref(),
                    Some("String" | "Option" | "Vec" | "Result" | "Self")
                )
        }
        _ => true,
    };
    if known_non_scalar {
        push(
            errors,
            elem,
            format!(
                "`{what}`: this slice crosses in place, so its elements must be scalars \
                 (bool, char, integers, floats)"
            ),
        );
    }
}

pub(crate) fn generic_types(args: &PathArguments) -> Vec<&Type> {
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

/// `ty` with every named lifetime but `'static` made `'_`, to be inferred:
/// for a type named in an expression of a shim, which does not declare the
/// method's own lifetimes (`lift_slice::<&'_ str>` for `&'b [&'b str]`).
pub fn to_elided(ty: &Type) -> Type {
    struct Elide;
    impl VisitMut for Elide {
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            if l.ident != "static" {
                *l = Lifetime::new("'_", l.apostrophe);
            }
        }
    }
    let mut ty = ty.clone();
    Elide.visit_type_mut(&mut ty);
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
        Type::Array(a) => {
            let len = &a.len;
            format!("[{}; {}]", text(&a.elem), quote::quote!(#len))
        }
        Type::FnPtr(f) => {
            let mut s = String::new();
            if f.unsafety.is_some() {
                s += "unsafe ";
            }
            if let Some(abi) = &f.abi {
                s += "extern ";
                if let Some(name) = &abi.name {
                    s += &format!("{:?} ", name.value());
                }
            }
            let args: Vec<String> = f.inputs.iter().map(|a| text(&a.ty)).collect();
            s += &format!("fn({})", args.join(", "));
            if let syn::ReturnType::Type(_, ty) = &f.output {
                s += &format!(" -> {}", text(ty));
            }
            s
        }
        Type::Ptr(p) => {
            let kind = match p.mutability {
                syn::PointerMutability::Mut(_) => "mut",
                _ => "const",
            };
            format!("*{kind} {}", text(&p.elem))
        }
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

/// Whether `ty` has a `&` anywhere.
pub fn has_reference(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_reference(&mut self, _: &'ast syn::TypeReference) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}
