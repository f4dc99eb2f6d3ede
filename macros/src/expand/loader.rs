//! `#[plugin_interface]`: the loader struct, its trait impl, and the
//! interface's description that plugins reach through `dyn Trait`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::{abi_item, output_type, params, shown_arg_names, signature_text};
use crate::ast::{Interface, Method, unraw};
use crate::{names, types};

pub fn expand(iface: &Interface, item: &syn::ItemTrait) -> TokenStream {
    let skeleton = super::skeleton::expand(iface, &kind(iface));
    let inherent = inherent_impl(iface);
    let trait_impl = super::skeleton::trait_impl(
        iface,
        iface.methods.iter().map(|m| {
            let field = super::skeleton::field(m);
            forwarding_method(iface, m, &quote!(self.#field))
        }),
    );
    let description = description(iface);
    let lifetimes = argument_lifetimes(&iface.methods);
    let item = super::object::with_hidden_method(iface, item);
    let objects = super::object::expand(iface);
    quote! {
        #item
        #objects
        #skeleton
        #inherent
        #trait_impl
        #lifetimes
        #description
    }
}

/// Proof, by the compiler, that every argument borrows only for the call:
/// each argument's type (what a `&T` or `&[T]` refers to), with its elided
/// lifetimes and the method's own made one generic lifetime, must borrow
/// for exactly that lifetime (`ReturnAbi<'x>`). A `'static` borrow, written
/// out or behind an alias (`type Kept = &'static str;` in `Vec<Kept>`),
/// would let the plugin keep the host's data beyond the call; and since a
/// signature's hash cannot see lifetimes, a plugin built where the argument
/// was `&'static str` would load in a host where it is `&str`.
pub fn argument_lifetimes<'a>(methods: impl IntoIterator<Item = &'a Method<'a>>) -> TokenStream {
    let x = syn::Lifetime::new("'call", proc_macro2::Span::call_site());
    // One function per argument: the compiler reports one such error per
    // function.
    let checks = methods.into_iter().flat_map(|m| {
        let own: Vec<&syn::Lifetime> = m.sig.generics.lifetimes().map(|l| &l.lifetime).collect();
        let x = &x;
        m.args.iter().enumerate().filter_map(move |(i, a)| {
            let kind = types::arg_kind(a.ty);
            let ty = match &kind {
                types::ArgKind::Value => a.ty,
                types::ArgKind::Ref(t) | types::ArgKind::Slice(t) => t,
                types::ArgKind::ArrayRef(a) => &*a.elem,
                _ => return None,
            };
            // A `&[T]` or `&[T; N]` the result borrows from must be lent in
            // place (scalars): any other is a copy made for the call, which
            // the shim frees as it returns, under the result. (A `&T` is
            // refused by the macro: `valid::lifetimes`.)
            let in_place = m
                .receiver_lifetime
                .filter(|r| types::mentions_lifetime(a.ty, r))
                .and(match &kind {
                    types::ArgKind::Slice(t) => Some(*t),
                    types::ArgKind::ArrayRef(a) => Some(&*a.elem),
                    _ => None,
                })
                .map(|t| {
                    let t = types::to_static(t);
                    let direct = super::abi_item(&t, "DIRECT");
                    let message = syn::LitStr::new(
                        &format!(
                            "dynplug: `{}`: this argument names the receiver's lifetime, so the \
                             result may borrow from it, but the plugin gets a copy of it made for \
                             the call (only scalars are lent in place); elide its lifetime (and \
                             return an owned value), or pass a `&[T]` of scalars",
                            types::text(a.ty)
                        ),
                        a.ty.span(),
                    );
                    quote_spanned!(a.ty.span()=> const _: () = ::core::assert!(#direct, #message);)
                });
            let all = crate::callback::rebind(ty, &own, x);
            let check = format_ident!("__dynplug_lent_{}_{}", unraw(m.ident()), i);
            // An argument that names the receiver's lifetime is one the
            // result may borrow from (the hash's `borrow_links`): all of its
            // borrows must be that lifetime, or a host and a plugin built
            // where another part of it names the receiver's would agree on
            // the hash and disagree on what the result keeps alive. Its other
            // lifetimes, elided ones included (hidden in an alias too), are
            // made the check's own: they must outlive the receiver's, which
            // nothing says they do.
            let linked = m
                .receiver_lifetime
                .filter(|r| types::mentions_lifetime(ty, r))
                .map(|r| {
                    let underscore = syn::Lifetime::new("'_", r.apostrophe);
                    let others: Vec<&syn::Lifetime> =
                        own.iter().copied().filter(|l| l.ident != r.ident).collect();
                    let ty = crate::callback::rebind_named(ty, &others, &underscore);
                    let linked = format_ident!("__dynplug_linked_{}_{}", unraw(m.ident()), i);
                    // The receiver's lifetime keeps its name: the compiler's
                    // advice (`add explicit lifetime 'a`) is then the fix.
                    quote_spanned! {ty.span()=>
                        #[allow(dead_code, non_snake_case)]
                        fn #linked<#r>(value: #ty) {
                            (&::dynplug::__private::BorrowsProbe::of(&value))
                                .value_borrows_for::<#r, _>(value);
                        }
                    }
                });
            Some(quote_spanned! {all.span()=>
                #[allow(dead_code, non_snake_case)]
                fn #check<#x>() {
                    (&::dynplug::__private::BorrowsProbe::<#all>::NEW)
                        .borrows_for::<#x, #all>();
                }
                #linked
                #in_place
            })
        })
    });
    // Each check asked only of a type that is `Abi` (`BorrowsProbe`): one
    // that is not is reported once, where it is lowered.
    quote! {
        #[doc(hidden)]
        const _: () = {
            #[allow(unused_imports)]
            use ::dynplug::__private::{ProbeAbi as _, ProbeNotAbi as _};
            #(#checks)*
        };
    }
}

/// A plugin loader's part of the skeleton: a shim per method, the plugin's
/// instance and library in a `PluginCore`.
fn kind(iface: &Interface) -> super::skeleton::Kind {
    let trait_ident = &iface.item.ident;
    let loader = &iface.loader;
    super::skeleton::Kind {
        field_type: |_| quote!(::dynplug::__private::Shim),
        core: quote!(::dynplug::__private::PluginCore),
        loaded: quote!(::dynplug::__private::Loaded),
        unsafe_fields: false,
        doc: format!(
            "A loaded plugin that implements [`{trait_ident}`], generated by \
             `#[dynplug::plugin_interface]`.\n\n\
             Load one with [`{loader}::load`]; call it through the trait. It owns its \
             plugin instance and a shared handle to the library."
        ),
        has_doc: |m| {
            format!(
                "Whether the plugin exports `{0}`; without it, `{0}` runs the trait's \
                 default body in the host.",
                unraw(m.ident())
            )
        },
    }
}

fn inherent_impl(iface: &Interface) -> TokenStream {
    let vis = &iface.item.vis;
    let loader = &iface.loader;
    let trait_ident = &iface.item.ident;
    quote! {
        #[automatically_derived]
        impl #loader {
            /// Loads the plugin library at `path`: checks that it exports this
            /// interface at the same version, resolves every method, and
            /// builds the plugin's instance.
            ///
            /// `path` is used as a path, never searched for. The library stays
            /// mapped after the last loader of it is dropped; see
            /// [`load_with`](Self::load_with) to change that.
            ///
            /// # Errors
            ///
            /// A [`dynplug::Error`](::dynplug::Error) that names the file and
            /// what is wrong with it.
            #vis fn load(
                path: impl ::core::convert::AsRef<::dynplug::__private::Path>,
            ) -> ::dynplug::__private::Result<Self, ::dynplug::Error> {
                Self::load_with(path, &::dynplug::LoadOptions::new())
            }

            /// Loads the library's export of this interface named `name`
            /// (`#[plugin_export(name = "...")]`), for a library that exports
            /// the interface several times. Like [`load`](Self::load) with
            /// [`LoadOptions::export`](::dynplug::LoadOptions::export).
            ///
            /// # Errors
            ///
            /// As for [`load`](Self::load);
            /// [`Error::NoSuchExport`](::dynplug::Error::NoSuchExport) when
            /// the library has no export of that name.
            #vis fn load_named(
                path: impl ::core::convert::AsRef<::dynplug::__private::Path>,
                name: &str,
            ) -> ::dynplug::__private::Result<Self, ::dynplug::Error> {
                Self::load_with(path, &::dynplug::LoadOptions::new().export(name))
            }

            /// Like [`load`](Self::load), with options.
            ///
            /// # Errors
            ///
            /// As for [`load`](Self::load).
            #vis fn load_with(
                path: impl ::core::convert::AsRef<::dynplug::__private::Path>,
                options: &::dynplug::LoadOptions,
            ) -> ::dynplug::__private::Result<Self, ::dynplug::Error> {
                let __loaded = ::dynplug::__private::load::<dyn #trait_ident>(
                    ::core::convert::AsRef::as_ref(&path),
                    options,
                )?;
                ::dynplug::__private::Result::Ok(Self::__dynplug_from(__loaded))
            }

            /// Drops the plugin's instance now and releases this loader's
            /// handle to its library. By default the library stays mapped
            /// ([`Closed::KeptMapped`](::dynplug::Closed::KeptMapped)): safe
            /// code never unmaps a library. When unloading was allowed
            /// ([`LoadOptions::unload_when_unused`](::dynplug::LoadOptions::unload_when_unused))
            /// and this was the last loader, the library is unloaded, and the
            /// result says whether the system really unmapped it.
            ///
            /// # Errors
            ///
            /// [`Error::InUse`](::dynplug::Error::InUse) if other loaders still use
            /// the library (it stays loaded; this loader's instance is dropped
            /// all the same), [`Error::Close`](::dynplug::Error::Close) if the
            /// operating system refuses to unload it.
            #vis fn close(self) -> ::dynplug::__private::Result<::dynplug::Closed, ::dynplug::Error> {
                self.__dynplug_core.close()
            }

            /// The package the plugin was built from (name, version,
            /// description, authors, license), as Cargo gave it when the
            /// plugin was compiled.
            #vis fn package(&self) -> ::dynplug::Package {
                self.__dynplug_core.package()
            }
        }

        // Each function is the inherent one of the same name (`Self::load`
        // finds the inherent function first).
        #[automatically_derived]
        impl ::dynplug::Plugin for #loader {
            type Interface = dyn #trait_ident;

            fn load(
                path: impl ::core::convert::AsRef<::dynplug::__private::Path>,
            ) -> ::dynplug::__private::Result<Self, ::dynplug::Error> {
                Self::load(path)
            }

            fn load_with(
                path: impl ::core::convert::AsRef<::dynplug::__private::Path>,
                options: &::dynplug::LoadOptions,
            ) -> ::dynplug::__private::Result<Self, ::dynplug::Error> {
                Self::load_with(path, options)
            }

            fn load_named(
                path: impl ::core::convert::AsRef<::dynplug::__private::Path>,
                name: &str,
            ) -> ::dynplug::__private::Result<Self, ::dynplug::Error> {
                Self::load_named(path, name)
            }

            fn path(&self) -> &::dynplug::__private::Path {
                Self::path(self)
            }

            fn package(&self) -> ::dynplug::Package {
                Self::package(self)
            }
        }
    }
}

