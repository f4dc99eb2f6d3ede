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

mod hash;
mod option;
mod ret;
mod scalar;
mod seq;
mod text;

pub use hash::{fnv1a, mix, signature_hash};
pub use option::RawOption;
pub use ret::ReturnAbi;
pub use scalar::Scalar;
pub use seq::{OwnedBuf, RawSlice};

/// A type that can cross the plugin boundary.
///
/// Implemented by dynplug for the supported types; see the crate
/// documentation for the list.
///
/// # Safety
///
/// `Arg` and `Ret` must be plain values with the same layout in every build
/// of the implementing crate, `lift_arg` must accept exactly what `lower_arg`
/// produces (possibly in another copy of this crate, in another library),
/// and `lift_ret` exactly what `lower_ret` produces.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary",
    label = "unsupported type in a plugin interface",
    note = "supported: bool, char, i8..i64, u8..u64, isize, usize, f32, f64, (), &str, String, \
            &[T] and Vec<T> of those scalars, and Option<T> of any supported type"
)]
pub unsafe trait Abi: Sized {
    /// The lowered form of an argument, borrowed from the caller.
    type Arg: Copy;
    /// The lowered form of a return value, owned until lifted.
    type Ret: Copy;
    /// A structural hash of the type, part of every method's signature hash.
    const TYPE_HASH: u64;

    /// Lowers an argument; the result borrows from `self`.
    fn lower_arg(&self) -> Self::Arg;

    /// Lifts an argument lowered by [`lower_arg`](Abi::lower_arg).
    ///
    /// # Safety
    ///
    /// `arg` must come from `lower_arg` of the same type, and the value it was
    /// lowered from must outlive every use of the result.
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
}
