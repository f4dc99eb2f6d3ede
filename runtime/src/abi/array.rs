//! Arrays `[T; N]` of any supported `T`: each element lowered in place, in
//! a `#[repr(C)]` wrapper (a bare array is no C argument). The length is
//! part of the type's hash.

use super::hash::array as hash;
use super::{Abi, CallbackArg, Lent};

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

/// `pairs` split into their first and second halves.
fn split<A: Copy, B, const N: usize>(pairs: [(A, B); N]) -> ([A; N], [B; N]) {
    let firsts = std::array::from_fn(|i| pairs[i].0);
    (firsts, pairs.map(|(_, second)| second))
}

// SAFETY: each element is lowered and lifted by its own `Abi`, in order;
// the array's length is fixed by the type on both sides (and hashed).
unsafe impl<T: Abi, const N: usize> Abi for [T; N] {
    type Arg = RawArray<T::Arg, N>;
    type Keep = [T::Keep; N];
    type Ret = RawArray<T::Ret, N>;
    const TYPE_HASH: u64 = hash(T::TYPE_HASH, N);
    const OBJECTS: bool = T::OBJECTS;

    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
        T::visit_interfaces(visit);
    }

    #[inline]
    fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
        let (args, keeps) = split(self.each_ref().map(T::lower_arg));
        (RawArray(args), keeps)
    }
    #[inline]
    unsafe fn lift_arg(arg: Self::Arg) -> Self {
        // SAFETY: the caller's promise for the array covers each element.
        std::array::from_fn(|i| unsafe { T::lift_arg(arg.0[i]) })
    }
    #[inline]
    fn lower_ret(self) -> Self::Ret {
        RawArray(self.map(T::lower_ret))
    }
    #[inline]
    unsafe fn lift_ret(ret: Self::Ret) -> Self {
        // SAFETY: the caller's promise for the array covers each element,
        // each lifted once.
        std::array::from_fn(|i| unsafe { T::lift_ret(ret.0[i]) })
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
        let (raws, keeps) = split(self.each_ref().map(T::lower));
        (RawArray(raws), keeps)
    }
    #[inline]
    unsafe fn hold(raw: Self::Raw) -> Self::Holder {
        // SAFETY: the caller's promise for the array covers each element.
        std::array::from_fn(|i| unsafe { T::hold(raw.0[i]) })
    }
}

// SAFETY: each element borrows what `T` lends, for `'a`.
unsafe impl<'a, T: Lent<'a>, const N: usize> Lent<'a> for [T; N] {
    #[inline]
    unsafe fn view(holder: &'a mut Self::Holder) -> Self {
        // SAFETY: the caller views each holder once; so each element's.
        holder.each_mut().map(|h| unsafe { T::view(h) })
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
