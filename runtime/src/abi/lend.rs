//! What a plugin lends a host callback for one call.
//!
//! A callback argument crosses from the plugin to the host, the one
//! direction in which a borrow could outlive its data: a `&'static str` into
//! the plugin's memory, kept by the host, dangles once the library is
//! unmapped. Two traits keep that out, by the compiler and not by reading
//! how a type is spelled:
//!
//! - [`CallbackArg`] says how a type crosses: the plugin lowers it, the
//!   host lifts it into a *holder* that lives for the callback call (a copy
//!   for non-scalar data, the plugin's bytes in place for `&str` and
//!   `&[scalar]`).
//! - [`Lent<'a>`](Lent) gives the host's closure a value whose every borrow
//!   is *exactly* `'a`, the borrow of the holder. It is implemented for
//!   `&'a str`, `&'a [T]`, `&'a T`, owned types, and structurally for
//!   tuples, `Option`, `Result` and `Vec`; never for `&'static str`.
//!
//! The host's trampoline names the callback's argument types with every
//! elided lifetime replaced by a lifetime `'cb` of a generic function, and
//! requires `Args<'cb>: Lent<'cb>`. The compiler resolves aliases before it
//! checks the bound, so `type Leak = &'static str;` used in `Fn((&str, Leak))`
//! is refused however deep it is nested: `&'static str: Lent<'cb>` would need
//! `'cb: 'static`, which no generic `'cb` satisfies.

use std::mem::ManuallyDrop;

use super::seq::SliceKeep;
use super::{Abi, Owned, RawSlice, lower_slice};

/// A type that a plugin may pass to a host callback (`&dyn Fn(A..)`,
/// `&mut dyn FnMut(A..)`): how the plugin lowers it and how the host holds
/// it for the call.
///
/// # Safety
///
/// `Raw` must be a plain value with the same layout in every build,
/// `hold` must accept exactly what `lower` produces (in another copy of
/// this crate), and the holder must not borrow from anything but the lowered
/// value and what the sender keeps (`Keep`) for the call.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of a callback at the plugin boundary",
    label = "unsupported callback argument",
    note = "a callback takes what a method takes: scalars, `String`, `Vec<T>`, `Option<T>`, \
            `Result<T, E>`, tuples, `#[derive(dynplug::PluginType)]` types, and borrows for \
            the call: `&str`, `&T` and `&[T]` of owned types"
)]
pub unsafe trait CallbackArg: Sized {
    /// The lowered form, borrowed from the sender's value.
    type Raw: Copy;
    /// What the sender keeps alive while the lowered form is in use.
    type Keep;
    /// What the receiver keeps for the call: the lifted value, or the
    /// sender's bytes in place.
    type Holder;
    /// A structural hash; equal to [`Abi::TYPE_HASH`] for types that are
    /// also `Abi`, so a callback's signature hashes as before.
    const TYPE_HASH: u64;
    /// Whether `Self` and `Raw` have one layout and lowering is a bitwise
    /// copy (scalars): then a `Vec` of them is lowered in place.
    const DIRECT: bool = false;
    /// Whether the value may hold objects (`Box<dyn I>`), which a callback
    /// cannot take: refused at compile time by the generated code. Every
    /// impl states it.
    const OBJECTS: bool;

    /// Lowers the value; the result borrows from `self` and the `Keep`.
    fn lower(&self) -> (Self::Raw, Self::Keep);

    /// Lifts a lowered value into a holder for the call.
    ///
    /// # Safety
    ///
    /// `raw` must come from [`lower`](CallbackArg::lower) of the same type,
    /// and the value it was lowered from (and its `Keep`) must outlive every
    /// use of the holder.
    unsafe fn hold(raw: Self::Raw) -> Self::Holder;
}

