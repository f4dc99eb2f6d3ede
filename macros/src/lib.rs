//! Procedural macros of dynplug: `#[plugin_interface]` and
//! `#[plugin_export]`. Use them through the `dynplug` crate, which
//! documents them.
//!
//! Layout: `ast` is the parsed model, `attr` the attributes' arguments,
//! `valid` the checks, `types` what may cross the boundary, `names` the
//! exported symbols, `expand` the generated code.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod expand;
mod names;
mod types;
mod valid;

use proc_macro::TokenStream;
use quote::quote;

/// See `dynplug::plugin_interface`.
#[proc_macro_attribute]
pub fn plugin_interface(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse::<syn::ItemTrait>(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let input = proc_macro2::TokenStream::from(input);
            let error = syn::Error::new_spanned(
                &input,
                "`#[plugin_interface]` goes on a trait: `pub trait Greeter { ... }`",
            )
            .to_compile_error();
            return quote!(#error #input).into();
        }
    };
    let mut errors = valid::Errors::default();
    let args = match attr::InterfaceArgs::parse(args.into()) {
        Ok(args) => args,
        Err(e) => {
            errors.push(e);
            attr::InterfaceArgs::default()
        }
    };
    let iface = ast::Interface::new(&item, args.loader);
    valid::interface(&iface, &mut errors);
    if errors.is_empty() {
        expand::loader::expand(&iface).into()
    } else {
        // Still emit the trait, so that the user sees our errors and not a
        // cascade of "cannot find trait".
        let errors = errors.to_compile_errors();
        quote!(#errors #item).into()
    }
}

/// See `dynplug::plugin_export`.
#[proc_macro_attribute]
pub fn plugin_export(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse::<syn::ItemImpl>(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let input = proc_macro2::TokenStream::from(input);
            let error = syn::Error::new_spanned(
                &input,
                "`#[plugin_export]` goes on `impl some_api::Trait for Type { ... }`",
            )
            .to_compile_error();
            return quote!(#error #input).into();
        }
    };
    let mut errors = valid::Errors::default();
    let args = match attr::ExportArgs::parse(args.into()) {
        Ok(args) => args,
        Err(e) => {
            errors.push(e);
            attr::ExportArgs::default()
        }
    };
    let export = ast::Export::new(&item);
    valid::export(&item, export.as_ref(), &mut errors);
    match (&export, errors.is_empty()) {
        (Some(export), true) => {
            let name = export.name().unwrap_or_default();
            expand::export::expand(export, &args, &name).into()
        }
        _ => {
            let errors = errors.to_compile_errors();
            quote!(#errors #item).into()
        }
    }
}
