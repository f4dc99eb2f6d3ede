//! The attributes' own arguments.

use proc_macro2::{Ident, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{ExprPath, Result};

/// `#[plugin_interface(loader = Name)]`, `#[plugin_interface(c_library)]`
#[derive(Default)]
pub struct InterfaceArgs {
    pub loader: Option<Ident>,
    /// `crate = path`: where dynplug is (see `krate`).
    pub krate: Option<syn::Path>,
    /// Bind a plain C library instead of a dynplug plugin.
    pub c_library: bool,
}

/// `#[plugin_export(new = path::to::ctor)]`
#[derive(Default)]
pub struct ExportArgs {
    pub new: Option<ExprPath>,
    /// `crate = path`: where dynplug is (see `krate`).
    pub krate: Option<syn::Path>,
    /// `name = "fast"`: one more export of the interface, under a name.
    pub name: Option<syn::LitStr>,
}

/// The longest export name.
const MAX_EXPORT_NAME: usize = 64;

fn parse_with(
    args: TokenStream,
    mut each: impl FnMut(&ParseNestedMeta) -> Result<()>,
) -> Result<()> {
    let parser = syn::meta::parser(|meta| each(&meta));
    syn::parse::Parser::parse2(parser, args)
}

impl InterfaceArgs {
    pub fn parse(args: TokenStream) -> Result<Self> {
        let mut out = InterfaceArgs::default();
        parse_with(args, |meta| {
            if meta.path.is_ident("loader") {
                out.loader = Some(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident("c_library") {
                out.c_library = true;
                Ok(())
            } else if meta.path.is_ident("crate") {
                out.krate = Some(crate::krate::parse_value(meta)?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument; `#[plugin_interface]` takes `loader = Name` \
                     (the name of the generated loader struct), `c_library` (bind a \
                     plain C library) and `crate = path` (where dynplug is, when it is \
                     re-exported)",
                ))
            }
        })?;
        Ok(out)
    }
}

impl ExportArgs {
    pub fn parse(args: TokenStream) -> Result<Self> {
        let mut out = ExportArgs::default();
        parse_with(args, |meta| {
            if meta.path.is_ident("new") {
                out.new = Some(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident("name") {
                let name: syn::LitStr = meta.value()?.parse()?;
                let text = name.value();
                let valid = !text.is_empty()
                    && text.len() <= MAX_EXPORT_NAME
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !valid {
                    return Err(syn::Error::new_spanned(
                        &name,
                        format!(
                            "an export's name is 1 to {MAX_EXPORT_NAME} ASCII letters, digits, \
                             `_` and `-`: it becomes part of the library's symbols"
                        ),
                    ));
                }
                out.name = Some(name);
                Ok(())
            } else if meta.path.is_ident("crate") {
                out.krate = Some(crate::krate::parse_value(meta)?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument; `#[plugin_export]` takes `new = path::to::function` \
                     (a `fn() -> T` that builds the instance; without it, `T::default()`), \
                     `name = \"...\"` (one more export of the interface, under that name) \
                     and `crate = path` (where dynplug is, when it is re-exported)",
                ))
            }
        })?;
        Ok(out)
    }
}
