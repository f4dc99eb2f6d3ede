//! The parsed model of what the user wrote. Each node keeps a reference to
//! its syn item, for spans and for re-emitting it.

use proc_macro2::Ident;
use syn::{Block, FnArg, ItemImpl, ItemTrait, Pat, Path, ReceiverKind, Signature, TraitItem, Type};

/// A trait under `#[plugin_interface]`.
pub struct Interface<'a> {
    pub item: &'a ItemTrait,
    /// Binds a plain C library (`#[plugin_interface(c_library)]`).
    pub c_library: bool,
    /// The generated loader's name (`GreeterPlugin` for `Greeter`).
    pub loader: Ident,
    pub methods: Vec<Method<'a>>,
    /// Whether the trait has a `Send` / `Sync` supertrait.
    pub send: bool,
    pub sync: bool,
}

/// A method of an interface, or of a plugin's impl.
pub struct Method<'a> {
    pub sig: &'a Signature,
    pub receiver: Receiver,
    /// The receiver's named lifetime: `'a` in `&'a self`.
    pub receiver_lifetime: Option<&'a syn::Lifetime>,
    pub args: Vec<Arg<'a>>,
    /// The return type, `None` for `()`.
    pub output: Option<&'a Type>,
    /// The default body, in a trait.
    pub default: Option<&'a Block>,
    /// `#[symbol = "name"]`: the C function a `c_library` method binds.
    pub symbol: Option<syn::LitStr>,
    /// The `#[symbol]` attribute itself, for errors.
    pub symbol_attr: Option<&'a syn::Attribute>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    /// `&self`
    Shared,
    /// `&mut self`
    Exclusive,
    /// `self`, `self: Box<Self>`, ...: refused by the checks.
    Other,
    /// No receiver at all: refused by the checks.
    Missing,
}

impl Method<'_> {
    /// The C symbol a `c_library` method binds: `#[symbol = ".."]` or its name.
    pub fn c_symbol(&self) -> String {
        self.symbol
            .as_ref()
            .map_or_else(|| unraw(&self.sig.ident), syn::LitStr::value)
    }

    /// The receiver's part in the signature hash: `&self` 0, `&mut self` 1.
    pub fn receiver_code(&self) -> u8 {
        match self.receiver {
            Receiver::Exclusive => 1,
            _ => 0,
        }
    }

    /// Which arguments the return value may borrow from, as a bit mask (bit
    /// `i` for argument `i`): those whose type names the receiver's
    /// lifetime. Part of the signature hash, so that a host and a plugin
    /// never disagree on what a returned borrow keeps alive.
    pub fn borrow_links(&self) -> u64 {
        let Some(lifetime) = self.receiver_lifetime else {
            return 0;
        };
        self.args
            .iter()
            .enumerate()
            .filter(|(_, a)| crate::types::mentions_lifetime(a.ty, lifetime))
            .fold(0, |mask, (i, _)| mask | 1 << i)
    }
}

pub struct Arg<'a> {
    pub pat: &'a Pat,
    pub ty: &'a Type,
}

/// An `impl Trait for Type` under `#[plugin_export]`.
pub struct Export<'a> {
    pub item: &'a ItemImpl,
    /// The trait's path, as written.
    pub trait_path: &'a Path,
    pub self_ty: &'a Type,
    pub methods: Vec<Method<'a>>,
}

impl<'a> Method<'a> {
    pub fn new(sig: &'a Signature, default: Option<&'a Block>) -> Self {
        Self::with_attrs(sig, default, &[])
    }

    pub fn with_attrs(
        sig: &'a Signature,
        default: Option<&'a Block>,
        attrs: &'a [syn::Attribute],
    ) -> Self {
        let symbol_attr = attrs.iter().find(|a| a.path().is_ident("symbol"));
        let symbol = symbol_attr.and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        });
        let mut receiver = Receiver::Missing;
        let mut receiver_lifetime = None;
        let mut args = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(r) => {
                    if let ReceiverKind::Reference(_, lifetime, _) = &r.kind {
                        // `&'_ self` is `&self`: its `'_` is not the `'_`
                        // of an argument.
                        receiver_lifetime = lifetime.as_ref().filter(|l| l.ident != "_");
                    }
                    receiver = match &r.kind {
                        ReceiverKind::Reference(_, _, None) => Receiver::Shared,
                        ReceiverKind::Reference(_, _, Some(_)) => Receiver::Exclusive,
                        _ => Receiver::Other,
                    }
                }
                FnArg::Typed(pt) => args.push(Arg {
                    pat: &pt.pat,
                    ty: &pt.ty,
                }),
            }
        }
        let output = match &sig.output {
            syn::ReturnType::Default => None,
            syn::ReturnType::Type(_, ty) => Some(&**ty),
        };
        Method {
            sig,
            receiver,
            receiver_lifetime,
            args,
            output,
            default,
            symbol,
            symbol_attr,
        }
    }

    pub fn ident(&self) -> &'a Ident {
        &self.sig.ident
    }
}

impl<'a> Interface<'a> {
    pub fn new(item: &'a ItemTrait, loader: Option<Ident>, c_library: bool) -> Self {
        let methods = item
            .items
            .iter()
            .filter_map(|it| match it {
                TraitItem::Fn(f) => Some(Method::with_attrs(&f.sig, f.default.as_ref(), &f.attrs)),
                _ => None,
            })
            .collect();
        let has_bound = |name: &str| {
            item.supertraits.iter().any(|b| match b {
                syn::TypeParamBound::Trait(t) => {
                    t.path.segments.last().is_some_and(|s| s.ident == name)
                }
                _ => false,
            })
        };
        let suffix = if c_library { "Library" } else { "Plugin" };
        let loader = loader
            .unwrap_or_else(|| Ident::new(&format!("{}{suffix}", item.ident), item.ident.span()));
        Interface {
            item,
            c_library,
            loader,
            methods,
            send: has_bound("Send"),
            sync: has_bound("Sync"),
        }
    }

    /// The interface's name, as it appears in symbols and metadata.
    pub fn name(&self) -> String {
        unraw(&self.item.ident)
    }
}

impl<'a> Export<'a> {
    /// `None` when the impl is not `impl Trait for Type` (reported by the checks).
    pub fn new(item: &'a ItemImpl) -> Option<Self> {
        let (trait_path, _) = item.trait_.as_ref()?;
        let methods = item
            .items
            .iter()
            .filter_map(|it| match it {
                syn::ImplItem::Fn(f) => Some(Method::new(&f.sig, None)),
                _ => None,
            })
            .collect();
        Some(Export {
            item,
            trait_path,
            self_ty: &item.self_ty,
            methods,
        })
    }

    /// The interface's name: the last segment of the trait's path.
    pub fn name(&self) -> Option<String> {
        self.trait_path.segments.last().map(|s| unraw(&s.ident))
    }
}

/// An identifier without its `r#` prefix.
pub fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}
