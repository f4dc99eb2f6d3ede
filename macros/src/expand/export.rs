//! `#[plugin_export]`: the impl itself, the instance's constructor and
//! destructor, and the two symbols the host looks for: the interface's
//! metadata record and the table of functions. The method entries of that
//! table are the shims `#[plugin_interface]` generated for any type that
//! implements the trait (`object::TableFor`), the same that its objects are
//! called through: the plugin side restates nothing.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Export, unraw};
use crate::attr::ExportArgs;
use crate::names;

/// `name` is the interface's, `id` the export's: the interface's name,
/// and for a named export the separator and its name.
pub fn expand(export: &Export, args: &ExportArgs, name: &str, id: &str) -> TokenStream {
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
    let meta_symbol = names::meta(id);
    let vtable_symbol = names::vtable(id);
    let package_symbol = names::package(id);
    // What Cargo says of the package being compiled: this code is compiled
    // in the plugin's crate, so the variables are the plugin's.
    let cargo = |var: &str| {
        quote! {
            match ::core::option_env!(#var) {
                ::core::option::Option::Some(value) => value,
                ::core::option::Option::None => "",
            }
        }
    };
    let (pkg_name, pkg_version, pkg_description, pkg_authors, pkg_license) = (
        cargo("CARGO_PKG_NAME"),
        cargo("CARGO_PKG_VERSION"),
        cargo("CARGO_PKG_DESCRIPTION"),
        cargo("CARGO_PKG_AUTHORS"),
        cargo("CARGO_PKG_LICENSE"),
    );
    // Through `Interface::This`: for a trait that is not an interface, the
    // one error is that it is not (the table's bound is then left open).
    let table = quote_spanned!(self_ty.span()=>
        <#interface::This as ::dynplug::__private::TableFor<#self_ty>>::TABLE
    );
    let entries = export.methods.iter().enumerate().map(|(hint, m)| {
        let method_name = Literal::string(&unraw(m.ident()));
        quote! {
            (
                #method_name,
                ::dynplug::__private::method_entry(#table, #interface::DESC, #method_name, #hint),
            )
        }
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
                    ::dynplug::__private::join_relay as *const ::dynplug::__private::c_void,
                    #interface::NESTED as *const ::dynplug::__private::c_void,
                    __dynplug_package as *const ::dynplug::__private::c_void,
                ],
                &[#(#entries),*],
            );

            const __DYNPLUG_PACKAGE_DESC: ::dynplug::__private::PackageDesc =
                ::dynplug::__private::PackageDesc {
                    name: #pkg_name,
                    version: #pkg_version,
                    description: #pkg_description,
                    authors: #pkg_authors,
                    license: #pkg_license,
                };

            // The package's record, which `inspect` reads from the file.
            #[unsafe(export_name = #package_symbol)]
            pub static __DYNPLUG_PACKAGE: [
                ::core::primitive::u8;
                ::dynplug::__private::package_len(&__DYNPLUG_PACKAGE_DESC)
            ] = ::dynplug::__private::encode_package(&__DYNPLUG_PACKAGE_DESC);

            extern "C" fn __dynplug_package() -> ::dynplug::__private::RecordRef {
                ::dynplug::__private::RecordRef::of(&__DYNPLUG_PACKAGE)
            }

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

        };
    }
}
