//! Procedural macros of dynplug: `#[plugin_interface]` and
//! `#[plugin_export]`. Use them through the `dynplug` crate, which
//! documents them.
//!
//! Layout: `ast` is the parsed model, `attr` the attributes' arguments,
//! `valid` the checks, `types` what may cross the boundary, `callback` the
//! callback parameters and their lifetimes, `names` the exported symbols,
//! `expand` the generated code.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod c_types;
mod callback;
mod derive;
mod derive_c;
mod expand;
mod krate;
mod names;
mod types;
mod valid;

use proc_macro::TokenStream;
use quote::quote;

/// Makes a trait a plugin interface and generates its loader.
///
/// ```ignore
/// #[dynplug::plugin_interface]                    // or (loader = MyName)
/// pub trait Greeter: Send + Sync {
///     fn greet(&self, name: &str) -> String;
///     fn bump(&mut self) -> u64;
///     fn shout(&self, s: &str) -> String { s.to_uppercase() } // optional
/// }
/// ```
///
/// The trait is emitted unchanged. Next to it:
///
/// - `pub struct GreeterPlugin` (named with `loader = Name`), which owns a
///   plugin instance and a shared handle to its library, with
///   `load(path)`, `load_named(path, name)`, `load_with(path, &LoadOptions)`,
///   `path()`, `close()`,
///   `leak()`, `package()`, and `has_<method>()` for each optional method;
/// - `impl Greeter for GreeterPlugin`, forwarding each call to the plugin;
///   a method with a default body is optional: if the plugin does not
///   export it, the default body runs in the host;
/// - `Send` and `Sync` for the loader when the trait has those supertraits;
/// - hidden items that `#[plugin_export]` finds through the trait's path.
///
/// # Rules
///
/// Methods take `&self` or `&mut self`, have no type or const parameters
/// (lifetimes are fine), are not `async`, `const` or `unsafe`, take at most
/// 12 arguments, and use only the types listed in the `dynplug` crate's
/// documentation. A returned borrow borrows from `self`. The trait has no
/// generic parameters, associated types or constants, no supertraits but
/// `Send`, `Sync` and `'static`, and no method named like the loader's own
/// functions (`load`, `load_named`, `load_with`, `path`, `close`, `leak`, `package`,
/// `has_<name>` of an optional method). Each broken rule
/// is a compile error on the tokens at fault, all of them in one build.
///
/// # Re-exporting dynplug
///
/// The generated code names dynplug as `::dynplug`. An interface crate that
/// re-exports it (`pub use dynplug;`), so that plugin authors depend on the
/// interface crate alone and get the dynplug version it was built with,
/// has them write `crate = path` on each attribute:
/// `#[my_api::dynplug::plugin_export(crate = my_api::dynplug)]`, and
/// `#[dynplug(crate = my_api::dynplug)]` beside `#[derive(PluginType)]` or
/// `#[derive(CType)]`. `#[plugin_interface]` takes it too.
///
/// # C libraries
///
/// `#[plugin_interface(c_library)]` binds a plain C library instead, with a
/// loader named `{Trait}Library`: each method calls the C function of its
/// name (or of `#[symbol = "name"]`), `&self` is not passed, only C types
/// are allowed (`dynplug::CType`), a method may be `unsafe fn`, and a method
/// with a default body is optional (`has_<name>()` tells whether the library
/// has it). Loading is `unsafe` (`load`, `load_with`, `load_by_name`,
/// `load_by_names`): nothing in a C library vouches for its signatures.
/// Variadic functions cannot be bound.
#[proc_macro_attribute]
pub fn plugin_interface(args: TokenStream, input: TokenStream) -> TokenStream {
    let krate = attr::InterfaceArgs::parse(args.clone().into())
        .ok()
        .and_then(|args| args.krate);
    krate::rewrite(interface(args, input).into(), krate.as_ref()).into()
}

