//! Which return types a loader may hand out while `self` is borrowed for `'s`.

use super::{Abi, Scalar};

/// A return type whose borrowed parts, if any, borrow for exactly `'s`: the
/// borrow of the loader the method was called on. The loader keeps the
/// plugin's instance and library alive while it is borrowed, so such a value
/// cannot outlive what it points into. `&'static str` (however it is
/// spelled, an alias included) does not qualify: it would dangle once the
/// library is unloaded.
///
/// The same bound, with `'s` a lifetime of its own, proves that a method's
/// argument borrows only for the call (`&'static str` does not qualify).
///
/// Every type that is [`Abi`] is `ReturnAbi<'s>` for some `'s`, so this is
/// unimplemented only for types that cannot cross at all; what is refused
/// for its lifetimes is refused by the borrow checker.
///
/// # Safety
///
/// Every reference in the lowered value must be valid for `'s` when the
/// plugin is kept alive for `'s`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "unsupported type in a plugin interface",
    note = "supported: bool, char, integers, f32, f64, (), &str, String, Vec<T>, Option<T>, \
            Result<T, E>, tuples of up to 12, and types with `#[derive(dynplug::PluginType)]`"
)]
pub unsafe trait ReturnAbi<'s>: Abi {}

macro_rules! owned {
    ($($ty:ty),*) => {$(
        // SAFETY: an owned value borrows nothing.
        unsafe impl<'s> ReturnAbi<'s> for $ty {}
    )*};
}

with_owned_leaves!(owned);

// SAFETY: what the elements borrow, if anything, follows `T`.
unsafe impl<'s, T: ReturnAbi<'s>> ReturnAbi<'s> for Vec<T> {}
// SAFETY: an array borrows what its elements borrow.
unsafe impl<'s, T: ReturnAbi<'s>, const N: usize> ReturnAbi<'s> for [T; N] {}
// SAFETY: as a `Vec<T>`.
unsafe impl<'s, T: ReturnAbi<'s>> ReturnAbi<'s> for Box<[T]> {}
// SAFETY: borrows what its value borrows.
unsafe impl<'s, T: ReturnAbi<'s>> ReturnAbi<'s> for Box<T> {}

// SAFETY: what the value or error borrows follows `T` and `E`.
unsafe impl<'s, T: ReturnAbi<'s>, E: ReturnAbi<'s>> ReturnAbi<'s> for Result<T, E> {}

macro_rules! tuples {
    ($(($($t:ident),+))*) => {$(
        // SAFETY: what the elements borrow follows each element.
        unsafe impl<'s, $($t: ReturnAbi<'s>),+> ReturnAbi<'s> for ($($t,)+) {}
    )*};
}

