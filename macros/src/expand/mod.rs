//! Code generation. Runs only on input that passed the checks.

pub mod export;
pub mod loader;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Type;

use crate::ast::Method;
use crate::types;

/// The return type of a method, `()` when it has none.
pub fn output_type(method: &Method) -> Type {
    match method.output {
        Some(ty) => ty.clone(),
        None => syn::parse_quote!(()),
    }
}

/// The function pointer type of a method's shim:
/// `unsafe extern "C" fn(*mut c_void, <A as Abi>::Arg, ...) -> RetSlot<<R as Abi>::Ret>`.
pub fn shim_type(method: &Method) -> TokenStream {
    let args = method.args.iter().map(|a| {
        let ty = types::to_static(a.ty);
        quote!(<#ty as ::dynplug::__private::Abi>::Arg)
    });
    let ret = types::to_static(&output_type(method));
    quote! {
        unsafe extern "C" fn(
            *mut ::dynplug::__private::c_void,
            #(#args,)*
        ) -> ::dynplug::__private::RetSlot<<#ret as ::dynplug::__private::Abi>::Ret>
    }
}

/// Generated names of a method's arguments: `__dynplug_arg0`, ...
pub fn arg_names(method: &Method) -> Vec<syn::Ident> {
    (0..method.args.len())
        .map(|i| format_ident!("__dynplug_arg{}", i))
        .collect()
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
