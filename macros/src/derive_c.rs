//! `#[derive(CType)]`: marks a `#[repr(C)]` type as having a C
//! representation, for `c_library` bindings. Checks the `repr` and that
//! every field is a C type.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput};

use crate::valid::Errors;

/// The `repr` names the type has: `C`, `transparent`, `u8`...
fn reprs(input: &DeriveInput) -> Vec<String> {
    let mut out = Vec::new();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let _ = attr.parse_nested_meta(|meta| {
            if let Some(ident) = meta.path.get_ident() {
                out.push(ident.to_string());
            }
            // `align(8)` and the like carry a value.
            if meta.input.peek(syn::token::Paren) {
                let _ = meta.input.parse::<proc_macro2::Group>();
            }
            Ok(())
        });
    }
    out
}

pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let reprs = reprs(input);
    let has = |name: &str| reprs.iter().any(|r| r == name);
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        errors.spanned(&input.generics, "a `CType` cannot be generic");
    }
    let fields: Vec<&syn::Type> = match &input.data {
        Data::Struct(data) => {
            if !has("C") && !has("transparent") {
                errors.spanned(
                    name,
                    "a `CType` struct needs `#[repr(C)]` (or `#[repr(transparent)]`): \
                     without it, Rust may reorder its fields",
                );
            }
            data.fields.iter().map(|f| &f.ty).collect()
        }
        Data::Enum(_) => {
            errors.spanned(
                name,
                "a C enum crosses as its integer type (`c_int`, say): a value the C \
                 side returns that is none of the Rust enum's variants would be undefined \
                 behaviour; convert it with `TryFrom` after the call",
            );
            Vec::new()
        }
        Data::Union(data) => {
            if !has("C") {
                errors.spanned(name, "a `CType` union needs `#[repr(C)]`");
            }
            data.fields.named.iter().map(|f| &f.ty).collect()
        }
    };
    if has("packed") {
        errors.spanned(
            name,
            "a `#[repr(packed)]` type matches C only if the C side is packed too, and \
             references to its fields are unaligned; bind it as bytes instead",
        );
    }
    if !errors.is_empty() {
        return errors.to_compile_errors();
    }
    let bounds = fields
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #ty: ::dynplug::CType,));
    quote! {
        // SAFETY: the type is `#[repr(C)]` (checked above) and each field is
        // held to `CType`.
        #[automatically_derived]
        unsafe impl ::dynplug::CType for #name where #(#bounds)* {}
    }
}
