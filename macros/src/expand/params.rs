//! How each kind of parameter crosses, in generated code: its hash, how
//! the host lowers it, and how the plugin's shim lifts it. The kinds are
//! decided in `types::arg_kind`; the lowering of each type is the
//! runtime's `Abi`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::{Via, abi_item, at, ends, via_item};
use crate::callback::{self, Callback};
use crate::types::{self, ArgKind};

/// The types of a parameter that must implement `Abi` (a callback's result
/// included; its arguments are `CallbackArg`s instead), or `RefArg` (the
/// `T` of a `&T`).
pub fn abi_types<'a>(kind: &ArgKind<'a>, ty: &'a Type) -> Vec<(&'a Type, Via)> {
    match kind {
        ArgKind::Value => vec![(ty, Via::Abi)],
        ArgKind::Ref(t) => vec![(t, Via::RefArg)],
        ArgKind::Slice(t) | ArgKind::MutSlice(t) | ArgKind::MutRef(t) => vec![(t, Via::Abi)],
        ArgKind::ArrayRef(a) => vec![(&a.elem, Via::Abi)],
        ArgKind::Callback(cb) | ArgKind::OptionalCallback(cb, _) => {
            cb.output.into_iter().map(|t| (t, Via::Abi)).collect()
        }
        ArgKind::ObjectRef(_) | ArgKind::ObjectMut(_) | ArgKind::ObjectBox(_) => Vec::new(),
    }
}