/// A callback argument whose every borrow is exactly `'a`: the value the
/// host's closure receives, borrowed from a holder for `'a`. Owned types are
/// `Lent<'a>` for every `'a`; `&'a str` only for its own `'a`, so a
/// `&'static str` (an alias included) is not.
///
/// # Safety
///
/// Every borrow in the value `view` returns must be valid for `'a` given a
/// holder borrowed for `'a`: implement it only for types whose references
/// all have exactly the lifetime `'a`, or none.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be lent to a host callback for the call",
    label = "a callback argument may only borrow for the call",
    note = "elide the lifetimes of a callback's arguments (`&dyn Fn(&str)`), so the host \
            cannot keep what the plugin lends; use `String` or `Vec<T>` to hand data over"
)]
pub unsafe trait Lent<'a>: CallbackArg {
    /// The value, borrowed from `holder` for `'a`.
    ///
    /// # Safety
    ///
    /// `holder` must come from [`CallbackArg::hold`], whose sender's value is
    /// still alive, and be viewed once.
    unsafe fn view(holder: &'a mut Self::Holder) -> Self;
}

/// Lowers an owned value for a callback: as an argument of a method.
#[inline(always)]
pub fn lower_owned<T: Owned>(value: &T) -> (T::Arg, T::Keep) {
    value.lower_arg()
}

/// Lifts an owned value for a callback: a copy, in the receiver's memory.
///
/// # Safety
///
/// As for [`Abi::lift_arg`].
#[inline(always)]
pub unsafe fn hold_owned<T: Owned>(raw: T::Arg) -> ManuallyDrop<T> {
    // SAFETY: the caller's promise.
    ManuallyDrop::new(unsafe { T::lift_arg(raw) })
}

/// Moves an owned value out of its holder.
///
/// # Safety
///
/// `holder` must be taken once.
#[inline(always)]
pub unsafe fn view_owned<T: Owned>(holder: &mut ManuallyDrop<T>) -> T {
    // SAFETY: the caller takes each holder once.
    unsafe { ManuallyDrop::take(holder) }
}

/// `CallbackArg` and `Lent` for owned types: lowered and lifted as method
/// arguments are, held as the lifted value and moved out once.
macro_rules! owned_args {
    ($($ty:ty),* $(,)?) => {$(
        // SAFETY: lowered and lifted by `Abi`; the holder is a copy.
        unsafe impl CallbackArg for $ty {
            type Raw = <$ty as Abi>::Arg;
            type Keep = <$ty as Abi>::Keep;
            type Holder = ManuallyDrop<$ty>;
            const TYPE_HASH: u64 = <$ty as Abi>::TYPE_HASH;
            const DIRECT: bool = <$ty as Abi>::DIRECT;
            const OBJECTS: bool = false;

            #[inline(always)]
            fn lower(&self) -> (Self::Raw, Self::Keep) {
                lower_owned(self)
            }
            #[inline(always)]
            unsafe fn hold(raw: Self::Raw) -> Self::Holder {
                // SAFETY: the caller's promise.
                unsafe { hold_owned(raw) }
            }
        }

        // SAFETY: an owned value borrows nothing.
        unsafe impl<'a> Lent<'a> for $ty {
            #[inline(always)]
            unsafe fn view(holder: &'a mut Self::Holder) -> Self {
                // SAFETY: the caller views each holder once.
                unsafe { view_owned(holder) }
            }
        }
    )*};
}

with_owned_leaves!(owned_args);

// SAFETY: the plugin's UTF-8 bytes, in place; the holder is the pointer.
unsafe impl CallbackArg for &str {
    type Raw = RawSlice<u8>;
    type Keep = ();
    type Holder = RawSlice<u8>;
    const TYPE_HASH: u64 = <&str as Abi>::TYPE_HASH;
    const OBJECTS: bool = false;

    #[inline(always)]
    fn lower(&self) -> (RawSlice<u8>, ()) {
        self.lower_arg()
    }
    #[inline(always)]
    unsafe fn hold(raw: RawSlice<u8>) -> RawSlice<u8> {
        raw
    }
}

