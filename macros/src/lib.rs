//! Procedural macros of dynplug. Use them through the `dynplug` crate.
#![forbid(unsafe_code)]
use proc_macro::TokenStream;

#[proc_macro_attribute]
pub fn plugin_interface(_args: TokenStream, input: TokenStream) -> TokenStream { input }
#[proc_macro_attribute]
pub fn plugin_export(_args: TokenStream, input: TokenStream) -> TokenStream { input }