/// `<dyn Trait as ObjectInterface>` of an object argument's trait object,
/// with its lifetimes made `'static` (the interface is `dyn Trait`).
pub fn object_interface(object: &syn::TypeTraitObject) -> TokenStream {
    let bare = object_type(object);
    quote_spanned!(object.span()=> <#bare as ::dynplug::__private::ObjectInterface>)
}

/// The trait's path of a trait object (`Log` in `dyn Log + 'a`).
fn object_trait(object: &syn::TypeTraitObject) -> TokenStream {
    let path = object.bounds.iter().find_map(|b| match b {
        syn::TypeParamBound::Trait(t) => Some(&t.path),
        _ => None,
    });
    quote_spanned!(object.span()=> #path)
}

/// `dyn Trait` of a trait object, without its lifetime bounds.
fn object_type(object: &syn::TypeTraitObject) -> TokenStream {
    let traits = object.bounds.iter().filter_map(|b| match b {
        syn::TypeParamBound::Trait(t) => Some(t),
        _ => None,
    });
    quote!(dyn #(#traits)+*)
}

fn unit() -> Type {
    syn::parse_quote!(())
}

/// How a callback's argument types are named in generated code.
#[derive(Clone, Copy)]
enum Lifetimes<'a> {
    /// Every lifetime `'static`: for items without lifetimes of their own
    /// (the trampoline's signature, hashes); the lowered forms do not
    /// depend on lifetimes.
    Static,
    /// The callback's own lifetimes (elided, or `for<'a>`) made this one;
    /// others (`'static`) as written.
    Rebound(&'a syn::Lifetime),
}

/// `(A, B, ..)` of a callback's inputs, every lifetime `'static`: how
/// items without lifetimes of their own name them.
pub fn callback_inputs(cb: &Callback) -> TokenStream {
    inputs_tuple(cb, Lifetimes::Static)
}

/// `(A, B, ..)` of a callback's inputs, with their lifetimes as `lifetimes`
/// says, written `::dynplug::__private::ArgsN<A, B, ..>` (an alias of the
/// tuple) spanned from the first input's first token to the last one's
/// last: an input that cannot cross is reported on the inputs, and not, as
/// a tuple of the call site, at the attribute.
fn inputs_tuple(cb: &Callback, lifetimes: Lifetimes) -> TokenStream {
    let inputs: Vec<Type> = cb
        .inputs
        .iter()
        .map(|t| match lifetimes {
            Lifetimes::Static => types::to_static(t),
            Lifetimes::Rebound(to) => callback::rebind(t, &cb.bound, to),
        })
        .collect();
    let (Some(first), Some(last)) = (cb.inputs.first(), cb.inputs.last()) else {
        return quote!(());
    };
    if inputs.len() > 12 {
        // No alias (nor `CallbackArg`) for more: the tuple, refused as it is.
        return quote!((#(#inputs,)*));
    }
    let (first, last) = (super::ends(first).0, super::ends(last).1);
    let alias = format_ident!("Args{}", inputs.len(), span = last);
    let root = quote_spanned!(first=> ::dynplug);
    quote_spanned!(last=> #root::__private::#alias<#(#inputs),*>)
}

fn output(cb: &Callback) -> Type {
    cb.output.cloned().unwrap_or_else(unit)
}

/// Where the generated items of a callback are reported: from its first
/// input's first token to its last input's last, when the inputs are the
/// only types that might not cross (no result, or one known to cross);
/// otherwise the call site (an error there could be the result's).
fn inputs_ends(cb: &Callback) -> Option<(Span, Span)> {
    let (first, last) = (cb.inputs.first()?, cb.inputs.last()?);
    if cb.output.is_some_and(|out| !types::known_to_cross(out)) {
        return None;
    }
    Some((super::ends(first).0, super::ends(last).1))
}

/// `tokens` spanned on a callback's inputs ([`inputs_ends`]), or as they are.
fn on_inputs(
    cb: &Callback,
    before: TokenStream,
    inner: TokenStream,
    after: TokenStream,
) -> TokenStream {
    match inputs_ends(cb) {
        Some(ends) => super::around(ends, before, inner, after),
        None => quote!(#before #inner #after),
    }
}

/// The parameter's part in the signature hash.
pub fn hash(kind: &ArgKind, ty: &Type) -> TokenStream {
    // The constructors' hashes are the shared rules' (`dynplug_rules::hash`).
    let tag_via = |constructor: &str, t: &Type, via: Via| {
        let hash = via_item(&types::to_static(t), via, "TYPE_HASH");
        let constructor = format_ident!("{}", constructor);
        quote! {
            ::dynplug::__private::rules::hash::#constructor(#hash)
        }
    };
    let tag = |constructor: &str, t: &Type| tag_via(constructor, t, Via::Abi);
    match kind {
        ArgKind::Value => abi_item(&types::to_static(ty), "TYPE_HASH"),
        // `&[T]` hashes as the `&[T]` value type does.
        ArgKind::Slice(t) => tag("slice", t),
        ArgKind::Ref(t) => tag_via("reference", t, Via::RefArg),
        // As the `&[T; N]` it is (the array's hash has its length).
        ArgKind::ArrayRef(a) => tag("reference", &Type::Array((*a).clone())),
        ArgKind::MutSlice(t) => tag("mut_slice", t),
        ArgKind::MutRef(t) => tag("mut_reference", t),
        ArgKind::ObjectRef(t) | ArgKind::ObjectMut(t) | ArgKind::ObjectBox(t) => {
            let how = match kind {
                ArgKind::ObjectRef(_) => quote!(Lent),
                ArgKind::ObjectMut(_) => quote!(LentMut),
                _ => quote!(Boxed),
            };
            let interface = object_interface(t);
            quote! {
                ::dynplug::__private::rules::hash::object(
                    ::dynplug::__private::rules::hash::Object::#how,
                    #interface::NAME,
                )
            }
        }
        ArgKind::Callback(cb) => callback_hash(cb),
        ArgKind::OptionalCallback(cb, _) => {
            let callback = callback_hash(cb);
            quote!(::dynplug::__private::rules::hash::option(#callback))
        }
    }
}

/// A callback's part in the signature hash.
fn callback_hash(cb: &Callback) -> TokenStream {
    let mutable = cb.mutable;
    let inputs = inputs_tuple(cb, Lifetimes::Static);
    let out = abi_item(&types::to_static(&output(cb)), "TYPE_HASH");
    quote! {
        ::dynplug::__private::rules::hash::callback(
            #mutable,
            <#inputs as ::dynplug::__private::CallbackArg>::TYPE_HASH,
            #out,
        )
    }
}

/// Host side: statements that lower parameter `name` (of type `ty`) into
/// the local `lowered`, keeping what must live through the call.
pub fn host_lower(kind: &ArgKind, ty: &Type, name: &Ident, lowered: &Ident) -> TokenStream {
    let keep = format_ident!("{}_keep", lowered);
    // Spanned on the type: an unsupported type is reported there, once.
    let span = ty.span();
    let tokens = match kind {
        ArgKind::Value => {
            let lower_arg = abi_item(ty, "lower_arg");
            let last = ends(ty).1;
            let args = quote_spanned!(last=> (&#name));
            quote!(let (#lowered, #keep) = #lower_arg #args;)
        }
        ArgKind::Ref(t) => {
            let lower_arg = via_item(t, Via::RefArg, "lower_ref");
            let last = ends(t).1;
            let args = quote_spanned!(last=> (#name));
            quote!(let (#lowered, #keep) = #lower_arg #args;)
        }
        ArgKind::Slice(t) => {
            quote!(let (#lowered, #keep) = ::dynplug::__private::lower_slice::<#t>(#name);)
        }
        ArgKind::ArrayRef(a) => return host_lower(&ArgKind::Slice(&a.elem), ty, name, lowered),
        ArgKind::MutSlice(t) => {
            quote!(let #lowered = ::dynplug::__private::RawSliceMut::<#t>::new(#name);)
        }
        // Spanned on the type: one that does not own its data (an alias of
        // `&'static str`, say) is reported there.
        ArgKind::MutRef(t) => {
            let span = t.span();
            quote_spanned! {span=>
                let (#lowered, #keep) = ::dynplug::__private::RawMut::<#t>::new(#name);
            }
        }
        ArgKind::Callback(cb) => {
            let trampoline = format_ident!("{}_trampoline", lowered);
            let lent = format_ident!("{}_lent", lowered);
            let define = trampoline_fn(cb, ty, &trampoline);
            // `(trampoline,).0`: named, its signature is reported on the
            // inputs too.
            let trampoline_arg = on_inputs(cb, quote!((#trampoline,)), quote!(), quote!(.0));
            quote! {
                let mut #lent = #name;
                #define
                let #lowered = ::dynplug::__private::RawFn::new(
                    (&raw mut #lent).cast::<::dynplug::__private::c_void>(),
                    #trampoline_arg,
                );
            }
        }
        ArgKind::OptionalCallback(cb, r) => {
            let trampoline = format_ident!("{}_trampoline", lowered);
            let lent = format_ident!("{}_lent", lowered);
            let reference = Type::Reference((*r).clone());
            let define = trampoline_fn(cb, &reference, &trampoline);
            let trampoline_arg = on_inputs(cb, quote!((#trampoline,)), quote!(), quote!(.0));
            // The context points at the reference inside the `Option`,
            // which lives through the call.
            quote! {
                let mut #lent = #name;
                #define
                let #lowered = match &mut #lent {
                    ::core::option::Option::Some(__dynplug_callback) => {
                        ::dynplug::__private::RawOptionalFn::some(
                            ::core::ptr::from_mut(__dynplug_callback)
                                .cast::<::dynplug::__private::c_void>(),
                            #trampoline_arg,
                        )
                    }
                    ::core::option::Option::None => ::dynplug::__private::RawOptionalFn::none(),
                };
            }
        }
        // The object is lent through its trait's hidden method, called on
        // the object as it is (its own lifetime bound included: nothing
        // assumes it `'static`); the lend borrows it for this call.
        ArgKind::ObjectRef(t) => {
            let path = object_trait(t);
            quote! {
                let #keep = #path::__dynplug_lend(#name);
                let #lowered = #keep.raw();
            }
        }
        ArgKind::ObjectMut(t) => {
            let path = object_trait(t);
            quote! {
                let #keep = #path::__dynplug_lend_mut(#name);
                let #lowered = #keep.raw();
            }
        }
        ArgKind::ObjectBox(t) => {
            let interface = object_interface(t);
            quote!(let #lowered = #interface::into_raw(#name).into_raw();)
        }
    };
    quote_spanned!(span=> #tokens)
}

/// The trampoline of a callback of type `ty` (`&dyn Fn(..)`): the host
/// lends a pointer to its `ty` and this function, which holds the plugin's
/// arguments for the call, lends them to the closure (panics caught) and
/// lowers the result.
///
/// The closure is called from a function generic over a lifetime `'call`,
/// each argument viewed as its type as written with every elided lifetime
/// made `'call`, under the bound `A<'call>: Lent<'call>`: the compiler
/// proves, after resolving aliases, that every argument borrows exactly for
/// `'call`, so the closure cannot keep any of it (a `&'static str` would
/// need `'call: 'static`, which a generic lifetime is not).
fn trampoline_fn(cb: &Callback, ty: &Type, trampoline: &Ident) -> TokenStream {
    let call = syn::Lifetime::new("'call", proc_macro2::Span::call_site());
    let inputs_static = inputs_tuple(cb, Lifetimes::Static);
    let out_static = types::to_static(&output(cb));
    let names: Vec<Ident> = (0..cb.inputs.len())
        .map(|i| format_ident!("__dynplug_cb_arg{}", i))
        .collect();
    // Each argument viewed on its own, spanned on its type: one that could
    // outlive the call is reported there. A result that borrows is
    // reported on the result.
    let views = cb.inputs.iter().enumerate().map(|(i, input)| {
        let index = syn::Index::from(i);
        let input_call = callback::rebind(input, &cb.bound, &call);
        super::around(
            super::ends(input),
            quote!(<),
            quote!(#input_call),
            quote!(as ::dynplug::__private::Lent<#call>>::view(&mut holder.#index)),
        )
    });
    // A `Fn` callback is borrowed shared for each call, so that a call
    // nested in another (which safe plugin code cannot make, holding the
    // callback only for its own call) would not make two `&mut` of it.
    let callback = if cb.mutable {
        quote!(&mut *ctx.cast::<#ty>())
    } else {
        quote!(&*ctx.cast::<#ty>())
    };
    let out_span = cb.output.map_or_else(|| ty.span(), |out| out.span());
    let run = quote_spanned!(out_span=> ::dynplug::__private::host_callback::<#out_static, _>);
    // The inputs' parts spanned on the inputs: one that cannot cross is
    // reported there, once.
    let raw_args = on_inputs(
        cb,
        quote!(<),
        inputs_static.clone(),
        quote!(as ::dynplug::__private::CallbackArg>::Raw),
    );
    let holder_ty = on_inputs(
        cb,
        quote!(&#call mut <),
        inputs_static.clone(),
        quote!(as ::dynplug::__private::CallbackArg>::Holder),
    );
    let hold = on_inputs(
        cb,
        quote!(<),
        inputs_static.clone(),
        quote!(as ::dynplug::__private::CallbackArg>::hold(args)),
    );
    quote! {
        /// # Safety
        ///
        /// `ctx` is the callback lent for the call in progress; `args` its
        /// arguments, lowered by the plugin, which keeps them for the call.
        unsafe extern "C" fn #trampoline(
            ctx: *mut ::dynplug::__private::c_void,
            args: #raw_args,
        ) -> ::dynplug::__private::RetSlot<<#out_static as ::dynplug::__private::Abi>::Ret> {
            /// Calls the callback at `ctx` with its arguments, borrowed from
            /// `holder` for `'call`, a lifetime of which the body knows
            /// nothing: no borrow of another lifetime passes for it.
            ///
            /// # Safety
            ///
            /// As for the trampoline; `holder` holds `args`, viewed once.
            #[inline(always)]
            #[allow(unused_variables)]
            unsafe fn __dynplug_call<#call>(
                ctx: *mut ::dynplug::__private::c_void,
                holder: #holder_ty,
            ) -> #out_static {
                // SAFETY: the callback is lent for the call in progress; the
                // holder was made from the plugin's arguments, which it
                // keeps for the call, and is viewed once.
                let (callback, #(#names,)*) = unsafe { (#callback, #(#views,)*) };
                (*callback)(#(#names),*)
            }
            #run(|| {
                // SAFETY: the plugin calls back during the call, while the
                // callback is lent, with arguments it lowered from these
                // types and keeps for the call.
                unsafe {
                    let mut holder = #hold;
                    __dynplug_call(ctx, &mut holder)
                }
            })
        }
    }
}

/// Plugin side: one parameter of a method's shim.
pub struct Lifted {
    /// The shim's parameter: `raw: <lowered type>`.
    pub param: TokenStream,
    /// Statements before the call.
    pub setup: TokenStream,
    /// The expression passed to the method.
    pub pass: TokenStream,
    /// Statements after the call (writing `&mut` arguments back).
    pub after: TokenStream,
}

/// Plugin side: how the shim receives parameter `raw` and lifts it.
pub fn plugin_lift(kind: &ArgKind, ty: &Type, raw: &Ident) -> Lifted {
    let held = format_ident!("{}_held", raw);
    let lowered_of = |t: &Type| abi_item(&types::to_static(t), "Arg");
    // `lift_arg(raw)` spanned whole on the type ([`ends`]), with `Self`
    // inferred from the use: an unsupported type is reported there, once
    // (as a call of the call site, the same error would show again at the
    // attribute).
    let lift = |t: &Type, raw: &Ident| {
        let (first, last) = ends(t);
        let open = quote_spanned!(first=> ::dynplug);
        // `(raw,).0`: the argument spanned whole on the type too.
        let raw = at(raw, first);
        let tuple = quote_spanned!(first=> (#raw,));
        quote_spanned!(last=> #open::__private::Abi::lift_arg(#tuple.0))
    };
    let none = TokenStream::new();
    // SAFETY (of every generated block below): the host lowered the argument
    // from a value of this type, which lives (or is lent) through the call.
    match kind {
        ArgKind::Value => Lifted {
            param: {
                let t = lowered_of(ty);
                quote!(#raw: #t)
            },
            setup: {
                let lift = lift(ty, raw);
                quote!(let #held = unsafe { #lift };)
            },
            pass: quote!(#held),
            after: none,
        },
        // Held for the call (a lifted copy, or a `Path`'s units) and lent
        // to the method as `&T`.
        ArgKind::Ref(t) => Lifted {
            param: {
                let l = via_item(&types::to_static(t), Via::RefArg, "Arg");
                quote!(#raw: #l)
            },
            setup: {
                let hold = via_item(&types::to_elided(t), Via::RefArg, "hold");
                quote!(let #held = unsafe { #hold(#raw) };)
            },
            pass: {
                let view = via_item(&types::to_elided(t), Via::RefArg, "view");
                quote!(unsafe { #view(&#held) })
            },
            after: none,
        },
        ArgKind::Slice(t) => Lifted {
            param: {
                let l = lowered_of(t);
                quote!(#raw: ::dynplug::__private::RawSlice<#l>)
            },
            setup: {
                let t = types::to_elided(t);
                quote!(let #held = unsafe { ::dynplug::__private::lift_slice::<#t>(#raw) };)
            },
            pass: quote!(&*#held),
            after: none,
        },
        // In place for scalars, else copied into a vector: never onto the
        // stack whole. The length is the array's (in the hash).
        ArgKind::ArrayRef(a) => {
            let len = &a.len;
            Lifted {
                pass: quote!(::dynplug::__private::as_array::<_, { #len }>(&*#held)),
                ..plugin_lift(&ArgKind::Slice(&a.elem), ty, raw)
            }
        }
        ArgKind::MutSlice(t) => {
            let t_static = types::to_static(t);
            Lifted {
                param: quote!(#raw: ::dynplug::__private::RawSliceMut<#t_static>),
                setup: none.clone(),
                pass: quote!(unsafe { #raw.get() }),
                after: none,
            }
        }
        ArgKind::MutRef(t) => {
            let t_static = types::to_static(t);
            Lifted {
                param: quote!(#raw: ::dynplug::__private::RawMut<#t_static>),
                setup: quote!(let mut #held = unsafe { #raw.lift() };),
                pass: quote!(&mut #held.value),
                after: quote!(unsafe { #held.finish() };),
            }
        }
        ArgKind::Callback(cb) => plugin_callback(cb, raw, &held),
        ArgKind::OptionalCallback(cb, r) => {
            let callback = plugin_callback(cb, &format_ident!("{}_fn", raw), &held);
            let reference = &**r;
            let raw_fn = format_ident!("{}_fn", raw);
            // The same closure as for a callback, made only if the host
            // passed one, and lent as the reference type written.
            let setup = &callback.setup;
            let (take, view) = if cb.mutable {
                (quote!(as_mut), quote!(&mut *))
            } else {
                (quote!(as_ref), quote!(&*))
            };
            Lifted {
                param: {
                    let inputs_static = inputs_tuple(cb, Lifetimes::Static);
                    let out_static = types::to_static(&output(cb));
                    let ty = on_inputs(
                        cb,
                        quote!(::dynplug::__private::RawOptionalFn<<),
                        inputs_static,
                        quote! {
                            as ::dynplug::__private::CallbackArg>::Raw,
                            <#out_static as ::dynplug::__private::Abi>::Ret,
                        >},
                    );
                    quote!(#raw: #ty)
                },
                setup: quote! {
                    #[allow(unused_mut)]
                    let mut #held = #raw.get().map(|#raw_fn| {
                        #setup
                        #held
                    });
                },
                pass: quote! {
                    #held.#take().map(|__dynplug_callback| -> #reference { #view __dynplug_callback })
                },
                after: TokenStream::new(),
            }
        }
        ArgKind::ObjectRef(t) | ArgKind::ObjectMut(t) => {
            let interface = object_interface(t);
            let bare = object_type(t);
            let (binding, pass) = if matches!(kind, ArgKind::ObjectMut(_)) {
                (quote!(let mut #held), quote!(&mut *#held))
            } else {
                (quote!(let #held), quote!(&*#held))
            };
            Lifted {
                param: quote!(#raw: ::dynplug::__private::RawObject<#bare>),
                setup: quote!(#binding = unsafe { #interface::lent(#raw) };),
                pass,
                after: none,
            }
        }
        ArgKind::ObjectBox(t) => {
            let interface = object_interface(t);
            let bare = object_type(t);
            Lifted {
                param: quote!(#raw: ::dynplug::__private::RawObject<#bare>),
                setup: quote! {
                    let #held = unsafe {
                        #interface::from_raw(|| ::dynplug::__private::ObjectCore::new(
                            #raw,
                            #interface::NAME,
                        ))
                    };
                },
                pass: quote!(#held),
                after: none,
            }
        }
    }
}

/// A callback on the plugin side: a closure of the callback's signature that
/// calls the host's trampoline.
fn plugin_callback(cb: &Callback, raw: &Ident, held: &Ident) -> Lifted {
    // The closure's parameters as written, the callback's own lifetimes
    // (`for<'a>`) made elided, so that the closure is as general.
    let elided = syn::Lifetime::new("'_", proc_macro2::Span::call_site());
    let inputs_static = inputs_tuple(cb, Lifetimes::Static);
    let inputs = inputs_tuple(cb, Lifetimes::Rebound(&elided));
    let out = output(cb);
    let out_static = types::to_static(&out);
    let names: Vec<Ident> = (0..cb.inputs.len())
        .map(|i| format_ident!("__dynplug_cb_arg{}", i))
        .collect();
    let typed = names.iter().zip(&cb.inputs).map(|(n, t)| {
        let t = callback::rebind(t, &cb.bound, &elided);
        quote!(#n: #t)
    });
    let pass = if cb.mutable {
        quote!(&mut #held)
    } else {
        quote!(&#held)
    };
    Lifted {
        param: {
            let ty = on_inputs(
                cb,
                quote!(::dynplug::__private::RawFn<<),
                inputs_static.clone(),
                quote! {
                    as ::dynplug::__private::CallbackArg>::Raw,
                    <#out_static as ::dynplug::__private::Abi>::Ret,
                >},
            );
            quote!(#raw: #ty)
        },
        setup: quote! {
            #[allow(unused_mut)]
            let mut #held = move |#(#typed),*| -> #out {
                // SAFETY: the host lent this callback for the call in progress.
                unsafe {
                    ::dynplug::__private::call_back::<#inputs, #out>(#raw, (#(#names,)*))
                }
            };
        },
        pass,
        after: TokenStream::new(),
    }
}
