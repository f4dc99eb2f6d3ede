//! Scalars cross by value, as themselves.

use super::{Abi, fnv1a};

/// Scalar types: plain values with the same layout on both sides, which
/// also cross in slices (`&[T]`) and vectors (`Vec<T>`) without conversion.
///
/// # Safety
///
/// The type must have one layout in every build for a platform, and every
/// value of it must be valid as it lies in memory on the other side (true of
/// Rust's primitive scalars).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an element of a slice or `Vec` at the plugin boundary",
    label = "not a scalar",
    note = "`&[T]` and `Vec<T>` cross the boundary with scalar elements: bool, char, \
            i8..i64, u8..u64, isize, usize, f32, f64"
)]
pub unsafe trait Scalar: Abi + Copy + 'static {}

macro_rules! scalars {
    ($($ty:ty),* $(,)?) => {
        /// The scalars implemented by this macro (`char` has its own impl).
        #[cfg(test)]
        const BY_MACRO: &[&str] = &[$(stringify!($ty)),*];
        $(
        // SAFETY: a primitive scalar has one fixed layout on a platform.
        unsafe impl Scalar for $ty {}

        // SAFETY: a scalar crosses as itself.
        unsafe impl Abi for $ty {
            type Arg = $ty;
            type Keep = ();
            type Ret = $ty;
            const TYPE_HASH: u64 = fnv1a(stringify!($ty).as_bytes());
            const DIRECT: bool = true;
            const OBJECTS: bool = false;

            fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

            #[inline(always)]
            fn lower_arg(&self) -> ($ty, ()) {
                (*self, ())
            }
            #[inline(always)]
            unsafe fn lift_arg(arg: $ty) -> $ty {
                arg
            }
            #[inline(always)]
            fn lower_ret(self) -> $ty {
                self
            }
            #[inline(always)]
            unsafe fn lift_ret(ret: $ty) -> $ty {
                ret
            }
        }
        )*
    };
}

scalars!(
    bool, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f32, f64
);

// SAFETY: `char` is a 32-bit value in every build; only valid chars are
// ever stored in one.
unsafe impl Scalar for char {}

// SAFETY: a char crosses as its `u32` code point (C has no `char` of
// Rust's meaning), and is only lifted from a value lowered from a char.
unsafe impl Abi for char {
    type Arg = u32;
    type Keep = ();
    type Ret = u32;
    const TYPE_HASH: u64 = fnv1a(b"char");
    const OBJECTS: bool = false;

    fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}
    // A `char` is a valid `u32`, bit for bit.
    const DIRECT: bool = true;

    #[inline(always)]
    fn lower_arg(&self) -> (u32, ()) {
        (*self as u32, ())
    }
    #[inline(always)]
    unsafe fn lift_arg(arg: u32) -> char {
        // SAFETY: the caller promises `arg` came from a `char`.
        unsafe { char::from_u32_unchecked(arg) }
    }
    #[inline(always)]
    fn lower_ret(self) -> u32 {
        self as u32
    }
    #[inline(always)]
    unsafe fn lift_ret(ret: u32) -> char {
        // SAFETY: the caller promises `ret` came from a `char`.
        unsafe { char::from_u32_unchecked(ret) }
    }
}

// SAFETY: `()` crosses as a zero byte, which C can represent.
unsafe impl Abi for () {
    type Arg = u8;
    type Keep = ();
    type Ret = u8;
    const TYPE_HASH: u64 = fnv1a(b"()");
    const OBJECTS: bool = false;

    fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

    #[inline(always)]
    fn lower_arg(&self) -> (u8, ()) {
        (0, ())
    }
    #[inline(always)]
    unsafe fn lift_arg(_: u8) {}
    #[inline(always)]
    fn lower_ret(self) -> u8 {
        0
    }
    #[inline(always)]
    unsafe fn lift_ret(_: u8) {}
}

#[cfg(test)]
mod tests {
    /// The scalars the runtime implements are the ones the macros treat as
    /// such (`dynplug_rules::SCALARS`), no more, no fewer.
    #[test]
    fn scalars_match_the_rules() {
        let mut implemented: Vec<&str> = super::BY_MACRO.to_vec();
        implemented.push("char");
        implemented.sort_unstable();
        let mut rules = dynplug_rules::SCALARS.to_vec();
        rules.sort_unstable();
        assert_eq!(implemented, rules);
    }
}
