//! `#[derive(PluginType)]`: makes a struct or enum of supported types cross
//! the plugin boundary. A struct crosses as the tuple of its fields; an
//! enum as a tag and a union of its variants' fields. The definition (names,
//! field types, order, variants) is hashed into the interface's signatures,
//! so a plugin built with another definition is refused at load.
//!
//! The runtime has `RawTupleN` for up to 12 elements and `RawUnionN` for up
//! to 16 members; more fields or variants nest them ([`nest`]): 64 fields
//! are a tuple of six tuples, 300 variants a union of 19 unions. A type
//! parameter crosses as what it is instantiated with (`Page<Item>`).

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, GenericParam, Member, Type};

use crate::expand::abi_path;
use crate::types::{self, Position};
use crate::valid::Errors;

use dynplug_rules::limit::{TUPLE as TUPLE_WIDTH, VARIANTS as UNION_WIDTH};

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
    // A lifetime parameter means fields that borrow: one error, on it.
    if let Some(lifetime) = input.generics.lifetimes().next() {
        errors.spanned(
            lifetime,
            "a `PluginType` owns its data, so it has no lifetime parameter: use `String` \
             or `Vec<T>` in its fields, not references",
        );
        return;
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
        for field in fields {
            // A type that holds itself: its structural hash would contain
            // itself, and the compiler's own refusal is a page of
            // overflows. One error, on the use, saying what to do.
            if let Some(inner) = self_reference(&field.ty, &input.ident) {
                errors.spanned(
                    inner,
                    format!(
                        "`{}` holds itself here: a recursive type cannot cross the plugin \
                         boundary (its signature hash would contain itself); keep the nodes \
                         in a `Vec` and refer to them by index",
                        input.ident
                    ),
                );
                continue;
            }
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

/// The first path in `ty` that names the type being derived (`Self`, or
/// its own name alone: `Box<Expr>` in `enum Expr`, `Vec<Tree>`).
fn self_reference<'a>(ty: &'a syn::Type, ident: &syn::Ident) -> Option<&'a syn::TypePath> {
    struct Finder<'a, 'i> {
        ident: &'i syn::Ident,
        found: Option<&'a syn::TypePath>,
    }
    impl<'a> syn::visit::Visit<'a> for Finder<'a, '_> {
        fn visit_type_path(&mut self, p: &'a syn::TypePath) {
            let own = p.qself.is_none() && (p.path.is_ident("Self") || p.path.is_ident(self.ident));
            if own && self.found.is_none() {
                self.found = Some(p);
            }
            syn::visit::visit_type_path(self, p);
        }
    }
    let mut finder = Finder { ident, found: None };
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.found
}

/// How `count` items are grouped when a group holds at most `width`: one
/// group if they fit, else groups of `width` grouped again, as often as it
/// takes. Up to `width` items keep the flat layout they always had.
#[derive(Clone)]
enum Nest {
    Item(usize),
    Group(Vec<Nest>),
}

fn nest(count: usize, width: usize) -> Nest {
    let mut level: Vec<Nest> = (0..count).map(Nest::Item).collect();
    while level.len() > width {
        level = level
            .chunks(width)
            .map(|chunk| Nest::Group(chunk.to_vec()))
            .collect();
    }
    Nest::Group(level)
}

