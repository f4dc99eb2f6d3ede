//! `Result<T, E>`: a flag and the lowered value or error.

use std::mem::ManuallyDrop;

use super::hash::result as hash;
use super::{Abi, CallbackArg, Lent};

/// A lowered `Result`: `ok` is set when `is_ok`, else `err`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawResult<T: Copy, E: Copy> {
    is_ok: bool,
    value: RawEither<T, E>,
}

#[repr(C)]
#[derive(Clone, Copy)]
union RawEither<T: Copy, E: Copy> {
    ok: ManuallyDrop<T>,
    err: ManuallyDrop<E>,
}

impl<T: Copy, E: Copy> RawResult<T, E> {
    #[inline]
    fn new(value: Result<T, E>) -> Self {
        match value {
            Ok(ok) => RawResult {
                is_ok: true,
                value: RawEither {
                    ok: ManuallyDrop::new(ok),
                },
            },
            Err(err) => RawResult {
                is_ok: false,
                value: RawEither {
                    err: ManuallyDrop::new(err),
                },
            },
        }
    }

    #[inline]
    fn get(self) -> Result<T, E> {
        // SAFETY: `is_ok` says which field `new` set.
        unsafe {
            if self.is_ok {
                Ok(*self.value.ok)
            } else {
                Err(*self.value.err)
            }
        }
    }
}

// SAFETY: the lowered value or error, behind a flag; lifting defers to them.
unsafe impl<T: Abi, E: Abi> Abi for Result<T, E> {
    type Arg = RawResult<T::Arg, E::Arg>;
    type Keep = Result<T::Keep, E::Keep>;
    type Ret = RawResult<T::Ret, E::Ret>;
    const TYPE_HASH: u64 = hash(T::TYPE_HASH, E::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS || E::OBJECTS;

    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
        T::visit_interfaces(visit);
        E::visit_interfaces(visit);
    }

    #[inline]
    fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
        match self {
            Ok(v) => {
                let (arg, keep) = v.lower_arg();
                (RawResult::new(Ok(arg)), Ok(keep))
            }
            Err(e) => {
                let (arg, keep) = e.lower_arg();
                (RawResult::new(Err(arg)), Err(keep))
            }
        }
    }
    #[inline]
    unsafe fn lift_arg(arg: Self::Arg) -> Self {
        // SAFETY: the caller's promise covers the value or error.
        unsafe {
            match arg.get() {
                Ok(v) => Ok(T::lift_arg(v)),
                Err(e) => Err(E::lift_arg(e)),
            }
        }
    }
    #[inline]
    fn lower_ret(self) -> Self::Ret {
        RawResult::new(self.map(T::lower_ret).map_err(E::lower_ret))
    }
    #[inline]
    unsafe fn lift_ret(ret: Self::Ret) -> Self {
        // SAFETY: the caller's promise covers the value or error.
        unsafe {
            match ret.get() {
                Ok(v) => Ok(T::lift_ret(v)),
                Err(e) => Err(E::lift_ret(e)),
            }
        }
    }
}

// SAFETY: the lowered value or error, behind a flag; holding defers to them.
unsafe impl<T: CallbackArg, E: CallbackArg> CallbackArg for Result<T, E> {
    type Raw = RawResult<T::Raw, E::Raw>;
    type Keep = Result<T::Keep, E::Keep>;
    type Holder = Result<T::Holder, E::Holder>;
    const TYPE_HASH: u64 = hash(T::TYPE_HASH, E::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS || E::OBJECTS;

    #[inline]
    fn lower(&self) -> (Self::Raw, Self::Keep) {
        match self {
            Ok(v) => {
                let (raw, keep) = v.lower();
                (RawResult::new(Ok(raw)), Ok(keep))
            }
            Err(e) => {
                let (raw, keep) = e.lower();
                (RawResult::new(Err(raw)), Err(keep))
            }
        }
    }
    #[inline]
    unsafe fn hold(raw: Self::Raw) -> Self::Holder {
        // SAFETY: the caller's promise covers the value or error.
        unsafe {
            match raw.get() {
                Ok(v) => Ok(T::hold(v)),
                Err(e) => Err(E::hold(e)),
            }
        }
    }
}

// SAFETY: the value or error borrows what its type lends, for `'a`.
unsafe impl<'a, T: Lent<'a>, E: Lent<'a>> Lent<'a> for Result<T, E> {
    #[inline]
    unsafe fn view(holder: &'a mut Self::Holder) -> Self {
        // SAFETY: the caller's promise covers the value or error.
        unsafe {
            match holder {
                Ok(v) => Ok(T::view(v)),
                Err(e) => Err(E::view(e)),
            }
        }
    }
}