// SAFETY: borrows for exactly `'a`.
unsafe impl<'a> Lent<'a> for &'a str {
    #[inline(always)]
    unsafe fn view(holder: &'a mut RawSlice<u8>) -> &'a str {
        // SAFETY: the bytes of a `&str` the sender keeps for the call, which
        // outlives the borrow of the holder.
        unsafe { std::str::from_utf8_unchecked(holder.get()) }
    }
}

/// The host's holder of a `&[T]` callback argument.
pub enum SliceLoan<T> {
    /// The plugin's elements, in place (scalars).
    InPlace(RawSlice<T>),
    /// Copies, made for the call.
    Copied(Vec<T>),
}

// SAFETY: scalars in place, other elements lowered one by one into an
// array the sender keeps; the holder borrows only from those.
unsafe impl<T: Owned> CallbackArg for &[T] {
    type Raw = RawSlice<T::Arg>;
    type Keep = SliceKeep<T>;
    type Holder = SliceLoan<T>;
    const TYPE_HASH: u64 = super::hash::slice(T::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS;

    #[inline]
    fn lower(&self) -> (Self::Raw, Self::Keep) {
        lower_slice(self)
    }
    #[inline]
    unsafe fn hold(raw: Self::Raw) -> SliceLoan<T> {
        if T::DIRECT {
            // `DIRECT`: `T` and `T::Arg` have one layout.
            SliceLoan::InPlace(raw.cast())
        } else {
            // SAFETY: the sender keeps the lowered elements for the call.
            let args = unsafe { raw.get() };
            // SAFETY: each element came from `T::lower_arg`, kept alive.
            SliceLoan::Copied(args.iter().map(|a| unsafe { T::lift_arg(*a) }).collect())
        }
    }
}

// SAFETY: borrows for exactly `'a`; the elements own their data.
unsafe impl<'a, T: Owned> Lent<'a> for &'a [T] {
    #[inline]
    unsafe fn view(holder: &'a mut SliceLoan<T>) -> &'a [T] {
        match holder {
            // SAFETY: the sender's scalars, kept for the call.
            SliceLoan::InPlace(raw) => unsafe { raw.get() },
            SliceLoan::Copied(values) => values,
        }
    }
}

// SAFETY: lowered as `T` is; the holder is a copy, the closure borrows it.
unsafe impl<T: Owned> CallbackArg for &T {
    type Raw = T::Arg;
    type Keep = T::Keep;
    type Holder = T;
    const TYPE_HASH: u64 = super::hash::reference(T::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS;

    #[inline(always)]
    fn lower(&self) -> (T::Arg, T::Keep) {
        T::lower_arg(self)
    }
    #[inline(always)]
    unsafe fn hold(raw: T::Arg) -> T {
        // SAFETY: the caller's promise.
        unsafe { T::lift_arg(raw) }
    }
}

// SAFETY: borrows the holder for exactly `'a`; `T` owns its data.
unsafe impl<'a, T: Owned> Lent<'a> for &'a T {
    #[inline(always)]
    unsafe fn view(holder: &'a mut T) -> &'a T {
        holder
    }
}

/// The arguments of a callback of `N` arguments as generated code names
/// them: the tuple, under a name that `#[plugin_interface]` can give the
/// span of the arguments as written (a tuple's parentheses of its own
/// would be reported at the attribute).
macro_rules! args_aliases {
    ($($name:ident ($($t:ident),+))*) => {$(
        #[doc(hidden)]
        pub type $name<$($t),+> = ($($t,)+);
    )*};
}

args_aliases! {
    Args1(A) Args2(A, B) Args3(A, B, C) Args4(A, B, C, D) Args5(A, B, C, D, E)
    Args6(A, B, C, D, E, F) Args7(A, B, C, D, E, F, G) Args8(A, B, C, D, E, F, G, H)
    Args9(A, B, C, D, E, F, G, H, I) Args10(A, B, C, D, E, F, G, H, I, J)
    Args11(A, B, C, D, E, F, G, H, I, J, K) Args12(A, B, C, D, E, F, G, H, I, J, K, L)
}
