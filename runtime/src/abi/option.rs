//! `Option<T>`: a flag and, when set, the lowered `T`.

use std::mem::MaybeUninit;

use super::hash::option as hash;
use super::{Abi, CallbackArg, Lent};

/// A lowered `Option`: `value` is initialised exactly when `is_some`.
#[repr(C)]
#[derive(Debug)]
pub struct RawOption<T> {
    is_some: bool,
    value: MaybeUninit<T>,
}

impl<T: Copy> Clone for RawOption<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Copy> Copy for RawOption<T> {}

impl<T: Copy> RawOption<T> {
    #[inline(always)]
    fn new(value: Option<T>) -> Self {
        match value {
            Some(value) => RawOption {
                is_some: true,
                value: MaybeUninit::new(value),
            },
            None => RawOption {
                is_some: false,
                value: MaybeUninit::uninit(),
            },
        }
    }

    #[inline(always)]
    fn get(self) -> Option<T> {
        // SAFETY: `value` is initialised exactly when `is_some` (see `new`).
        self.is_some.then(|| unsafe { self.value.assume_init() })
    }
}

// SAFETY: `T`'s lowered form, behind a flag; lifting defers to `T`.
unsafe impl<T: Abi> Abi for Option<T> {
    type Arg = RawOption<T::Arg>;
    type Keep = Option<T::Keep>;
    type Ret = RawOption<T::Ret>;
    const TYPE_HASH: u64 = hash(T::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS;

    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
        T::visit_interfaces(visit);
    }

    #[inline(always)]
    fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
        match self.as_ref().map(T::lower_arg) {
            Some((arg, keep)) => (RawOption::new(Some(arg)), Some(keep)),
            None => (RawOption::new(None), None),
        }
    }
    #[inline(always)]
    unsafe fn lift_arg(arg: Self::Arg) -> Self {
        // SAFETY: the caller's promise for the option covers its value.
        arg.get().map(|value| unsafe { T::lift_arg(value) })
    }
    #[inline(always)]
    fn lower_ret(self) -> Self::Ret {
        RawOption::new(self.map(T::lower_ret))
    }
    #[inline(always)]
    unsafe fn lift_ret(ret: Self::Ret) -> Self {
        // SAFETY: the caller's promise for the option covers its value.
        ret.get().map(|value| unsafe { T::lift_ret(value) })
    }
}

// SAFETY: `T`'s lowered form, behind a flag; holding defers to `T`.
unsafe impl<T: CallbackArg> CallbackArg for Option<T> {
    type Raw = RawOption<T::Raw>;
    type Keep = Option<T::Keep>;
    type Holder = Option<T::Holder>;
    const TYPE_HASH: u64 = hash(T::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS;

    #[inline(always)]
    fn lower(&self) -> (Self::Raw, Self::Keep) {
        match self.as_ref().map(T::lower) {
            Some((raw, keep)) => (RawOption::new(Some(raw)), Some(keep)),
            None => (RawOption::new(None), None),
        }
    }
    #[inline(always)]
    unsafe fn hold(raw: Self::Raw) -> Self::Holder {
        // SAFETY: the caller's promise for the option covers its value.
        raw.get().map(|value| unsafe { T::hold(value) })
    }
}

// SAFETY: the value, if any, borrows what `T` lends, for `'a`.
unsafe impl<'a, T: Lent<'a>> Lent<'a> for Option<T> {
    #[inline(always)]
    unsafe fn view(holder: &'a mut Self::Holder) -> Self {
        // SAFETY: the caller's promise for the option covers its value.
        holder.as_mut().map(|h| unsafe { T::view(h) })
    }
}