impl Nest {
    /// The type: each group a `{kind}N<..>` of its members' types, each item
    /// `leaves[i]`.
    fn ty(&self, kind: &str, leaves: &[TokenStream]) -> TokenStream {
        match self {
            Nest::Item(i) => leaves[*i].clone(),
            Nest::Group(members) => {
                let name = format_ident!("{}{}", kind, members.len());
                let members = members.iter().map(|m| m.ty(kind, leaves));
                quote!(::dynplug::__private::#name<#(#members),*>)
            }
        }
    }

    /// The type of a nest of plain Rust tuples (each at most `width`, so
    /// that it is `Default`).
    fn plain(&self, leaves: &[TokenStream]) -> TokenStream {
        match self {
            Nest::Item(i) => leaves[*i].clone(),
            Nest::Group(members) => {
                let members = members.iter().map(|m| m.plain(leaves));
                quote!((#(#members,)*))
            }
        }
    }

    /// The value of a tuple nest: each group a `RawTupleN(..)`.
    fn tuple(&self, leaves: &[TokenStream]) -> TokenStream {
        match self {
            Nest::Item(i) => leaves[*i].clone(),
            Nest::Group(members) => {
                let name = format_ident!("RawTuple{}", members.len());
                let members = members.iter().map(|m| m.tuple(leaves));
                quote!(::dynplug::__private::#name(#(#members),*))
            }
        }
    }

    /// The indices from the root to item `item`, each with the size of the
    /// group it indexes.
    fn path(&self, item: usize) -> Option<Vec<(usize, usize)>> {
        match self {
            Nest::Item(i) => (*i == item).then(Vec::new),
            Nest::Group(members) => members.iter().enumerate().find_map(|(at, m)| {
                let mut rest = m.path(item)?;
                rest.insert(0, (at, members.len()));
                Some(rest)
            }),
        }
    }

    /// `.a.b..`: the field access from the root of a tuple nest to `item`.
    fn tuple_field(&self, item: usize) -> TokenStream {
        let steps = self.path(item).expect("an item of the nest");
        let steps = steps.iter().map(|&(at, _)| syn::Index::from(at));
        quote!(#(.#steps)*)
    }

    /// `.va.vb..`: the field access from the root of a union nest to
    /// `item`.
    fn union_field(&self, item: usize) -> TokenStream {
        let steps = self.path(item).expect("an item of the nest");
        let steps = steps.iter().map(|&(at, _)| format_ident!("v{}", at));
        quote!(#(.#steps)*)
    }

    /// The value of a union nest with `value` as item `item`, built from
    /// the inside out: `RawUnionN { va: RawUnionM { vb: value } }`.
    fn union_with(&self, item: usize, value: TokenStream) -> TokenStream {
        let steps = self.path(item).expect("an item of the nest");
        steps.iter().rev().fold(value, |inner, &(at, size)| {
            let name = format_ident!("RawUnion{}", size);
            let field = format_ident!("v{}", at);
            quote!(::dynplug::__private::#name { #field: #inner })
        })
    }
}

/// The lowered type of a list of fields: nested `RawTupleN`s, or `u8` when
/// there are none.
fn tuple_type(parts: &[TokenStream]) -> TokenStream {
    if parts.is_empty() {
        return quote!(::core::primitive::u8);
    }
    nest(parts.len(), TUPLE_WIDTH).ty("RawTuple", parts)
}

/// The lowered value of a list of fields, or `0` when there are none.
fn tuple_value(values: &[TokenStream]) -> TokenStream {
    if values.is_empty() {
        return quote!(0);
    }
    nest(values.len(), TUPLE_WIDTH).tuple(values)
}

/// Field `index` of a lowered list of `count` fields: `.i` or `.i.j..`.
fn tuple_field(count: usize, index: usize) -> TokenStream {
    nest(count, TUPLE_WIDTH).tuple_field(index)
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
/// The type's own `where` predicates come first.
fn field_bounds(input: &DeriveInput, tys: &[&Type]) -> TokenStream {
    let bounds = tys.iter().map(|t| {
        let span = syn::spanned::Spanned::span(t);
        quote::quote_spanned!(span=> #t: ::dynplug::__private::Owned,)
    });
    let own = own_predicates(input);
    quote!(where #own #(#bounds)*)
}

/// The type's own `where` predicates, each followed by a comma.
fn own_predicates(input: &DeriveInput) -> TokenStream {
    let predicates = input
        .generics
        .where_clause
        .iter()
        .flat_map(|w| w.predicates.iter());
    quote!(#(#predicates,)*)
}

/// The generics of an impl for the type (`impl<..> Trait for Name<..>`):
/// the type's own parameters, after `lifetime` if given, and the type as
/// named with them.
fn impl_generics(input: &DeriveInput, lifetime: Option<&str>) -> (TokenStream, TokenStream) {
    let mut generics = input.generics.clone();
    if let Some(lifetime) = lifetime {
        let lifetime = syn::Lifetime::new(lifetime, proc_macro2::Span::call_site());
        generics
            .params
            .insert(0, GenericParam::Lifetime(syn::LifetimeParam::new(lifetime)));
    }
    let (impl_generics, _, _) = generics.split_for_impl();
    let (_, ty_generics, _) = input.generics.split_for_impl();
    let name = &input.ident;
    (quote!(#impl_generics), quote!(#name #ty_generics))
}

/// `Owned` for the derived type: its fields own their data.
fn owned_impl(input: &DeriveInput, bounds: &TokenStream) -> TokenStream {
    let (generics, name) = impl_generics(input, None);
    quote! {
        // SAFETY: every field owns its data (the bounds say so).
        #[automatically_derived]
        unsafe impl #generics ::dynplug::__private::Owned for #name #bounds {}
    }
}

/// `CallbackArg` and `Lent` for the derived type: a callback receives it as
/// a method does, copied into the host's memory (it owns its data).
fn callback_arg_impl(input: &DeriveInput, bounds: &TokenStream) -> TokenStream {
    let (generics, name) = impl_generics(input, None);
    let (lent_generics, _) = impl_generics(input, Some("'a"));
    quote! {
        // SAFETY: lowered and lifted by the type's `Abi`; the holder is the
        // lifted copy.
        #[automatically_derived]
        unsafe impl #generics ::dynplug::__private::CallbackArg for #name #bounds {
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
        unsafe impl #lent_generics ::dynplug::__private::Lent<'a> for #name #bounds {
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
    let (generics, name) = impl_generics(input, Some("'s"));
    let own = own_predicates(input);
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
        unsafe impl #generics ::dynplug::__private::ReturnAbi<'s> for #name
        where
            #own
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
    let index: Vec<TokenStream> = (0..tys.len()).map(|i| tuple_field(tys.len(), i)).collect();
    let lift = |what: &str| {
        let method = format_ident!("{}", what);
        let values = tys
            .iter()
            .zip(&index)
            .map(move |(t, i)| abi_path(t, quote!(::#method(raw #i))));
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
    let bounds = field_bounds(input, &tys);
    let owned = owned_impl(input, &bounds);
    let callback_arg = callback_arg_impl(input, &bounds);
    let return_abi = return_abi_impl(input, &tys);
    let (generics, named) = impl_generics(input, None);
    quote! {
        const _: () = {
            // SAFETY: a struct crosses as the tuple of its fields' lowered
            // forms, each lowered and lifted by its own `Abi`, in order.
            #[automatically_derived]
            unsafe impl #generics ::dynplug::__private::Abi for #named #bounds {
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
    let union = nest(count, UNION_WIDTH);
    let keep_nest = nest(count, TUPLE_WIDTH);
    let all_tys: Vec<&Type> = variants
        .iter()
        .flat_map(|v| field_types(&v.fields))
        .collect();

    let payload_type = |assoc: &str| {
        let assoc = format_ident!("{}", assoc);
        let parts: Vec<TokenStream> = variants
            .iter()
            .map(|v| {
                let parts: Vec<TokenStream> = field_types(&v.fields)
                    .iter()
                    .map(|t| abi_path(t, quote!(::#assoc)))
                    .collect();
                tuple_type(&parts)
            })
            .collect();
        let union = union.ty("RawUnion", &parts);
        quote!(::dynplug::__private::RawEnum<#union>)
    };
    let arg_type = payload_type("Arg");
    let ret_type = payload_type("Ret");
    // What a lowered argument keeps alive: one `Option` per variant (the
    // lowered one's set), nested in tuples that are `Default`.
    let keep_types: Vec<TokenStream> = variants
        .iter()
        .map(|v| {
            let keeps = field_types(&v.fields)
                .into_iter()
                .map(|t| abi_path(t, quote!(::Keep)));
            quote!(::core::option::Option<(#(#keeps,)*)>)
        })
        .collect();
    let keep_type = keep_nest.plain(&keep_types);

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
        let lowered: Vec<TokenStream> = binds.iter().map(|b| quote!(#b.0)).collect();
        let payload = union.union_with(i, tuple_value(&lowered));
        let kept = keep_nest.tuple_field(i);
        quote! {
            #pattern => {
                #(let #binds = ::dynplug::__private::Abi::lower_arg(#binds);)*
                let mut keep: Self::Keep = ::core::default::Default::default();
                keep #kept = ::core::option::Option::Some((#(#binds.1,)*));
                (::dynplug::__private::RawEnum { tag: #tag, payload: #payload }, keep)
            }
        }
    });
    let ret_arms = variants.iter().enumerate().map(|(i, v)| {
        let binds = binds(v);
        let pattern = pattern(v, &binds);
        let tag = i as u32;
        let lowered: Vec<TokenStream> = binds
            .iter()
            .map(|b| quote!(::dynplug::__private::Abi::lower_ret(#b)))
            .collect();
        let payload = union.union_with(i, tuple_value(&lowered));
        quote! {
            #pattern => ::dynplug::__private::RawEnum { tag: #tag, payload: #payload },
        }
    });
    let lift_arms = |method: &str| {
        let method = format_ident!("{}", method);
        variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let tag = i as u32;
                let slot = union.union_field(i);
                let ident = &v.ident;
                let fields = v.fields.len();
                let values = field_types(&v.fields)
                    .into_iter()
                    .enumerate()
                    .map(|(k, t)| {
                        let k = tuple_field(fields, k);
                        abi_path(t, quote!(::#method(payload #k)))
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
                        let payload = raw.payload #slot;
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
    let bounds = field_bounds(input, &all_tys);
    let owned = owned_impl(input, &bounds);
    let callback_arg = callback_arg_impl(input, &bounds);
    let (generics, named) = impl_generics(input, None);
    quote! {
        const _: () = {
            // SAFETY: an enum crosses as its variant's index and that
            // variant's fields, lowered and lifted by their own `Abi`; the
            // tag says which union field is set.
            #[automatically_derived]
            unsafe impl #generics ::dynplug::__private::Abi for #named #bounds {
                type Arg = #arg_type;
                type Keep = #keep_type;
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