/// A method of the loader's (or an object proxy's) trait impl: lowers the
/// arguments, calls the shim `fetch` gives, lifts the result; runs the
/// default body when an optional method is not exported. Both kinds of
/// receiver have a `__dynplug_core` with `instance()` and `finish()`.
pub fn forwarding_method(iface: &Interface, method: &Method, fetch: &TokenStream) -> TokenStream {
    let sig = method.sig;
    let ident = &sig.ident;
    let generics = &sig.generics;
    // The receiver as written, so that a named lifetime (`&'a self`) stays.
    let receiver = sig.receiver();
    let names = shown_arg_names(method);
    let params = method.args.iter().zip(&names).map(|(a, n)| {
        let ty = a.ty;
        quote!(#n: #ty)
    });
    let output = &sig.output;
    let ret = output_type(method);
    let lowered: Vec<syn::Ident> = (0..method.args.len())
        .map(|i| format_ident!("__dynplug_lowered{}", i))
        .collect();
    let setups = method
        .args
        .iter()
        .zip(&names)
        .zip(&lowered)
        .map(|((a, n), l)| params::host_lower(&types::arg_kind(a.ty), a.ty, n, l));
    let name = Literal::string(&unraw(ident));
    // A constant, so that a failed call's report needs nothing of the
    // receiver kept across the call (`CallCore::call_failed`).
    let interface = Literal::string(&iface.name());
    let call_n = format_ident!("call{}", method.args.len());
    // SAFETY (of the generated block): the shim has this exact type (the
    // metadata check at load), the instance is alive (the loader owns it),
    // the lowered arguments borrow from values that live through the call,
    // and `finish` lifts what this shim returned.
    // The return type's parts spanned whole on it: a type that cannot cross
    // is reported there, once. Its borrows are checked, for a type that can
    // cross, by `returns_for` (`BorrowsProbe`), spanned on the return type
    // too: a return that would outlive the borrow of `self` (an alias of
    // `&'static str`, say) is reported there.
    let objects = abi_item(&ret, "OBJECTS");
    let lift_ret = abi_item(&ret, "lift_ret");
    let lift_ret_from = abi_item(&ret, "lift_ret_from");
    let ret_span = method.output.map_or(ident.span(), |ty| ty.span());
    let returns_for = quote_spanned! {ret_span=>
        (&::dynplug::__private::BorrowsProbe::<#ret>::NEW).returns_for::<#ret, _>
    };
    let call = quote! {{
        use ::dynplug::__private::{ProbeAbi as _, ProbeNotAbi as _};
        #(#setups)*
        #returns_for(
            &self.__dynplug_core,
            unsafe {
                ::dynplug::__private::finish(
                    &self.__dynplug_core,
                    #interface,
                    #name,
                    __f.#call_n(self.__dynplug_core.instance(), #(#lowered),*),
                    #objects,
                    #lift_ret,
                    #lift_ret_from,
                )
            },
        )
    }};
    let body = super::forwarding_body(method, &names, fetch, &call);
    quote! {
        #[inline]
        fn #ident #generics(#receiver, #(#params),*) #output {
            #body
        }
    }
}

