//! Mutable arguments. `&mut [T]` of scalars is lent in place. `&mut T` of
//! any other supported type (a `String` or `Vec` the plugin may grow) is
//! copied in, and the new value is written back through a function of the
//! caller's side, so that each side allocates and frees only its own memory.

use std::ffi::c_void;
use std::marker::PhantomData;

use super::{Abi, Scalar};

/// A mutable slice of scalars, lent for the call.
#[repr(C)]
#[derive(Debug)]
pub struct RawSliceMut<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> Clone for RawSliceMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RawSliceMut<T> {}

impl<T: Scalar> RawSliceMut<T> {
    /// Lends `slice` for the call.
    #[inline(always)]
    pub fn new(slice: &mut [T]) -> Self {
        RawSliceMut {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
        }
    }

    /// The slice again.
    ///
    /// # Safety
    ///
    /// `self` must come from [`RawSliceMut::new`] on a slice that is lent
    /// exclusively for `'a`.
    #[inline(always)]
    pub unsafe fn get<'a>(self) -> &'a mut [T] {
        // SAFETY: the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// A `&mut T` in transit: the current value, lowered, and where and how to
/// write the new value back on the caller's side.
#[repr(C)]
pub struct RawMut<T: Abi> {
    current: T::Arg,
    target: *mut c_void,
    write_back: WriteBack<T>,
    _marker: PhantomData<fn() -> T>,
}

impl<T: Abi> Clone for RawMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Abi> Copy for RawMut<T> {}

/// The caller's function that writes the new value back: 0 when it did,
/// 1 when lifting the value or dropping the old one panicked (a map's key
/// whose `Hash` or `Eq` panics, a `Drop` that does): the payload then waits
/// on the caller's side as a callback's does, and the plugin unwinds with
/// `HostCallbackPanicked`, so that the caller raises it again.
type WriteBack<T> = unsafe extern "C" fn(target: *mut c_void, new: <T as Abi>::Ret) -> u8;

/// Writes a value lowered on the other side into `*target`.
///
/// # Safety
///
/// `target` must be the `&mut T` that [`RawMut::new`] took, still lent, and
/// `new` a value lowered by `T::lower_ret`, written back once.
unsafe extern "C" fn write_back<T: Abi>(target: *mut c_void, new: T::Ret) -> u8 {
    // Code of the user's runs here (a map's `Hash`, a `Drop`), which must
    // not unwind out of an `extern "C"` function.
    let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller's promise; the old value is dropped here, on
        // the side that allocated it (and should its drop panic, the new
        // value is still written: assignment writes it on unwinding too).
        unsafe { *target.cast::<T>() = T::lift_ret(new) };
    }));
    match written {
        Ok(()) => 0,
        Err(payload) => {
            crate::callback::keep_host_panic(payload);
            1
        }
    }
}

impl<T: Abi> RawMut<T> {
    /// Lends `value` for the call: its current value, lowered, and the
    /// function that writes the new one back. The `Keep` must be held until
    /// the call returns.
    ///
    /// `T` must own its data ([`Owned`](super::Owned)): the value written
    /// back comes from the other side, and a borrow in it could point into
    /// the other side's memory.
    #[inline]
    pub fn new(value: &mut T) -> (Self, T::Keep)
    where
        T: super::Owned,
    {
        let (current, keep) = value.lower_arg();
        let raw = RawMut {
            current,
            target: (value as *mut T).cast::<c_void>(),
            write_back: write_back::<T>,
            _marker: PhantomData,
        };
        (raw, keep)
    }

    /// The receiving side's copy of the value, to lend to the method as
    /// `&mut`; [`MutHolder::finish`] writes it back.
    ///
    /// # Safety
    ///
    /// `self` must come from [`RawMut::new`] for a call still in progress.
    #[inline]
    pub unsafe fn lift(self) -> MutHolder<T> {
        MutHolder {
            // SAFETY: the caller's promise.
            value: unsafe { T::lift_arg(self.current) },
            target: self.target,
            write_back: self.write_back,
        }
    }
}

/// The receiving side's copy of a `&mut T` argument.
pub struct MutHolder<T: Abi> {
    /// The value the method works on.
    pub value: T,
    target: *mut c_void,
    write_back: WriteBack<T>,
}

impl<T: Abi> MutHolder<T> {
    /// Writes the value back to the caller. If the method panicked, this is
    /// not called, and the caller's value stays as it was.
    ///
    /// # Safety
    ///
    /// Called once, before the call that lent the value returns.
    #[inline]
    pub unsafe fn finish(self) {
        // SAFETY: the target is still lent (the call is in progress), and
        // the value is lowered once, here.
        let status = unsafe { (self.write_back)(self.target, self.value.lower_ret()) };
        if status != 0 {
            // The caller keeps its panic; the shim reports it.
            std::panic::resume_unwind(Box::new(crate::callback::HostCallbackPanicked));
        }
    }
}
