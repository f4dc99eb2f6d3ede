//! Arrays `[T; N]` of any supported `T`. An argument crosses as a slice
//! (scalars in place); a return value and a callback's argument as each
//! element lowered in place, in a `#[repr(C)]` wrapper (a bare array is no
//! C argument). Nothing is built through arrays of references or pairs,
//! which for a large array would be several times its size on the stack.
//! The length is part of the type's hash.

use std::mem::{ManuallyDrop, MaybeUninit};

use super::hash::array as hash;
use super::seq::SliceKeep;
use super::{Abi, CallbackArg, Lent, RawSlice, lower_slice};

/// A lowered array: each element's lowered form, in order.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawArray<T: Copy, const N: usize>(pub [T; N]);

impl<T: Copy, const N: usize> std::fmt::Debug for RawArray<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawArray")
            .field("len", &N)
            .finish_non_exhaustive()
    }
}

/// Each of `items` lowered by `lower`, written in place into the two
/// arrays (no array of references or pairs on the way: an array may be
/// large, and the stack is not). A panic in `lower` leaks what was lowered
/// before it.
fn lower_each<T, A, K, const N: usize>(
    items: &[T; N],
    lower: impl Fn(&T) -> (A, K),
) -> ([A; N], [K; N]) {
    let mut args = MaybeUninit::<[A; N]>::uninit();
    let mut keeps = MaybeUninit::<[K; N]>::uninit();
    let (a, k) = (
        args.as_mut_ptr().cast::<A>(),
        keeps.as_mut_ptr().cast::<K>(),
    );
    for (i, item) in items.iter().enumerate() {
        let (arg, keep) = lower(item);
        // SAFETY: `i < N`: within both arrays; each slot is written once.
        unsafe {
            a.add(i).write(arg);
            k.add(i).write(keep);
        }
    }
    // SAFETY: all `N` slots of each were written above.
    unsafe { (args.assume_init(), keeps.assume_init()) }
}

/// An array of `N` values made by `make(i)`, written in place. A panic in
/// `make` leaks what was made before it.
fn make_each<T, const N: usize>(mut make: impl FnMut(usize) -> T) -> [T; N] {
    let mut out = MaybeUninit::<[T; N]>::uninit();
    let base = out.as_mut_ptr().cast::<T>();
    for i in 0..N {
        // SAFETY: `i < N`: within the array; each slot is written once.
        unsafe { base.add(i).write(make(i)) };
    }
    // SAFETY: all `N` slots were written above.
    unsafe { out.assume_init() }
}

/// A `&[T; N]` argument, lifted as a slice of `N` elements, viewed as the
/// array again.
#[inline(always)]
pub fn as_array<T, const N: usize>(slice: &[T]) -> &[T; N] {
    match slice.try_into() {
        Ok(array) => array,
        // Both sides hash the array's length: a caller of another length
        // is refused at load.
        Err(_) => unreachable!(
            "dynplug: an array argument of {} elements, not {N}",
            slice.len()
        ),
    }
}

// SAFETY: an argument crosses as a slice does (in place for `DIRECT`
// elements, else through a kept temporary array: never by value, as an
// array may be larger than the stack can copy several times); its length
// is fixed by the type on both sides (and hashed). A return value is each
// element's lowered form, in order, each lifted once.
unsafe impl<T: Abi, const N: usize> Abi for [T; N] {
    type Arg = RawSlice<T::Arg>;
    type Keep = SliceKeep<T>;
    type Ret = RawArray<T::Ret, N>;
    const TYPE_HASH: u64 = hash(T::TYPE_HASH, N);
    const OBJECTS: bool = T::OBJECTS;

    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
        T::visit_interfaces(visit);
    }

    #[inline]
    fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
        lower_slice(self)
    }
    #[inline]
    unsafe fn lift_arg(arg: Self::Arg) -> Self {
        // SAFETY: the caller's promise: `N` lowered elements, kept alive.
        let args = unsafe { arg.get() };
        debug_assert_eq!(args.len(), N);
        if T::DIRECT {
            // SAFETY: `DIRECT`: the elements are `T`s as they lie in
            // memory, plain values, `N` of them: one bitwise copy.
            unsafe { args.as_ptr().cast::<[T; N]>().read() }
        } else {
            // SAFETY: each element came from `T::lower_arg`, kept alive.
            make_each(|i| unsafe { T::lift_arg(args[i]) })
        }
    }
    #[inline]
    fn lower_ret(self) -> Self::Ret {
        let values = ManuallyDrop::new(self);
        // SAFETY: each value is read out once and lowered (taking it over);
        // the array itself is never dropped.
        RawArray(make_each(|i| {
            T::lower_ret(unsafe { std::ptr::read(&values[i]) })
        }))
    }
    #[inline]
    unsafe fn lift_ret(ret: Self::Ret) -> Self {
        // SAFETY: the caller's promise for the array covers each element,
        // each lifted once.
        make_each(|i| unsafe { T::lift_ret(ret.0[i]) })
    }
}

// SAFETY: each element is lowered and held by its own `CallbackArg`.
unsafe impl<T: CallbackArg, const N: usize> CallbackArg for [T; N] {
    type Raw = RawArray<T::Raw, N>;
    type Keep = [T::Keep; N];
    type Holder = [T::Holder; N];
    const TYPE_HASH: u64 = hash(T::TYPE_HASH, N);
    const OBJECTS: bool = T::OBJECTS;

    #[inline]
    fn lower(&self) -> (Self::Raw, Self::Keep) {
        let (raws, keeps) = lower_each(self, T::lower);
        (RawArray(raws), keeps)
    }
    #[inline]
    unsafe fn hold(raw: Self::Raw) -> Self::Holder {
        // SAFETY: the caller's promise for the array covers each element.
        make_each(|i| unsafe { T::hold(raw.0[i]) })
    }
}

// SAFETY: each element borrows what `T` lends, for `'a`.
unsafe impl<'a, T: Lent<'a>, const N: usize> Lent<'a> for [T; N] {
    #[inline]
    unsafe fn view(holder: &'a mut Self::Holder) -> Self {
        let base = holder.as_mut_ptr();
        // SAFETY: the caller views each holder once; so each element's,
        // each borrowed once for `'a`, as the holder is (`i < N`).
        make_each(|i| unsafe { T::view(&mut *base.add(i)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_lift_as_they_were_lowered_and_their_length_is_in_the_hash() {
        let words = [String::from("a"), String::new(), "ü".repeat(100)];
        let (arg, _keep) = words.lower_arg();
        // SAFETY: lifted from its own lowering, while `words` and `_keep`
        // live.
        let lifted = unsafe { <[String; 3]>::lift_arg(arg) };
        assert_eq!(lifted, words);
        // SAFETY: lifted once, from its own lowering.
        let back = unsafe { <[u128; 2]>::lift_ret([u128::MAX, 1].lower_ret()) };
        assert_eq!(back, [u128::MAX, 1]);
        let empty: [u8; 0] = [];
        // SAFETY: as above.
        assert_eq!(unsafe { <[u8; 0]>::lift_ret(empty.lower_ret()) }, empty);
        let pair = <[u8; 2] as Abi>::TYPE_HASH;
        assert_ne!(pair, <[u8; 3] as Abi>::TYPE_HASH);
        assert_ne!(pair, <[i8; 2] as Abi>::TYPE_HASH);
        assert_ne!(pair, <Vec<u8> as Abi>::TYPE_HASH);
    }
}