fn interface(args: TokenStream, input: TokenStream) -> TokenStream {
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
    let iface = ast::Interface::new(&item, args.loader, args.c_library);
    valid::interface(&iface, &mut errors);
    // The trait as emitted: without our `#[symbol]` attributes, which the
    // compiler would not know, nor a method declared twice (reported).
    let emitted = strip_duplicates(strip_symbol_attributes(&item));
    let item = &emitted;
    if errors.is_empty() {
        if iface.c_library {
            expand::c_library::expand(&iface, item).into()
        } else {
            expand::loader::expand(&iface, item).into()
        }
    } else if iface.c_library {
        let errors = errors.to_compile_errors();
        let types = expand::c_library::type_assertions(&iface);
        quote!(#errors #item #types).into()
    } else {
        // Still emit the trait, so that the user sees our errors and not a
        // cascade of "cannot find trait", and have the compiler check the
        // types we could not, so that every error shows in this build.
        let errors = errors.to_compile_errors();
        let types = expand::type_assertions(&iface.methods);
        // The compiler's proof that arguments are lent for the call, for
        // the methods we had nothing against.
        let clean = iface.methods.iter().filter(|m| {
            let mut method_errors = valid::Errors::default();
            valid::method(m, &mut method_errors);
            method_errors.is_empty()
        });
        let lifetimes = expand::loader::argument_lifetimes(clean);
        quote!(#errors #item #types #lifetimes).into()
    }
}

/// Exports an implementation of a plugin interface from a `cdylib`.
///
/// ```ignore
/// #[derive(Default)]
/// struct Hello;
///
/// #[dynplug::plugin_export]                  // or (new = Hello::new)
/// impl greeter_api::Greeter for Hello {
///     fn greet(&self, name: &str) -> String { format!("Hello, {name}!") }
///     fn bump(&mut self) -> u64 { 1 }
/// }
/// ```
///
/// The impl is emitted unchanged, so the compiler checks it against the
/// trait. Next to it come the table of functions the host calls it
/// through (the instance's constructor and destructor, one shim per
/// method), the interface's metadata record and the package's (name,
/// version, description, authors, license, from Cargo), under symbols
/// derived from the trait's name.
///
/// The instance is built when a host loads the library, with
/// `T::default()` or the `fn() -> T` given as `new = path`; a panic there
/// is reported to the host as `Error::Init`. It is dropped inside the
/// plugin when the host's loader is dropped. Panics in methods are caught
/// and re-raised in the host.
///
/// Write the trait by its own name (a path such as `api::Greeter` is fine,
/// an alias from `use api::Greeter as G` is refused). A library exports an
/// interface once without a name, and any number of times with one:
/// `#[plugin_export(name = "fast")]` (letters, digits, `_`, `-`), which a
/// host loads with `load_named(path, "fast")`; a plain `load` takes the
/// unnamed export, or the only one.
#[proc_macro_attribute]
pub fn plugin_export(args: TokenStream, input: TokenStream) -> TokenStream {
    let krate = attr::ExportArgs::parse(args.clone().into())
        .ok()
        .and_then(|args| args.krate);
    krate::rewrite(export(args, input).into(), krate.as_ref()).into()
}

fn export(args: TokenStream, input: TokenStream) -> TokenStream {
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
            // A named export's symbols: the interface's name, the rules'
            // separator, the export's name.
            let id = match &args.name {
                Some(export_name) => format!(
                    "{name}{}{}",
                    dynplug_rules::symbol::EXPORT_SEPARATOR,
                    export_name.value()
                ),
                None => name.clone(),
            };
            expand::export::expand(export, &args, &name, &id).into()
        }
        _ => {
            let errors = errors.to_compile_errors();
            quote!(#errors #item).into()
        }
    }
}

/// Lets a struct or enum cross the plugin boundary, by value, in arguments
/// and returns, nested in any supported type.
///
/// ```ignore
/// #[derive(dynplug::PluginType)]
/// pub struct Shape { pub name: String, pub sides: Vec<f64> }
///
/// #[derive(dynplug::PluginType)]
/// pub enum Event { Started, Progress(u32), Done { output: String } }
/// ```
///
/// Fields must be supported types and own their data (no references). A
/// struct crosses as the tuple of its fields; an enum as a tag and its
/// variant's fields. The definition (field names, types and order, variant
/// names) is part of every signature that uses the type, so a plugin built
/// with another definition is refused at load with `InterfaceMismatch`
/// naming the type. Any number of fields and variants; type parameters are
/// allowed (`Page<T>` crosses as `Page<Item>` where it is used, and its
/// signature includes `Item`'s); lifetime parameters are not.
#[proc_macro_derive(PluginType, attributes(dynplug))]
pub fn derive_plugin_type(input: TokenStream) -> TokenStream {
    let input = match syn::parse::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error().into(),
    };
    match krate::derive_arg(&input.attrs) {
        Ok(krate) => krate::rewrite(derive::derive(&input), krate.as_ref()).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Marks a `#[repr(C)]` struct, union or fieldless enum as a C type, for
/// `#[plugin_interface(c_library)]` bindings. Checks the `repr`, and that
/// every field is a C type.
///
/// ```ignore
/// #[derive(dynplug::CType, Clone, Copy)]
/// #[repr(C)]
/// pub struct Vec2 { pub x: f64, pub y: f64 }
/// ```
#[proc_macro_derive(CType, attributes(dynplug))]
pub fn derive_c_type(input: TokenStream) -> TokenStream {
    let input = match syn::parse::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error().into(),
    };
    match krate::derive_arg(&input.attrs) {
        Ok(krate) => krate::rewrite(derive_c::derive(&input), krate.as_ref()).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The trait as the compiler is to see it: without our `#[symbol]`
/// attributes, which it does not know, and without a variadic `...`, which
/// a trait method cannot have (we report it ourselves).
/// `item` with each method declared a second time left out.
fn strip_duplicates(mut item: syn::ItemTrait) -> syn::ItemTrait {
    let mut seen = std::collections::HashSet::new();
    item.items.retain(|it| match it {
        syn::TraitItem::Fn(f) => seen.insert(f.sig.ident.clone()),
        _ => true,
    });
    item
}

fn strip_symbol_attributes(item: &syn::ItemTrait) -> syn::ItemTrait {
    let mut item = item.clone();
    for it in &mut item.items {
        if let syn::TraitItem::Fn(f) = it {
            f.attrs.retain(|a| !a.path().is_ident("symbol"));
            if f.sig.variadic.take().is_some() {
                // `(a: T, ...)` leaves a trailing comma behind.
                let inputs = std::mem::take(&mut f.sig.inputs);
                f.sig.inputs = inputs.into_iter().collect();
            }
        }
    }
    item
}
