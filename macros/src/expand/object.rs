//! Objects of an interface across the boundary (docs/ARCHITECTURE.md §9):
//! for any `T` that implements the trait, the table of functions through
//! which a `T` is called from the other side; the hidden method of the
//! trait that makes a boxed object's raw form with its own type's table;
//! and the proxy the receiving side wraps a raw object in.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::loader::forwarding_method;
use super::{Via, abi_item, arg_names, ends, output_type, params, via_item};
use crate::ast::{Interface, Method, Receiver, unraw};
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
    let lend: syn::TraitItem = syn::parse_quote! {
        /// Part of `#[dynplug::plugin_interface]`: how this object is lent
        /// to the other side of a plugin boundary for a call. Not to be
        /// called or overridden.
        #[doc(hidden)]
        fn __dynplug_lend(&self) -> ::dynplug::__private::LentRef<'_, dyn #trait_ident> {
            // SAFETY: the table generated for `Self`, whose trait this is.
            unsafe { ::dynplug::__private::LentRef::new(self, #tables::<Self>::TABLE) }
        }
    };
    item.items.push(lend);
    let lend_mut: syn::TraitItem = syn::parse_quote! {
        /// Part of `#[dynplug::plugin_interface]`: how this object is lent
        /// exclusively to the other side of a plugin boundary for a call.
        /// Not to be called or overridden.
        #[doc(hidden)]
        fn __dynplug_lend_mut(&mut self) -> ::dynplug::__private::LentMut<'_, dyn #trait_ident> {
            // SAFETY: the table generated for `Self`, whose trait this is.
            unsafe { ::dynplug::__private::LentMut::new(self, #tables::<Self>::TABLE) }
        }
    };
    item.items.push(lend_mut);
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
    let entries = iface
        .methods
        .iter()
        .zip(&shim_names)
        .map(|(m, name)| table_entry(m, name));
    let shims = iface
        .methods
        .iter()
        .zip(&shim_names)
        .map(|(m, name)| method_shim(&quote!(#trait_ident), &quote!(T), m, name));
    let proxy = format_ident!("__DynplugProxy");
    let (marker_field, marker_init) = super::marker(iface);
    let methods = iface.methods.iter().enumerate().map(|(index, m)| {
        let fetch = if m.default.is_some() {
            quote!(self.__dynplug_core.optional(#index))
        } else {
            quote!(self.__dynplug_core.required(#index))
        };
        forwarding_method(iface, m, &fetch)
    });
    // Each type's items spanned whole on the type (a path joined to tokens
    // of the call site would be reported at the attribute).
    let mentioned: Vec<(syn::Type, Via)> = iface
        .methods
        .iter()
        .flat_map(|m| {
            m.args
                .iter()
                .flat_map(|a| params::abi_types(&types::arg_kind(a.ty), a.ty))
                .map(|(t, via)| (types::to_static(t), via))
                .chain([(types::to_static(&super::output_type(m)), Via::Abi)])
                .collect::<Vec<_>>()
        })
        .collect();
    let objects_consts = mentioned
        .iter()
        .map(|(t, via)| via_item(t, *via, "OBJECTS"));
    let objects: Vec<TokenStream> = iface
        .methods
        .iter()
        .flat_map(|m| {
            m.args
                .iter()
                .filter_map(|a| types::arg_kind(a.ty).object().map(params::object_interface))
                .collect::<Vec<_>>()
        })
        .collect();
    let visits = mentioned
        .iter()
        .map(|(t, via)| {
            let visit_interfaces = via_item(t, *via, "visit_interfaces");
            let args = quote_spanned!(ends(t).1=> (visit));
            quote!(#visit_interfaces #args;)
        })
        .chain(objects.iter().map(|i| quote!(visit(#i::NODE);)));
    let mentions_objects = !objects.is_empty();
    let no_object_in_callbacks: Vec<TokenStream> = iface
        .methods
        .iter()
        .flat_map(|m| {
            m.args
                .iter()
                .filter_map(|a| match types::arg_kind(a.ty) {
                    types::ArgKind::Callback(cb) | types::ArgKind::OptionalCallback(cb, _) => {
                        let inputs = params::callback_inputs(&cb);
                        let message = Literal::string(&format!(
                            "dynplug: `{}`: a callback's arguments cannot hold objects \
                             (`Box<dyn ..>`); pass the object to a method",
                            types::text(a.ty)
                        ));
                        Some(quote_spanned! {a.ty.span()=>
                            const _: () = ::core::assert!(
                                !<#inputs as ::dynplug::__private::CallbackArg>::OBJECTS,
                                #message,
                            );
                        })
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let no_object_arguments = iface.methods.iter().flat_map(|m| {
        m.args
            .iter()
            .flat_map(|a| params::abi_types(&types::arg_kind(a.ty), a.ty))
            .map(|(t, via)| {
                let t = types::to_static(t);
                let objects = via_item(&t, via, "OBJECTS");
                let message = format!(
                    "dynplug: `{}` holds a `Box<dyn ..>`: an object crosses as an argument \
                     only as itself (`Box<dyn Trait>`, `&dyn Trait`, `&mut dyn Trait`), not \
                     inside another type",
                    types::text(&t)
                );
                let message = Literal::string(&message);
                quote_spanned!(t.span()=> const _: () = ::core::assert!(!#objects, #message);)
            })
            .collect::<Vec<_>>()
    });
    let name = iface.name();
    // The lent proxy derefs to `dyn Trait`: no more visible than the trait.
    let vis = &iface.item.vis;
    let doc = format!("Part of `#[dynplug::plugin_interface]` on `{trait_ident}`.");
    // The fixed entries' places, which `ObjectTable::new` fills.
    let fixed = (0..dynplug_rules::slot::OBJECT_FIXED).map(|_| quote!(::core::ptr::null()));
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        struct #tables<T: ?::core::marker::Sized>(::core::marker::PhantomData<*const T>);

        #[automatically_derived]
        // The shims spell out the trait's types (spanned on the user's
        // tokens): their complexity is the trait's, not something to
        // factor here.
        #[allow(clippy::type_complexity)]
        impl<T: ?::core::marker::Sized + #trait_ident> #tables<T> {
            /// The table of functions of a `T` seen as a `dyn` of the trait.
            const TABLE: &'static ::dynplug::__private::ObjectTable<
                { ::dynplug::__private::rules::slot::OBJECT_FIXED + #n },
            > = &::dynplug::__private::ObjectTable::new(
                ::dynplug::__private::drop_box::<T> as *const ::dynplug::__private::c_void,
                [
                    #(#fixed,)*
                    #(#entries,)*
                ],
            );

            #(#shims)*
        }

        // SAFETY: the table generated above for `T` and this trait.
        #[automatically_derived]
        unsafe impl<T: ?::core::marker::Sized + #trait_ident + 'static>
            ::dynplug::__private::TableFor<T> for dyn #trait_ident
        {
            const TABLE: &'static [*const ::dynplug::__private::c_void] =
                &#tables::<T>::TABLE.0;
        }

        #[doc(hidden)]
        const _: () = {
            #(#no_object_arguments)*
            #(#no_object_in_callbacks)*

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
            #[allow(clippy::type_complexity)]
            impl #trait_ident for #proxy {
                #(#methods)*
            }

            /// The proxy of an object the other side lent for a call (its
            /// core knows it is lent: dropping it leaves the object alone).
            #vis struct __DynplugLent(#proxy);

            #[automatically_derived]
            impl ::core::ops::Deref for __DynplugLent {
                type Target = dyn #trait_ident;
                fn deref(&self) -> &(dyn #trait_ident + 'static) {
                    &self.0
                }
            }

            #[automatically_derived]
            impl ::core::ops::DerefMut for __DynplugLent {
                fn deref_mut(&mut self) -> &mut (dyn #trait_ident + 'static) {
                    &mut self.0
                }
            }

            // `Box<dyn Trait>` crosses as this trait's object.
            ::dynplug::__private::object_abi!(dyn #trait_ident);

            // SAFETY: `into_raw` goes through the trait's hidden method, which
            // makes the table generated for the object's own type; `from_raw`
            // wraps the core in the proxy, which calls the table as this
            // trait's.
            #[automatically_derived]
            unsafe impl ::dynplug::__private::ObjectInterface for dyn #trait_ident {
                const NAME: &'static ::core::primitive::str = #name;
                const MENTIONS_OBJECTS: ::core::primitive::bool =
                    #mentions_objects #(|| #objects_consts)*;

                #[inline]
                fn into_raw(
                    object: ::std::boxed::Box<Self>,
                ) -> ::dynplug::__private::OwnedObject<Self> {
                    <Self as #trait_ident>::__dynplug_into_raw(object)
                }

                #[inline(always)]
                unsafe fn from_raw(
                    core: impl ::core::ops::FnOnce() -> ::dynplug::__private::ObjectCore,
                ) -> ::std::boxed::Box<Self> {
                    let mut __slot = ::std::boxed::Box::<#proxy>::new_uninit();
                    __slot.write(#proxy {
                        #marker_init
                        __dynplug_core: core(),
                    });
                    // SAFETY: written just above.
                    unsafe { __slot.assume_init() }
                }

                type Lent = __DynplugLent;

                #[inline]
                unsafe fn lent(raw: ::dynplug::__private::RawObject<Self>) -> __DynplugLent {
                    __DynplugLent(#proxy {
                        #marker_init
                        // SAFETY: the caller's promise: lent for the call in
                        // progress, which the proxy does not outlive.
                        __dynplug_core: unsafe {
                            ::dynplug::__private::ObjectCore::lent(raw, #name)
                        },
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

/// A method's entry in the table: its shim, named. A type that cannot
/// cross makes the shim's signature ill-formed, which the compiler reports
/// where the shim is named, a second time. When one type of the method is
/// not, as written, one that crosses (`types::known_to_cross`), the name is
/// spanned whole on that type: there the second report is the first, and
/// shows once. Otherwise (none, or several that could be at fault) it is
/// spanned on the return type (or the method's name) and, as a path joined
/// to the call site's tokens, reported at the attribute.
fn table_entry(method: &Method, name: &syn::Ident) -> TokenStream {
    // Each suspect as the span from its first token to its last: a type
    // that is not known to cross, or the inputs of a callback of which one
    // is not.
    let mut suspects: Vec<(Span, Span)> = Vec::new();
    for a in &method.args {
        let kind = types::arg_kind(a.ty);
        if let types::ArgKind::Callback(cb) | types::ArgKind::OptionalCallback(cb, _) = &kind {
            if let (Some(first), Some(last)) = (cb.inputs.first(), cb.inputs.last()) {
                if !cb.inputs.iter().all(|t| types::known_to_cross(t)) {
                    suspects.push((ends(first).0, ends(last).1));
                }
            }
        }
        let abi_types = params::abi_types(&kind, a.ty);
        suspects.extend(
            abi_types
                .into_iter()
                .map(|(t, _)| t)
                .filter(|t| !types::known_to_cross(t))
                .map(ends),
        );
    }
    suspects.extend(
        method
            .output
            .filter(|t| !types::known_to_cross(t))
            .map(ends),
    );
    match suspects.as_slice() {
        [(first, last)] => {
            let this = quote_spanned!(*first=> Self);
            let name = super::at(name, *last);
            quote_spanned!(*last=> #this::#name as *const ::dynplug::__private::c_void)
        }
        _ => {
            let span = method.output.map_or(method.ident().span(), |ty| ty.span());
            quote_spanned!(span=> Self::#name as *const ::dynplug::__private::c_void)
        }
    }
}

/// The `extern "C"` shim of one method of `trait_path` for `self_ty`: lifts
/// the arguments, calls the implementation with panics caught, lowers the
/// result. The one mechanism behind a plugin's root table and every
/// object's table.
fn method_shim(
    trait_path: &TokenStream,
    self_ty: &TokenStream,
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
    let pointer = quote!(__dynplug_instance.get::<#self_ty>());
    // SAFETY (of the generated blocks): the instance pointer is the one the
    // constructor (`new_instance`, `OwnedObject::from_box`) or a lend made; the other side passes it
    // as `&mut` only from `&mut self` methods of its loader or proxy, which
    // it owns exclusively.
    // The lowered return type, the call that catches panics and the
    // lowering spanned whole on the return type ([`ends`]): an unsupported
    // type is reported there, once (joined to tokens of the call site, it
    // would be reported again at the attribute).
    let ret_lowered = abi_item(&ret_static, "Ret");
    let (first, last) = ends(&ret_static);
    let root = quote_spanned!(first=> ::dynplug);
    let call = quote_spanned!(last=> #root::__private::call::<#ret_lowered>);
    // Lowered as the type written, the method's own lifetimes left to
    // inference (`'_`): `<T as Abi>` is reported on the type, whole, where
    // `Abi::lower_ret(__result)` would be reported on its argument.
    let own: Vec<&syn::Lifetime> = method
        .sig
        .generics
        .lifetimes()
        .map(|l| &l.lifetime)
        .collect();
    let elided = syn::Lifetime::new("'_", proc_macro2::Span::call_site());
    let ret_inferred = crate::callback::rebind_named(&output_type(method), &own, &elided);
    let lower_ret = abi_item(&ret_inferred, "lower_ret");
    let lower = quote_spanned!(last=> #lower_ret(__result));
    let ret_slot = quote_spanned!(last=> #root::__private::RetSlot<#ret_lowered>);
    let this = match method.receiver {
        Receiver::Exclusive => quote!(unsafe { &mut *#pointer }),
        _ => quote!(unsafe { &*#pointer.cast_const() }),
    };

    let body = quote! {
        || {
            #(#setups)*
            // The result keeps the borrow of `this` it was made with (no
            // `'static` is assumed of an object's type: a lent one may
            // borrow), and is lowered as its type, whatever the borrow.
            let __result = <#self_ty as #trait_path>::#ident(#this, #(#passes),*);
            #(#afters)*
            #lower
        }
    };
    let body = quote_spanned!(last=> (#body));
    quote! {
        /// # Safety
        ///
        /// Called by a dynplug loader or proxy with its instance and lowered
        /// arguments.
        unsafe extern "C" fn #shim_name(
            __dynplug_instance: ::dynplug::__private::Instance,
            #(#params),*
        ) -> #ret_slot {
            #call #body
        }
    }
}