fn description(iface: &Interface) -> TokenStream {
    let trait_ident = &iface.item.ident;
    let name = iface.name();
    let methods = iface.methods.iter().map(|m| {
        let method_name = unraw(m.ident());
        let required = m.default.is_none();
        let signature = signature_text(m);
        let receiver = m.receiver_code();
        let links = m.borrow_links();
        let arg_hashes = m
            .args
            .iter()
            .map(|a| params::hash(&types::arg_kind(a.ty), a.ty));
        let ret_hash = abi_item(&types::to_static(&output_type(m)), "TYPE_HASH");
        let param_texts = m
            .args
            .iter()
            .map(|a| types::text(a.ty))
            .chain([types::text(&output_type(m))]);
        let param_hashes = m
            .args
            .iter()
            .map(|a| params::hash(&types::arg_kind(a.ty), a.ty))
            .chain([quote!(#ret_hash)]);
        quote! {
            ::dynplug::__private::MethodDesc {
                name: #method_name,
                required: #required,
                hash: ::dynplug::__private::signature_hash(
                    #receiver,
                    #links,
                    &[#(#arg_hashes),*],
                    #ret_hash,
                ),
                signature: #signature,
                params: &[#((#param_texts, #param_hashes)),*],
            }
        }
    });
    let (send, sync) = (iface.send, iface.sync);
    // `Send`/`Sync` are recognised by name; make sure they are the real
    // ones (a user's own `trait Send` would otherwise pass for it).
    let send_check = send.then(|| {
        quote! {
            ::dynplug::__private::assert_send::<dyn #trait_ident>();
        }
    });
    let sync_check = sync.then(|| {
        quote! {
            ::dynplug::__private::assert_sync::<dyn #trait_ident>();
        }
    });
    let meta_symbol = names::meta(&name);
    let vtable_symbol = names::vtable(&name);
    quote! {
        #[doc(hidden)]
        const _: () = {
            const __DESC: ::dynplug::__private::InterfaceDesc = ::dynplug::__private::InterfaceDesc {
                name: #name,
                send: #send,
                sync: #sync,
                methods: &[#(#methods),*],
                meta_symbol: #meta_symbol,
                vtable_symbol: #vtable_symbol,
            };
            const __LEN: ::core::primitive::usize = ::dynplug::__private::encoded_len(&__DESC);
            const __META: [::core::primitive::u8; __LEN] =
                ::dynplug::__private::encode::<__LEN>(&__DESC);
            const _: () = {
                #send_check
                #sync_check
            };

            // SAFETY: the description and record are those of this trait,
            // generated from its definition above.
            #[automatically_derived]
            unsafe impl ::dynplug::__private::Interface for dyn #trait_ident {
                const DESC: &'static ::dynplug::__private::InterfaceDesc = &__DESC;
                const META: &'static [::core::primitive::u8] = &__META;
                const NESTED: extern "C" fn(
                    ::core::primitive::usize,
                ) -> ::dynplug::__private::RecordRef =
                    ::dynplug::__private::nested_record::<dyn #trait_ident>;
                type This = dyn #trait_ident;
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::Interface;

    /// The generated loader's methods carry the trait's parameter names
    /// (what its rustdoc shows), and generated ones where the trait has a
    /// pattern; its `Debug` names the loader.
    #[test]
    fn the_loader_shows_the_traits_parameter_names_and_its_own_name() {
        let item: syn::ItemTrait = syn::parse_quote! {
            pub trait Greeter {
                fn greet(&self, name: &str, times: u32) -> String;
                fn sum(&self, (a, b): (u8, u8)) -> u8 { a + b }
            }
        };
        let iface = Interface::new(&item, None, false);
        let out = super::expand(&iface, &item).to_string();
        assert!(
            out.contains("fn greet (& self , name : & str , times : u32) -> String"),
            "{out}"
        );
        assert!(
            out.contains("fn sum (& self , __dynplug_arg0 : (u8 , u8)) -> u8"),
            "{out}"
        );
        assert!(out.contains("debug_as (\"GreeterPlugin\""), "{out}");
    }
}
