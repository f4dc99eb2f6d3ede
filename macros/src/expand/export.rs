//! `#[plugin_export]`: the impl itself, then one `extern "C"` shim per
//! method, the instance's constructor and destructor, and the two symbols
//! the host looks for: the interface's metadata record and the table of
//! those functions.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{abi, arg_names, output_type, params};
use crate::ast::{Export, Method, Receiver, unraw};
use crate::attr::ExportArgs;
use crate::{names, types};

pub fn expand(export: &Export, args: &ExportArgs, name: &str) -> TokenStream {
    let item = export.item;
    let trait_path = export.trait_path;
    let self_ty = export.self_ty;
    let interface = quote_spanned!(trait_path.span()=>
        <dyn #trait_path as ::dynplug::__private::Interface>
    );
    let ctor = match &args.new {
        Some(path) => quote!(#path),
        None => quote_spanned!(self_ty.span()=>
            <#self_ty as ::dynplug::__private::DefaultInstance>::build_default
        ),
    };
    let name_lit = Literal::string(name);
    let name_check = format!(
        "dynplug: `#[plugin_export]` needs the interface trait under its own name \
         (`{name}` here names another trait); write its path, not a `use ... as` alias"
    );
    let meta_symbol = names::meta(name);
    let vtable_symbol = names::vtable(name);
    let shims = export.methods.iter().map(|m| shim(export, m));
    let entries = export.methods.iter().map(|m| {
        let method_name = Literal::string(&unraw(m.ident()));
        let shim_name = shim_name(m);
        quote!((#method_name, #shim_name as *const ::dynplug::__private::c_void))
    });
    quote! {
        #item

        #[doc(hidden)]
        const _: () = {
            // Symbol names come from the trait's name as written; make sure
            // it is the interface's own name.
            const _: () = ::core::assert!(
                ::dynplug::__private::str_eq(#interface::DESC.name, #name_lit),
                #name_check,
            );

            // The interface's record, with the panic strategy of this crate,
            // the plugin's: `cfg!` is evaluated where this code is compiled.
            #[unsafe(export_name = #meta_symbol)]
            pub static __DYNPLUG_META: [::core::primitive::u8; #interface::META.len()] =
                ::dynplug::__private::with_panic_strategy(
                    ::dynplug::__private::to_array(#interface::META),
                    !::core::cfg!(panic = "unwind"),
                );

            #[unsafe(export_name = #vtable_symbol)]
            pub static __DYNPLUG_VTABLE: ::dynplug::__private::VTable<
                { ::dynplug::__private::vtable_len(#interface::DESC) },
            > = ::dynplug::__private::vtable(
                #interface::DESC,
                [
                    __dynplug_new as *const ::dynplug::__private::c_void,
                    __dynplug_drop as *const ::dynplug::__private::c_void,
                    __dynplug_take_panic as *const ::dynplug::__private::c_void,
                    #interface::NESTED as *const ::dynplug::__private::c_void,
                ],
                &[#(#entries),*],
            );

            extern "C" fn __dynplug_new() -> ::dynplug::__private::RetSlot<*mut ::dynplug::__private::c_void> {
                ::dynplug::__private::new_instance::<#self_ty>(
                    #ctor,
                    ::core::cfg!(panic = "unwind"),
                    &__DYNPLUG_VTABLE.0,
                )
            }

            /// # Safety
            ///
            /// `instance` must come from the constructor above and be dropped once.
            unsafe extern "C" fn __dynplug_drop(
                __dynplug_instance: *mut ::dynplug::__private::c_void,
            ) -> ::dynplug::__private::RetSlot<::core::primitive::u8> {
                // SAFETY: the host passes the pointer the constructor made, once.
                unsafe { ::dynplug::__private::drop_instance::<#self_ty>(__dynplug_instance) }
            }

            extern "C" fn __dynplug_take_panic() -> ::dynplug::__private::OwnedBuf<::core::primitive::u8> {
                ::dynplug::__private::take_panic()
            }

            #(#shims)*
        };
    }
}

fn shim_name(method: &Method) -> syn::Ident {
    quote::format_ident!("__dynplug_fn_{}", unraw(method.ident()))
}

fn shim(export: &Export, method: &Method) -> TokenStream {
    let trait_path = export.trait_path;
    let self_ty = export.self_ty;
    method_shim(
        &quote!(#trait_path),
        &quote!(#self_ty),
        Instance::Thin,
        method,
        &shim_name(method),
    )
}

/// How a shim is handed the object it calls.
#[derive(Clone, Copy)]
pub enum Instance {
    /// A plugin's root instance: `*mut c_void` to the plugin's type.
    Thin,
    /// An object: `Instance`, made from a `*mut T` (`crate::object`).
    Object,
}

/// The `extern "C"` shim of one method of `trait_path` for `self_ty`: lifts
/// the arguments, calls the implementation with panics caught, lowers the
/// result. The one mechanism behind a plugin's root table and every
/// object's table.
pub fn method_shim(
    trait_path: &TokenStream,
    self_ty: &TokenStream,
    instance: Instance,
    method: &Method,
    shim_name: &syn::Ident,
) -> TokenStream {
    let ident = method.ident();
    let names = arg_names(method);
    let lifted: Vec<params::Lifted> = method
        .args
        .iter()
        .zip(&names)
        .map(|(a, n)| params::plugin_lift(&types::arg_kind(a.ty), a.ty, n))
        .collect();
    let params = lifted.iter().map(|l| &l.param);
    let setups = lifted.iter().map(|l| &l.setup);
    let passes = lifted.iter().map(|l| &l.pass);
    let afters = lifted.iter().map(|l| &l.after);
    let ret_static = types::to_static(&output_type(method));
    let ret_abi = abi(&ret_static);
    let (instance_ty, pointer) = match instance {
        Instance::Thin => (
            quote!(*mut ::dynplug::__private::c_void),
            quote!(__dynplug_instance.cast::<#self_ty>()),
        ),
        Instance::Object => (
            quote!(::dynplug::__private::Instance),
            quote!(__dynplug_instance.get::<#self_ty>()),
        ),
    };
    // SAFETY (of the generated blocks): the instance pointer is the one the
    // constructor (or `RawObject::from_box`) made; the other side passes it
    // as `&mut` only from `&mut self` methods of its loader or proxy, which
    // it owns exclusively.
    let this = match method.receiver {
        Receiver::Exclusive => quote!(unsafe { &mut *#pointer }),
        _ => quote!(unsafe { &*#pointer.cast_const() }),
    };

    quote! {
        /// # Safety
        ///
        /// Called by a dynplug loader or proxy with its instance and lowered
        /// arguments.
        unsafe extern "C" fn #shim_name(
            __dynplug_instance: #instance_ty,
            #(#params),*
        ) -> ::dynplug::__private::RetSlot<#ret_abi::Ret> {
            ::dynplug::__private::call(|| {
                #(#setups)*
                let __result: #ret_static = <#self_ty as #trait_path>::#ident(#this, #(#passes),*);
                #(#afters)*
                #ret_abi::lower_ret(__result)
            })
        }
    }
}
