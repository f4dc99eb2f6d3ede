//! The skeleton every generated loader shares, plugin loader and C-library
//! binding alike: the struct (one field per method, the `Send`/`Sync`
//! marker, the handle to the library last), its `Debug`, its construction
//! from what the runtime's load returns, `path()`, `leak()`, `has_<method>()`
//! for each optional method, and the trait impl around the methods'
//! bodies. What differs between the two is a [`Kind`]; the loading
//! functions (safe for a plugin, `unsafe` for a C library) and the methods'
//! bodies are each kind's own.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ast::{Interface, Method, unraw};

/// What a kind of loader puts in the skeleton.
pub struct Kind {
    /// The type of a required method's field (an optional method's is its
    /// `Option`).
    pub field_type: fn(&Method) -> TokenStream,
    /// The handle the loader keeps (the library, and the plugin's instance),
    /// dropped after the methods' fields: the runtime's `PluginCore` or
    /// `CLibrary`. It has `path()`.
    pub core: TokenStream,
    /// What the runtime's load returns: a `core` and, by method index,
    /// `required(i)` and `optional(i)`.
    pub loaded: TokenStream,
    /// Whether taking the fields out of `loaded` is `unsafe` (for a C
    /// library: the fields' types are what the caller of `load` vouched for).
    pub unsafe_fields: bool,
    /// The struct's documentation.
    pub doc: String,
    /// What `has_<method>()` says it tells.
    pub has_doc: fn(&Method) -> String,
}

/// The field that holds a method's function.
pub fn field(method: &Method) -> syn::Ident {
    format_ident!("__dynplug_m_{}", unraw(method.ident()))
}

/// The struct, its `Debug` and its common inherent functions.
pub fn expand(iface: &Interface, kind: &Kind) -> TokenStream {
    let vis = &iface.item.vis;
    let loader = &iface.loader;
    let fields = iface.methods.iter().map(|m| {
        let name = field(m);
        let ty = (kind.field_type)(m);
        if m.default.is_some() {
            quote!(#name: ::core::option::Option<#ty>)
        } else {
            quote!(#name: #ty)
        }
    });
    // `Send`/`Sync` follow the trait's supertraits: the core is both, and a
    // marker field withholds what the trait does not promise.
    let (marker_field, marker_init) = super::marker(iface);
    let inits = iface.methods.iter().enumerate().map(|(index, m)| {
        let name = field(m);
        let accessor = if m.default.is_some() {
            quote!(optional)
        } else {
            quote!(required)
        };
        quote!(#name: __loaded.#accessor(#index))
    });
    let (core, loaded, doc) = (&kind.core, &kind.loaded, &kind.doc);
    let loader_name = crate::ast::unraw(loader);
    let build = quote! {
        Self {
            #(#inits,)*
            #marker_init
            __dynplug_core: __loaded.core,
        }
    };
    let build = if kind.unsafe_fields {
        quote! {
            // SAFETY: each field's type is the signature the trait declares
            // for that function, which the caller of `load` vouched for.
            unsafe { #build }
        }
    } else {
        build
    };
    let has = iface
        .methods
        .iter()
        .filter(|m| m.default.is_some())
        .map(|m| {
            let name = field(m);
            let has = format_ident!("has_{}", unraw(m.ident()));
            let doc = (kind.has_doc)(m);
            quote! {
                #[doc = #doc]
                #vis fn #has(&self) -> bool {
                    self.#name.is_some()
                }
            }
        });
    quote! {
        #[doc = #doc]
        #vis struct #loader {
            #(#fields,)*
            #marker_field
            // Declared last: the fields' functions (and the plugin's
            // instance, which the core drops first) go before the library.
            __dynplug_core: #core,
        }

        #[automatically_derived]
        impl ::core::fmt::Debug for #loader {
            fn fmt(&self, __formatter: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                self.__dynplug_core.debug_as(#loader_name, __formatter)
            }
        }

        #[automatically_derived]
        impl #loader {
            fn __dynplug_from(__loaded: #loaded) -> Self {
                #build
            }

            /// The path of the library (for a C library found by name, the
            /// name it was found by).
            #vis fn path(&self) -> &::dynplug::__private::Path {
                self.__dynplug_core.path()
            }

            /// Keeps the library loaded for the rest of the process and
            /// returns a `'static` reference to the loader.
            #vis fn leak(self) -> &'static Self {
                ::std::boxed::Box::leak(::std::boxed::Box::new(self))
            }

            #(#has)*
        }
    }
}

/// `impl Trait for Loader`, around the methods' bodies.
pub fn trait_impl(iface: &Interface, methods: impl Iterator<Item = TokenStream>) -> TokenStream {
    let loader = &iface.loader;
    let trait_ident = &iface.item.ident;
    quote! {
        #[automatically_derived]
        impl #trait_ident for #loader {
            #(#methods)*
        }
    }
}
