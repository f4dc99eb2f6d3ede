//! `#[derive(PluginType)]`: makes a struct or enum of supported types cross
//! the plugin boundary. A struct crosses as the tuple of its fields; an
//! enum as a tag and a union of its variants' fields. The definition (names,
//! field types, order, variants) is hashed into the interface's signatures,
//! so a plugin built with another definition is refused at load.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, Member, Type};

use crate::expand::abi_path;
use crate::types::{self, Position};
use crate::valid::Errors;

use dynplug_rules::limit::{FIELDS as MAX_FIELDS, VARIANTS as MAX_VARIANTS};

pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    check(input, &mut errors);
    if !errors.is_empty() {
        return errors.to_compile_errors();
    }
    match &input.data {
        Data::Struct(data) => derive_struct(input, &data.fields),
        Data::Enum(data) => derive_enum(input, data),
        Data::Union(_) => unreachable!("refused by check"),
    }
}

fn check(input: &DeriveInput, errors: &mut Errors) {
    if !input.generics.params.is_empty() {
        errors.spanned(
            &input.generics,
            "a `PluginType` cannot be generic: its definition is part of the interface; \
             use concrete field types",
        );
    }
    let fields: Vec<&Fields> = match &input.data {
        Data::Struct(data) => vec![&data.fields],
        Data::Enum(data) => {
            if data.variants.is_empty() {
                errors.spanned(
                    &input.ident,
                    "a `PluginType` enum needs at least one variant",
                );
            }
            if data.variants.len() > MAX_VARIANTS {
                errors.spanned(
                    &input.ident,
                    format!("a `PluginType` enum has at most {MAX_VARIANTS} variants"),
                );
            }
            data.variants.iter().map(|v| &v.fields).collect()
        }
        Data::Union(u) => {
            errors.spanned(
                u.union_token,
                "a union cannot be a `PluginType`: which field is set is not known; use an enum",
            );
            Vec::new()
        }
    };
    for fields in fields {
        if fields.len() > MAX_FIELDS {
            errors.spanned(
                fields,
                format!("a `PluginType` has at most {MAX_FIELDS} fields per struct or variant; group some in a struct of their own"),
            );
        }
        for field in fields {
            let mut type_errors = Vec::new();
            types::check(&field.ty, Position::Nested, &mut type_errors);
            if types::has_reference(&field.ty) {
                type_errors.push(syn::Error::new_spanned(
                    &field.ty,
                    "a `PluginType` owns its data: use `String` or `Vec<T>`, not a reference",
                ));
            }
            for error in type_errors {
                errors.push(error);
            }
        }
    }
}

