//! Which types a `#[plugin_interface(c_library)]` method may use: those
//! with a C representation. Paths are left to the compiler (the runtime's
//! `CType` trait), except well-known Rust types refused here with a message.

use quote::ToTokens;
use syn::Type;

use crate::types::{generic_types, push, strip, text};

/// What a `c_library` method accepts, for error messages.
pub const SUPPORTED_C: &str = "integers, floats, bool, raw pointers (`*const c_char`, \
    `*mut T`), `extern \"C\" fn` pointers (in an `Option` when they may be null), and \
    `#[repr(C)]` types with `#[derive(dynplug::CType)]`";

/// Names that are surely no function pointer, in an `Option`: refused with
/// the macro's own message rather than left to the compiler.
const NOT_FN: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "char", "c_char", "c_int", "c_uint", "c_long", "c_ulong", "c_void", "String",
    "Vec", "str", "Box", "Rc", "Arc", "Option", "Result", "HashMap", "NonNull",
];

/// Checks a type of a `c_library` method: it must have a C representation.
/// Paths are left to the compiler (`CType`), except well-known Rust types.
pub fn check_c(ty: &Type, errors: &mut Vec<syn::Error>) {
    let what = text(ty);
    let refuse = |errors: &mut Vec<syn::Error>, tokens: &dyn ToTokens, why: &str| {
        push(
            errors,
            tokens,
            format!("`{what}` {why}; a C function takes {SUPPORTED_C}"),
        )
    };
    match strip(ty) {
        Type::Tuple(t) if t.elems.is_empty() => {}
        Type::Ptr(_) => {}
        Type::FnPtr(f) => {
            let is_c = f
                .abi
                .as_ref()
                .and_then(|abi| abi.name.as_ref())
                .is_some_and(|name| name.value() == "C");
            if !is_c {
                refuse(
                    errors,
                    f,
                    "is not a C function pointer (write `extern \"C\" fn`)",
                );
            }
        }
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return;
            };
            let name = last.ident.to_string();
            match name.as_str() {
                "char" => refuse(
                    errors,
                    p,
                    "has no C equivalent (a Rust `char` is a Unicode scalar value; use `u32` or `c_char`)",
                ),
                "String" | "Vec" | "str" | "Result" | "Box" | "Rc" | "Arc" | "HashMap" => {
                    refuse(errors, p, "is a Rust type with no C representation")
                }
                "Option" => {
                    let inner = generic_types(&last.arguments);
                    // A name that may be an alias of an `extern "C" fn`
                    // (`type Cmp = extern "C" fn(..)`): the compiler checks
                    // `Option<Cmp>: CType`, which only such pointers are.
                    let maybe_alias = matches!(
                        inner.first().map(|t| strip(t)),
                        Some(Type::Path(q)) if q.qself.is_none()
                            && !q.path.segments.last().is_some_and(|s| {
                                NOT_FN.contains(&s.ident.to_string().as_str())
                            })
                    );
                    if maybe_alias {
                        return;
                    }
                    if !matches!(inner.first().map(|t| strip(t)), Some(Type::FnPtr(_))) {
                        refuse(
                            errors,
                            p,
                            "is not a C type (only an `Option` of an `extern \"C\" fn` is: a nullable function pointer)",
                        );
                    } else if let Some(inner) = inner.first() {
                        check_c(inner, errors);
                    }
                }
                _ => {}
            }
        }
        Type::Reference(r) => refuse(
            errors,
            r,
            "is a Rust reference; C takes raw pointers (`*const T`, `*mut T`)",
        ),
        other => refuse(errors, other, "has no C representation"),
    }
}