tuples! {
    (A) (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) (A, B, C, D, E, F)
    (A, B, C, D, E, F, G) (A, B, C, D, E, F, G, H) (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J) (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
}

// SAFETY: borrows from the receiver, for exactly `'s`.
unsafe impl<'s> ReturnAbi<'s> for &'s str {}

// SAFETY: borrows from the receiver, for exactly `'s`.
unsafe impl<'s, T: Scalar> ReturnAbi<'s> for &'s [T] {}

// SAFETY: what the value borrows, if any, follows `T`.
unsafe impl<'s, T: ReturnAbi<'s>> ReturnAbi<'s> for Option<T> {}

/// The argument check of `#[plugin_interface]` (`U: ReturnAbi<'a>` for the
/// check's own `'a`), asked only of a type that is [`Abi`]: one that is not
/// cannot cross at all, which the compiler reports once where the type is
/// lowered, and a second report here would only repeat it.
///
/// Generated code calls `(&BorrowsProbe::<T>::NEW).borrows_for::<'a, T>()`
/// with both [`ProbeAbi`] and [`ProbeNotAbi`] in scope. Method lookup takes
/// the first receiver that fits: `&BorrowsProbe<T>` fits [`ProbeAbi`] when
/// `T: Abi`, whose method requires `T: ReturnAbi<'a>`; only otherwise does
/// it go on to `&&BorrowsProbe<T>` and [`ProbeNotAbi`], which requires
/// nothing. Whether `T: Abi` holds is decided before lifetimes are looked
/// at, so an `Abi` type is always checked, `'static` borrows and all; and
/// the checked type is the one named in the call, not one inferred through
/// the probe (where a `&'static str` could pass for a shorter borrow).
pub struct BorrowsProbe<T: ?Sized>(core::marker::PhantomData<fn(&T) -> &T>);

impl<T: ?Sized> BorrowsProbe<T> {
    /// The probe (no value of `T` is needed).
    pub const NEW: Self = Self(core::marker::PhantomData);

    /// The probe of the type of `value`.
    pub const fn of(_value: &T) -> Self {
        Self::NEW
    }
}

/// The probe's methods for a type that is [`Abi`]: see [`BorrowsProbe`].
pub trait ProbeAbi: Sized {
    /// Compiles only if `U` borrows for exactly `'a`.
    fn borrows_for<'a, U: ReturnAbi<'a>>(self) {}
    /// Compiles only if `value` borrows for exactly `'a`.
    fn value_borrows_for<'a, U: ReturnAbi<'a>>(self, _value: U) {}
    /// `value`, a method's result, which compiles only if it borrows for
    /// exactly `'s`, the borrow of the loader or object `core` (see
    /// [`ReturnAbi`]).
    #[inline(always)]
    fn returns_for<'s, U: ReturnAbi<'s>, C: ?Sized>(self, _core: &'s C, value: U) -> U {
        value
    }
}

impl<T: Abi> ProbeAbi for &BorrowsProbe<T> {}

/// The probe's methods for a type that is not [`Abi`], which is refused
/// where it is lowered: see [`BorrowsProbe`].
pub trait ProbeNotAbi: Sized {
    /// Nothing to check (`'a` is named in a bound so that the call may
    /// name it, as for [`ProbeAbi::borrows_for`]).
    fn borrows_for<'a, U: ?Sized>(self)
    where
        'a: 'a,
    {
    }
    /// Nothing to check.
    fn value_borrows_for<'a, U>(self, _value: U)
    where
        'a: 'a,
    {
    }
    /// `value`, nothing to check.
    #[inline(always)]
    fn returns_for<U, C: ?Sized>(self, _core: &C, value: U) -> U {
        value
    }
}

impl<T: ?Sized> ProbeNotAbi for &&BorrowsProbe<T> {}

/// A type that owns all of its data: no borrowed part at all. Required of
/// what crosses back to the caller and may outlive the call: the value a
/// `&mut T` argument is written back with, the fields of a
/// `#[derive(PluginType)]` type, what a callback's `&T` and `&[T]` arguments
/// refer to, and a callback's result. Otherwise a plugin could hand the host
/// a `&'static str` into its own memory, which dangles once it is unloaded.
/// (A callback's arguments themselves may borrow for the call: see
/// [`Lent`](super::Lent).)
///
/// # Safety
///
/// Lifting the lowered value must give a value that borrows nothing from
/// the other side.
#[diagnostic::on_unimplemented(
    message = "`{Self}` must be a plugin type that owns its data",
    label = "not an owned plugin type",
    note = "owned plugin types: scalars, u128, i128, Duration, String, Vec<T>, arrays, maps and sets, \
            Option<T>, Result<T, E>, tuples of them, and types with \
            `#[derive(dynplug::PluginType)]`; a borrow (`&str`, `&[T]`) \
            cannot be a field, be written back, be returned by a callback, or be behind a \
            callback's `&T`"
)]
pub unsafe trait Owned: Abi {}

macro_rules! owned_types {
    ($($ty:ty),*) => {$(
        // SAFETY: an owned value borrows nothing.
        unsafe impl Owned for $ty {}
    )*};
}

with_owned_leaves!(owned_types);

// SAFETY: owns its elements, which own their data.
unsafe impl<T: Owned> Owned for Vec<T> {}
// SAFETY: an array owns what its elements own.
unsafe impl<T: Owned, const N: usize> Owned for [T; N] {}
// SAFETY: as a `Vec<T>`.
unsafe impl<T: Owned> Owned for Box<[T]> {}
// SAFETY: owns its value, which owns its data.
unsafe impl<T: Owned> Owned for Box<T> {}
// SAFETY: owns its value, which owns its data.
unsafe impl<T: Owned> Owned for Option<T> {}
// SAFETY: owns its value or error, which own their data.
unsafe impl<T: Owned, E: Owned> Owned for Result<T, E> {}

macro_rules! owned_tuples {
    ($(($($t:ident),+))*) => {$(
        // SAFETY: owns its elements, which own their data.
        unsafe impl<$($t: Owned),+> Owned for ($($t,)+) {}
    )*};
}

owned_tuples! {
    (A) (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) (A, B, C, D, E, F)
    (A, B, C, D, E, F, G) (A, B, C, D, E, F, G, H) (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J) (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
}
