//! Objects of an interface across the boundary (docs/ARCHITECTURE.md §9):
//! for any `T` that implements the trait, the table of functions through
//! which a `T` is called from the other side; the hidden method of the
//! trait that makes a boxed object's raw form with its own type's table;
//! and the proxy the receiving side wraps a raw object in.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::export::{Instance, method_shim};
use super::loader::forwarding_method;
use super::{abi, params};
use crate::ast::{Interface, unraw};
use crate::types;

/// The name of the (private) generic table type of an interface.
fn tables(iface: &Interface) -> syn::Ident {
    format_ident!("__DynplugObjects_{}", iface.item.ident)
}

/// The trait as emitted: the user's, with the hidden provided method that
/// lowers a boxed object of any implementing type.
pub fn with_hidden_method(iface: &Interface, item: &syn::ItemTrait) -> syn::ItemTrait {
    let trait_ident = &iface.item.ident;
    let tables = tables(iface);
    let mut item = item.clone();
    let method: syn::TraitItem = syn::parse_quote! {
        /// Part of `#[dynplug::plugin_interface]`: how a boxed object of
        /// this trait crosses to the other side of a plugin boundary. Not
        /// to be called or overridden.
        #[doc(hidden)]
        fn __dynplug_into_raw(
            self: ::std::boxed::Box<Self>,
        ) -> ::dynplug::__private::OwnedObject<dyn #trait_ident>
        where
            Self: 'static,
        {
            // SAFETY: the table generated for `Self`, whose trait this is.
            unsafe {
                ::dynplug::__private::OwnedObject::from_box(
                    self,
                    #tables::<Self>::TABLE,
                )
            }
        }
    };
    item.items.push(method);
    item
}

/// The table type with its shims, the proxy, and `ObjectInterface` for
/// `dyn Trait`.
pub fn expand(iface: &Interface) -> TokenStream {
    let trait_ident = &iface.item.ident;
    let tables = tables(iface);
    let n = iface.methods.len();
    let shim_names: Vec<syn::Ident> = iface
        .methods
        .iter()
        .map(|m| format_ident!("__dynplug_fn_{}", unraw(m.ident())))
        .collect();
    let shims =
        iface.methods.iter().zip(&shim_names).map(|(m, name)| {
            method_shim(&quote!(#trait_ident), &quote!(T), Instance::Object, m, name)
        });
    let proxy = format_ident!("__DynplugProxy");
    let marker_field = super::marker_field(iface)
        .map(|m| quote!(__dynplug_marker: ::core::marker::PhantomData<::dynplug::__private::#m>,));
    let marker_init =
        super::marker_field(iface).map(|_| quote!(__dynplug_marker: ::core::marker::PhantomData,));
    let methods = iface.methods.iter().enumerate().map(|(index, m)| {
        let fetch = if m.default.is_some() {
            quote!(self.__dynplug_core.optional(#index))
        } else {
            quote!(self.__dynplug_core.required(#index))
        };
        forwarding_method(m, &fetch)
    });
    let mentioned: Vec<TokenStream> = iface
        .methods
        .iter()
        .flat_map(|m| {
            m.args
                .iter()
                .flat_map(|a| params::abi_types(&types::arg_kind(a.ty), a.ty))
                .map(types::to_static)
                .chain([types::to_static(&super::output_type(m))])
                .map(|t| abi(&t))
                .collect::<Vec<_>>()
        })
        .collect();
    let visits = mentioned
        .iter()
        .map(|abi| quote!(#abi::visit_interfaces(visit);));
    let no_object_arguments = iface.methods.iter().flat_map(|m| {
        m.args
            .iter()
            .flat_map(|a| params::abi_types(&types::arg_kind(a.ty), a.ty))
            .map(|t| {
                let t = types::to_static(t);
                let abi = abi(&t);
                let message = format!(
                    "dynplug: `{}` holds a `Box<dyn ..>`: objects cross as return values \
                     only, for now",
                    types::text(&t)
                );
                let message = Literal::string(&message);
                quote_spanned!(t.span()=> const _: () = ::core::assert!(!#abi::OBJECTS, #message);)
            })
            .collect::<Vec<_>>()
    });
    let name = iface.name();
    let doc = format!("Part of `#[dynplug::plugin_interface]` on `{trait_ident}`.");
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        struct #tables<T: ?::core::marker::Sized>(::core::marker::PhantomData<*const T>);

        #[automatically_derived]
        impl<T: ?::core::marker::Sized + #trait_ident + 'static> #tables<T> {
            /// The table of functions of a `T` seen as a `dyn` of the trait.
            const TABLE: &'static ::dynplug::__private::ObjectTable<
                { ::dynplug::__private::OBJECT_FIXED + #n },
            > = &::dynplug::__private::ObjectTable::new(
                ::dynplug::__private::drop_box::<T> as *const ::dynplug::__private::c_void,
                [
                    ::core::ptr::null(),
                    ::core::ptr::null(),
                    ::core::ptr::null(),
                    #(Self::#shim_names as *const ::dynplug::__private::c_void,)*
                ],
            );

            #(#shims)*
        }

        #[doc(hidden)]
        const _: () = {
            #(#no_object_arguments)*

            /// An object of the trait on the other side of a boundary.
            struct #proxy {
                #marker_field
                __dynplug_core: ::dynplug::__private::ObjectCore,
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #proxy {
                fn fmt(&self, __formatter: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    ::core::fmt::Debug::fmt(&self.__dynplug_core, __formatter)
                }
            }

            #[automatically_derived]
            impl #trait_ident for #proxy {
                #(#methods)*
            }

            // SAFETY: `into_raw` goes through the trait's hidden method, which
            // makes the table generated for the object's own type; `from_raw`
            // wraps the core in the proxy, which calls the table as this
            // trait's.
            #[automatically_derived]
            unsafe impl ::dynplug::__private::ObjectInterface for dyn #trait_ident {
                const NAME: &'static ::core::primitive::str = #name;
                const MENTIONS_OBJECTS: ::core::primitive::bool =
                    false #(|| #mentioned::OBJECTS)*;

                #[inline]
                fn into_raw(
                    object: ::std::boxed::Box<Self>,
                ) -> ::dynplug::__private::OwnedObject<Self> {
                    <Self as #trait_ident>::__dynplug_into_raw(object)
                }

                #[inline]
                unsafe fn from_raw(
                    core: ::dynplug::__private::ObjectCore,
                ) -> ::std::boxed::Box<Self> {
                    ::std::boxed::Box::new(#proxy {
                        #marker_init
                        __dynplug_core: core,
                    })
                }

                #[allow(unused_variables)]
                fn visit(visit: &mut dyn ::core::ops::FnMut(::dynplug::__private::ObjectNode)) {
                    #(#visits)*
                }
            }
        };
    }
}