/// `RawTupleN<parts..>`, or `u8` when there are none.
fn tuple_type(parts: &[TokenStream]) -> TokenStream {
    if parts.is_empty() {
        quote!(::core::primitive::u8)
    } else {
        let name = format_ident!("RawTuple{}", parts.len());
        quote!(::dynplug::__private::#name<#(#parts),*>)
    }
}

/// `RawTupleN(values..)`, or `0` when there are none.
fn tuple_value(values: &[TokenStream]) -> TokenStream {
    if values.is_empty() {
        quote!(0)
    } else {
        let name = format_ident!("RawTuple{}", values.len());
        quote!(::dynplug::__private::#name(#(#values),*))
    }
}

/// The hash of a list of fields: their count, then name and type of each.
fn fields_hash(fields: &Fields, start: TokenStream) -> TokenStream {
    let count = fields.len() as u64;
    let each = fields.iter().enumerate().map(|(i, f)| {
        let name = f
            .ident
            .as_ref()
            .map_or_else(|| i.to_string(), crate::ast::unraw);
        let name = Literal::byte_string(name.as_bytes());
        let type_hash = abi_path(&f.ty, quote!(::TYPE_HASH));
        quote! {
            let hash = ::dynplug::__private::mix(hash, ::dynplug::__private::fnv1a(#name));
            let hash = ::dynplug::__private::mix(hash, #type_hash);
        }
    });
    quote! {{
        let hash = ::dynplug::__private::mix(#start, #count);
        #(#each)*
        hash
    }}
}

fn members(fields: &Fields) -> Vec<Member> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| match &f.ident {
            Some(ident) => Member::Named(ident.clone()),
            None => Member::Unnamed(syn::Index::from(i)),
        })
        .collect()
}

fn field_types(fields: &Fields) -> Vec<&Type> {
    fields.iter().map(|f| &f.ty).collect()
}

/// `where` bounds that every field type crosses and owns its data (an
/// alias of `&'static str` would otherwise let a plugin hand the host a
/// pointer into its own memory), spanned on each type, so that a field of
/// an unsupported type is reported there.
fn field_bounds(tys: &[&Type]) -> TokenStream {
    let bounds = tys.iter().map(|t| {
        let span = syn::spanned::Spanned::span(t);
        quote::quote_spanned!(span=> #t: ::dynplug::__private::Owned,)
    });
    quote!(where #(#bounds)*)
}

/// `Owned` for the derived type: its fields own their data.
fn owned_impl(name: &syn::Ident, bounds: &TokenStream) -> TokenStream {
    quote! {
        // SAFETY: every field owns its data (the bounds say so).
        #[automatically_derived]
        unsafe impl ::dynplug::__private::Owned for #name #bounds {}
    }
}

/// `CallbackArg` and `Lent` for the derived type: a callback receives it as
/// a method does, copied into the host's memory (it owns its data).
fn callback_arg_impl(name: &syn::Ident, bounds: &TokenStream) -> TokenStream {
    quote! {
        // SAFETY: lowered and lifted by the type's `Abi`; the holder is the
        // lifted copy.
        #[automatically_derived]
        unsafe impl ::dynplug::__private::CallbackArg for #name #bounds {
            type Raw = <Self as ::dynplug::__private::Abi>::Arg;
            type Keep = <Self as ::dynplug::__private::Abi>::Keep;
            type Holder = ::core::mem::ManuallyDrop<Self>;
            const TYPE_HASH: ::core::primitive::u64 =
                <Self as ::dynplug::__private::Abi>::TYPE_HASH;
            const OBJECTS: ::core::primitive::bool =
                <Self as ::dynplug::__private::Abi>::OBJECTS;

            fn lower(&self) -> (Self::Raw, Self::Keep) {
                ::dynplug::__private::lower_owned(self)
            }
            unsafe fn hold(raw: Self::Raw) -> Self::Holder {
                // SAFETY: the caller's promise, as for `Abi::lift_arg`.
                unsafe { ::dynplug::__private::hold_owned(raw) }
            }
        }

        // SAFETY: the type owns its data (`Owned`): it borrows nothing.
        #[automatically_derived]
        unsafe impl<'a> ::dynplug::__private::Lent<'a> for #name #bounds {
            unsafe fn view(holder: &'a mut Self::Holder) -> Self {
                // SAFETY: the caller views each holder once.
                unsafe { ::dynplug::__private::view_owned(holder) }
            }
        }
    }
}

/// `Abi::OBJECTS` and `Abi::visit_interfaces` of a type with these fields:
/// what its fields say.
fn objects_items(tys: &[&Type]) -> TokenStream {
    let objects = tys.iter().map(|t| abi_path(t, quote!(::OBJECTS)));
    let visits = tys
        .iter()
        .map(|t| abi_path(t, quote!(::visit_interfaces(visit))));
    let visit = if tys.is_empty() {
        quote!(_: &mut dyn ::core::ops::FnMut(::dynplug::__private::ObjectNode))
    } else {
        quote!(visit: &mut dyn ::core::ops::FnMut(::dynplug::__private::ObjectNode))
    };
    quote! {
        const OBJECTS: ::core::primitive::bool = false #(|| #objects)*;

        fn visit_interfaces(#visit) {
            #(#visits;)*
        }
    }
}

/// `ReturnAbi` for the derived type, under the fields' bounds of its `Abi`
/// impl (`field_bounds`) too: its supertrait `Abi` then holds wherever it
/// applies, and a field that does not own its data is reported once, on
/// the field, not again on the type's name.
fn return_abi_impl(input: &DeriveInput, tys: &[&Type]) -> TokenStream {
    let name = &input.ident;
    let bounds = tys.iter().map(|t| {
        let span = syn::spanned::Spanned::span(t);
        quote::quote_spanned! {span=>
            #t: ::dynplug::__private::Owned + ::dynplug::__private::ReturnAbi<'s>,
        }
    });
    quote! {
        // SAFETY: the value borrows what its fields borrow, and each field's
        // type is held to the same bound.
        #[automatically_derived]
        unsafe impl<'s> ::dynplug::__private::ReturnAbi<'s> for #name
        where
            #(#bounds)*
        {}
    }
}

fn derive_struct(input: &DeriveInput, fields: &Fields) -> TokenStream {
    let name = &input.ident;
    let tys = field_types(fields);
    let members = members(fields);
    let args: Vec<TokenStream> = tys.iter().map(|t| abi_path(t, quote!(::Arg))).collect();
    let rets: Vec<TokenStream> = tys.iter().map(|t| abi_path(t, quote!(::Ret))).collect();
    let keeps = tys.iter().map(|t| abi_path(t, quote!(::Keep)));
    let arg_type = tuple_type(&args);
    let ret_type = tuple_type(&rets);
    let locals: Vec<Ident> = (0..tys.len())
        .map(|i| format_ident!("__dynplug_f{}", i))
        .collect();
    let lowered: Vec<TokenStream> = locals.iter().map(|l| quote!(#l.0)).collect();
    let lowered = tuple_value(&lowered);
    let returned: Vec<TokenStream> = members
        .iter()
        .map(|m| quote!(::dynplug::__private::Abi::lower_ret(self.#m)))
        .collect();
    let returned = tuple_value(&returned);
    let index = (0..tys.len()).map(syn::Index::from);
    let lift = |what: &str| {
        let method = format_ident!("{}", what);
        let values = tys
            .iter()
            .zip(index.clone())
            .map(move |(t, i)| abi_path(t, quote!(::#method(raw.#i))));
        match fields {
            Fields::Named(_) => quote!(#name { #(#members: #values),* }),
            Fields::Unnamed(_) => quote!(#name(#(#values),*)),
            Fields::Unit => quote!(#name),
        }
    };
    let lift_arg = lift("lift_arg");
    let lift_ret = lift("lift_ret");
    let kind = Literal::byte_string(format!("struct {}", crate::ast::unraw(name)).as_bytes());
    let hash = fields_hash(fields, quote!(::dynplug::__private::fnv1a(#kind)));
    let unused_raw = tys.is_empty().then(|| quote!(let _ = raw;));
    let objects = objects_items(&tys);
    let bounds = field_bounds(&tys);
    let owned = owned_impl(name, &bounds);
    let callback_arg = callback_arg_impl(name, &bounds);
    let return_abi = return_abi_impl(input, &tys);
    quote! {
        const _: () = {
            // SAFETY: a struct crosses as the tuple of its fields' lowered
            // forms, each lowered and lifted by its own `Abi`, in order.
            #[automatically_derived]
            unsafe impl ::dynplug::__private::Abi for #name #bounds {
                type Arg = #arg_type;
                type Keep = (#(#keeps,)*);
                type Ret = #ret_type;
                const TYPE_HASH: ::core::primitive::u64 = #hash;
                #objects

                fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
                    #(let #locals = ::dynplug::__private::Abi::lower_arg(&self.#members);)*
                    (#lowered, (#(#locals.1,)*))
                }
                unsafe fn lift_arg(raw: Self::Arg) -> Self {
                    #unused_raw
                    // SAFETY: the caller's promise covers every field.
                    unsafe { #lift_arg }
                }
                fn lower_ret(self) -> Self::Ret {
                    #returned
                }
                unsafe fn lift_ret(raw: Self::Ret) -> Self {
                    #unused_raw
                    // SAFETY: the caller's promise covers every field.
                    unsafe { #lift_ret }
                }
            }
            #return_abi
            #owned
            #callback_arg
        };
    }
}

fn derive_enum(input: &DeriveInput, data: &syn::DataEnum) -> TokenStream {
    let name = &input.ident;
    let variants: Vec<&syn::Variant> = data.variants.iter().collect();
    let count = variants.len();
    let union = format_ident!("RawUnion{}", count);
    let all_tys: Vec<&Type> = variants
        .iter()
        .flat_map(|v| field_types(&v.fields))
        .collect();

    let payload_type = |assoc: &str| {
        let assoc = format_ident!("{}", assoc);
        let parts = variants.iter().map(|v| {
            let parts: Vec<TokenStream> = field_types(&v.fields)
                .iter()
                .map(|t| abi_path(t, quote!(::#assoc)))
                .collect();
            tuple_type(&parts)
        });
        quote!(::dynplug::__private::RawEnum<::dynplug::__private::#union<#(#parts),*>>)
    };
    let arg_type = payload_type("Arg");
    let ret_type = payload_type("Ret");
    let keep_type = variants.iter().map(|v| {
        let keeps = field_types(&v.fields)
            .into_iter()
            .map(|t| abi_path(t, quote!(::Keep)));
        quote!(::core::option::Option<(#(#keeps,)*)>)
    });

    let pattern = |v: &syn::Variant, binds: &[Ident]| {
        let ident = &v.ident;
        match &v.fields {
            Fields::Named(f) => {
                let names = f.named.iter().map(|f| &f.ident);
                quote!(#name::#ident { #(#names: #binds),* })
            }
            Fields::Unnamed(_) => quote!(#name::#ident(#(#binds),*)),
            Fields::Unit => quote!(#name::#ident),
        }
    };
    let binds = |v: &syn::Variant| -> Vec<Ident> {
        (0..v.fields.len())
            .map(|i| format_ident!("__dynplug_f{}", i))
            .collect()
    };

    let lower_arms = variants.iter().enumerate().map(|(i, v)| {
        let binds = binds(v);
        let pattern = pattern(v, &binds);
        let tag = i as u32;
        let slot = format_ident!("v{}", i);
        let lowered: Vec<TokenStream> = binds.iter().map(|b| quote!(#b.0)).collect();
        let lowered = tuple_value(&lowered);
        let keeps = (0..count).map(|j| {
            if j == i {
                quote!(::core::option::Option::Some((#(#binds.1,)*)))
            } else {
                quote!(::core::option::Option::None)
            }
        });
        quote! {
            #pattern => {
                #(let #binds = ::dynplug::__private::Abi::lower_arg(#binds);)*
                (
                    ::dynplug::__private::RawEnum {
                        tag: #tag,
                        payload: ::dynplug::__private::#union { #slot: #lowered },
                    },
                    (#(#keeps,)*),
                )
            }
        }
    });
    let ret_arms = variants.iter().enumerate().map(|(i, v)| {
        let binds = binds(v);
        let pattern = pattern(v, &binds);
        let tag = i as u32;
        let slot = format_ident!("v{}", i);
        let lowered: Vec<TokenStream> = binds
            .iter()
            .map(|b| quote!(::dynplug::__private::Abi::lower_ret(#b)))
            .collect();
        let lowered = tuple_value(&lowered);
        quote! {
            #pattern => ::dynplug::__private::RawEnum {
                tag: #tag,
                payload: ::dynplug::__private::#union { #slot: #lowered },
            },
        }
    });
    let lift_arms = |method: &str| {
        let method = format_ident!("{}", method);
        variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let tag = i as u32;
                let slot = format_ident!("v{}", i);
                let ident = &v.ident;
                let values = field_types(&v.fields)
                    .into_iter()
                    .enumerate()
                    .map(|(k, t)| {
                        let k = syn::Index::from(k);
                        abi_path(t, quote!(::#method(payload.#k)))
                    });
                let built = match &v.fields {
                    Fields::Named(f) => {
                        let names = f.named.iter().map(|f| &f.ident);
                        quote!(#name::#ident { #(#names: #values),* })
                    }
                    Fields::Unnamed(_) => quote!(#name::#ident(#(#values),*)),
                    Fields::Unit => quote!(#name::#ident),
                };
                quote! {
                    #tag => {
                        #[allow(unused_variables)]
                        let payload = raw.payload.#slot;
                        #built
                    }
                }
            })
            .collect::<Vec<_>>()
    };
    let lift_arg_arms = lift_arms("lift_arg");
    let lift_ret_arms = lift_arms("lift_ret");
    let variant_hashes = variants.iter().map(|v| {
        let vname = Literal::byte_string(crate::ast::unraw(&v.ident).as_bytes());
        fields_hash(
            &v.fields,
            quote!(::dynplug::__private::mix(hash, ::dynplug::__private::fnv1a(#vname))),
        )
    });
    let kind = Literal::byte_string(format!("enum {}", crate::ast::unraw(name)).as_bytes());
    let bad_tag = format!("dynplug: invalid variant of `{name}` at the plugin boundary");
    let return_abi = return_abi_impl(input, &all_tys);
    let objects = objects_items(&all_tys);
    let bounds = field_bounds(&all_tys);
    let owned = owned_impl(name, &bounds);
    let callback_arg = callback_arg_impl(name, &bounds);
    quote! {
        const _: () = {
            // SAFETY: an enum crosses as its variant's index and that
            // variant's fields, lowered and lifted by their own `Abi`; the
            // tag says which union field is set.
            #[automatically_derived]
            unsafe impl ::dynplug::__private::Abi for #name #bounds {
                type Arg = #arg_type;
                type Keep = (#(#keep_type,)*);
                type Ret = #ret_type;
                const TYPE_HASH: ::core::primitive::u64 = {
                    let hash = ::dynplug::__private::fnv1a(#kind);
                    #(let hash = #variant_hashes;)*
                    hash
                };
                #objects

                fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
                    match self {
                        #(#lower_arms)*
                    }
                }
                unsafe fn lift_arg(raw: Self::Arg) -> Self {
                    // SAFETY: the tag names the variant whose fields are set,
                    // lowered from this type (the interface hash vouches).
                    unsafe {
                        match raw.tag {
                            #(#lift_arg_arms)*
                            _ => ::core::panic!(#bad_tag),
                        }
                    }
                }
                fn lower_ret(self) -> Self::Ret {
                    match self {
                        #(#ret_arms)*
                    }
                }
                unsafe fn lift_ret(raw: Self::Ret) -> Self {
                    // SAFETY: as for `lift_arg`.
                    unsafe {
                        match raw.tag {
                            #(#lift_ret_arms)*
                            _ => ::core::panic!(#bad_tag),
                        }
                    }
                }
            }
            #return_abi
            #owned
            #callback_arg
        };
    }
}
