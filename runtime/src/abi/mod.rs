//! How values cross the plugin boundary.
//!
//! Every type that may appear in a plugin interface implements [`Abi`]. The
//! trait says how the type is lowered to a `#[repr(C)]` value on one side of
//! the boundary and lifted back on the other. Generated code on both sides
//! names `<T as Abi>::Arg` and `<T as Abi>::Ret`, so host and plugin agree by
//! construction, however the type is spelled.
//!
//! The rules:
//! - Arguments are lowered by reference: the lowered value borrows from the
//!   caller's value and is only valid during the call. Borrowed data (`&str`,
//!   `&[T]`) crosses as pointer and length without a copy; owned data
//!   (`String`, `Vec<T>`) is copied by the receiver into its own allocation.
//! - Return values are lowered by value: owned data crosses with the
//!   function that frees it on the side that allocated it. The receiver
//!   copies it and calls that function, so no allocation is ever freed by the
//!   other side's allocator.

/// Calls macro `$m` with every type that owns its data and has no type
/// parameter: the scalars, `()`, `String`, the 128-bit integers and
/// `Duration`. The one list behind each
/// trait they all implement (`ReturnAbi`, `Owned`, `CallbackArg`).
macro_rules! with_owned_leaves {
    ($m:ident) => {
        $m!(
            bool,
            char,
            u8,
            u16,
            u32,
            u64,
            usize,
            i8,
            i16,
            i32,
            i64,
            isize,
            f32,
            f64,
            (),
            String,
            u128,
            i128,
            ::std::time::Duration,
            ::std::boxed::Box<str>,
            ::std::path::PathBuf
        );
    };
}

mod array;
mod byref;
mod lend;
mod map;
mod mutref;
mod option;
mod owned;
mod result;
mod ret;
mod scalar;
mod seq;
mod text;
mod tuple;
mod variants;
mod wide;

pub use array::as_array;
pub use byref::RefArg;
/// The hash primitives and type constructors, from the rules both sides
/// share.
pub use dynplug_rules::hash::{self, fnv1a, mix, signature as signature_hash};
pub use lend::{
    Args1, Args2, Args3, Args4, Args5, Args6, Args7, Args8, Args9, Args10, Args11, Args12,
    CallbackArg, Lent, hold_owned, lower_owned, view_owned,
};
pub use mutref::{MutHolder, RawMut, RawSliceMut};
pub use option::RawOption;
pub use owned::Boxed;
pub use result::RawResult;
pub use ret::{BorrowsProbe, Owned, ProbeAbi, ProbeNotAbi, ReturnAbi};
pub use scalar::Scalar;
pub use seq::{OwnedBuf, RawSlice, SliceHolder, lift_slice, lower_slice};
pub use tuple::{
    RawTuple1, RawTuple2, RawTuple3, RawTuple4, RawTuple5, RawTuple6, RawTuple7, RawTuple8,
    RawTuple9, RawTuple10, RawTuple11, RawTuple12,
};
pub use variants::{
    RawEnum, RawUnion1, RawUnion2, RawUnion3, RawUnion4, RawUnion5, RawUnion6, RawUnion7,
    RawUnion8, RawUnion9, RawUnion10, RawUnion11, RawUnion12, RawUnion13, RawUnion14, RawUnion15,
    RawUnion16,
};

/// A type that can cross the plugin boundary.
///
/// Implemented by dynplug for the supported types, and for your own types
/// by `#[derive(dynplug::PluginType)]`; see the crate documentation for the
/// list.
///
/// # Safety
///
/// `Arg` and `Ret` must be plain values with the same layout in every build
/// of the implementing crate, `lift_arg` must accept exactly what `lower_arg`
/// produces (possibly in another copy of this crate, in another library),
/// and `lift_ret` exactly what `lower_ret` produces. `DIRECT` may be true
/// only if `Self`, `Arg` and `Ret` have one layout and lowering and lifting
/// are bitwise copies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "unsupported type in a plugin interface",
    note = "supported: bool, char, integers (u128 and i128 too), f32, f64, (), Duration, &str, \
            String, Vec<T>, Box<T>, PathBuf, arrays [T; N], HashMap, BTreeMap, HashSet, BTreeSet, \
            Option<T>, Result<T, E>, tuples of up to 12, types with \
            `#[derive(dynplug::PluginType)]`, and `Box<dyn Trait>` of a trait with \
            `#[dynplug::plugin_interface]` (add it to the trait's definition)"
)]
pub unsafe trait Abi: Sized {
    /// The lowered form of an argument, borrowed from the caller.
    type Arg: Copy;
    /// What the caller keeps alive while the lowered argument is in use
    /// (temporary arrays of lowered elements); `()` for most types.
    type Keep;
    /// The lowered form of a return value, owned until lifted.
    type Ret: Copy;
    /// A structural hash of the type, part of every method's signature hash.
    const TYPE_HASH: u64;
    /// Whether values cross as they lie in memory (scalars): then slices
    /// and vectors of them cross without converting each element.
    const DIRECT: bool = false;
    /// Whether a value may hold objects (`Box<dyn I>`): then lifting it
    /// needs to know the library of the call (`crate::object`), and it
    /// cannot be an argument (yet). Every impl states it: one that forgot a
    /// part's would lift objects without their library.
    const OBJECTS: bool;

    /// Calls `visit` with every interface whose objects a value may hold,
    /// so that the load-time check covers them. Every impl states it: one
    /// that forgot a part's would leave an interface unchecked.
    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node));

    /// Lowers an argument; the result borrows from `self` and from the
    /// returned `Keep`, which the caller holds until the call returns.
    fn lower_arg(&self) -> (Self::Arg, Self::Keep);

    /// Lifts an argument lowered by [`lower_arg`](Abi::lower_arg).
    ///
    /// # Safety
    ///
    /// `arg` must come from `lower_arg` of the same type, and the value it was
    /// lowered from (and its `Keep`) must outlive every use of the result.
    unsafe fn lift_arg(arg: Self::Arg) -> Self;

    /// Lowers a return value, handing its ownership to the lowered form.
    fn lower_ret(self) -> Self::Ret;

    /// Lifts a return value lowered by [`lower_ret`](Abi::lower_ret), and
    /// releases what the lowered form owned.
    ///
    /// # Safety
    ///
    /// `ret` must come from `lower_ret` of the same type and be lifted once.
    unsafe fn lift_ret(ret: Self::Ret) -> Self;

    /// Lifts a return value of a call to `owner`'s side: the objects it
    /// holds keep that library loaded. By default through the thread-local
    /// owner around [`lift_ret`](Abi::lift_ret); an object (`Box<dyn I>`)
    /// takes `owner` directly. Called only when [`OBJECTS`](Abi::OBJECTS).
    ///
    /// # Safety
    ///
    /// As for `lift_ret`; `owner` is the library of the call that returned
    /// `ret` (none: this side's own code).
    #[doc(hidden)]
    #[inline]
    unsafe fn lift_ret_from(ret: Self::Ret, owner: crate::object::Owner<'_>) -> Self {
        // SAFETY: the caller's promise.
        crate::object::with_owner(owner, || unsafe { Self::lift_ret(ret) })
    }
}
