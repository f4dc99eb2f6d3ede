//! `&T` as a method's argument: lowered from the caller's `T`, held by the
//! receiver for the call, and lent to the method as `&T`. For a sized `T`
//! the holder is the lifted copy (or `T` itself, for types that cross in
//! place); `Path`, which has no owned form of its own, is held as the
//! platform's units: in place on Unix, a `PathBuf` made for the call on
//! Windows (where a path is UTF-16 on the wire and not in memory).

use super::Abi;

/// A type `T` whose borrow `&T` can be a method's argument.
///
/// Implemented for every [`Abi`] type, and for `std::path::Path`.
///
/// # Safety
///
/// As for [`Abi`]: `Arg` must be a plain value with the same layout in
/// every build, `hold` must accept exactly what `lower_ref` produces (in
/// another copy of this crate), and the holder may borrow only from the
/// lowered value and what the sender keeps for the call.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "unsupported type in a plugin interface",
    note = "a `&T` argument takes a `T` that crosses the boundary by value (see the supported \
            types), or `Path`"
)]
pub unsafe trait RefArg {
    /// The lowered form, borrowed from the caller's value.
    type Arg: Copy;
    /// What the caller keeps alive while the lowered form is in use.
    type Keep;
    /// What the receiver holds for the call.
    type Held;
    /// A structural hash of `T` (the `&` is the caller's part).
    const TYPE_HASH: u64;
    /// Whether the value may hold objects, as [`Abi::OBJECTS`].
    const OBJECTS: bool;

    /// Calls `visit` with every interface whose objects a value may hold.
    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node));

    /// Lowers the borrowed value; the result borrows from `self` and the
    /// returned `Keep`.
    fn lower_ref(&self) -> (Self::Arg, Self::Keep);

    /// Lifts a lowered value into what the receiver holds for the call.
    ///
    /// # Safety
    ///
    /// `arg` must come from [`lower_ref`](RefArg::lower_ref) of the same
    /// type, and the value it was lowered from (and its `Keep`) must
    /// outlive every use of the holder and of what [`view`](RefArg::view)
    /// returns.
    unsafe fn hold(arg: Self::Arg) -> Self::Held;

    /// The value, borrowed from its holder.
    ///
    /// # Safety
    ///
    /// `held` must come from [`hold`](RefArg::hold), under its promise.
    unsafe fn view(held: &Self::Held) -> &Self;
}

// SAFETY: lowered and lifted by `Abi`; the holder is the lifted value.
unsafe impl<T: Abi> RefArg for T {
    type Arg = T::Arg;
    type Keep = T::Keep;
    type Held = T;
    const TYPE_HASH: u64 = T::TYPE_HASH;
    const OBJECTS: bool = T::OBJECTS;

    #[inline(always)]
    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
        T::visit_interfaces(visit)
    }
    #[inline(always)]
    fn lower_ref(&self) -> (T::Arg, T::Keep) {
        self.lower_arg()
    }
    #[inline(always)]
    unsafe fn hold(arg: T::Arg) -> T {
        // SAFETY: the caller's promise.
        unsafe { T::lift_arg(arg) }
    }
    #[inline(always)]
    unsafe fn view(held: &T) -> &T {
        held
    }
}
