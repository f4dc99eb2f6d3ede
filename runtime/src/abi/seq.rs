//! Slices and vectors: borrowed as pointer and length, owned with the
//! function that frees them. Elements that cross as they lie in memory
//! (`Abi::DIRECT`: scalars) cross in place; others are lowered one by one
//! into a temporary array that the caller keeps for the call.

use std::mem::ManuallyDrop;
use std::ops::Deref;

use super::{Abi, CallbackArg, Lent, Scalar};

/// A borrowed run of `len` values at `ptr`.
#[repr(C)]
#[derive(Debug)]
pub struct RawSlice<T> {
    ptr: *const T,
    len: usize,
}

impl<T> Clone for RawSlice<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RawSlice<T> {}

impl<T> RawSlice<T> {
    /// Borrows `slice`; the result is valid while `slice` is.
    #[inline(always)]
    pub fn new(slice: &[T]) -> Self {
        RawSlice {
            ptr: slice.as_ptr(),
            len: slice.len(),
        }
    }

    /// The slice again.
    ///
    /// # Safety
    ///
    /// `self` must come from [`RawSlice::new`] on a slice that is alive and
    /// not mutated for `'a`.
    #[inline(always)]
    pub unsafe fn get<'a>(self) -> &'a [T] {
        // SAFETY: the caller promises `ptr` and `len` describe a live slice
        // (a slice's pointer is never null, even when empty).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The same run, as values of `U`, which must have `T`'s layout for the
    /// result to be used.
    #[inline(always)]
    pub(super) fn cast<U>(self) -> RawSlice<U> {
        RawSlice {
            ptr: self.ptr.cast::<U>(),
            len: self.len,
        }
    }
}

/// The function that frees an [`OwnedBuf`], on the side that allocated it.
pub type FreeFn<T> = unsafe extern "C" fn(ptr: *mut T, len: usize, cap: usize);

/// A `Vec`'s buffer in transit, with the function that frees it.
#[repr(C)]
#[derive(Debug)]
pub struct OwnedBuf<T> {
    ptr: *mut T,
    len: usize,
    cap: usize,
    free: FreeFn<T>,
}

impl<T> Clone for OwnedBuf<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for OwnedBuf<T> {}

/// Frees a vector's buffer (not its elements, which are plain values) with
/// the allocator of the library this copy of dynplug lives in.
///
/// # Safety
///
/// The arguments must be the raw parts of a `Vec<T>` allocated here.
unsafe extern "C" fn free_vec<T>(ptr: *mut T, len: usize, cap: usize) {
    // SAFETY: the caller passes the raw parts of a Vec of this library.
    drop(unsafe { Vec::from_raw_parts(ptr, len, cap) });
}

impl<T: Copy> OwnedBuf<T> {
    /// Hands `vec`'s buffer over; it is freed by [`OwnedBuf::take`].
    #[inline]
    pub fn new(vec: Vec<T>) -> Self {
        let mut vec = ManuallyDrop::new(vec);
        OwnedBuf {
            ptr: vec.as_mut_ptr(),
            len: vec.len(),
            cap: vec.capacity(),
            free: free_vec::<T>,
        }
    }

    /// Passes the values to `read`, then frees the buffer with the allocator
    /// it came from.
    ///
    /// # Safety
    ///
    /// `self` must come from [`OwnedBuf::new`] (in any copy of dynplug) and
    /// be taken once.
    #[inline]
    pub unsafe fn take<R>(self, read: impl FnOnce(&[T]) -> R) -> R {
        // SAFETY: the buffer holds `len` initialised values (from a Vec).
        let values = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        let result = read(values);
        if self.cap != 0 {
            // SAFETY: the raw parts `new` took from the Vec, freed once.
            unsafe { (self.free)(self.ptr, self.len, self.cap) };
        }
        result
    }
}

// SAFETY: a slice of scalars crosses as a pointer to the caller's values,
// whose layout is the same on both sides (`Scalar`).
unsafe impl<'a, T: Scalar> Abi for &'a [T] {
    type Arg = RawSlice<T>;
    type Keep = ();
    type Ret = RawSlice<T>;
    const TYPE_HASH: u64 = super::hash::slice(T::TYPE_HASH);
    const OBJECTS: bool = false;

    fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

    #[inline(always)]
    fn lower_arg(&self) -> (RawSlice<T>, ()) {
        (RawSlice::new(self), ())
    }
    #[inline(always)]
    unsafe fn lift_arg(arg: RawSlice<T>) -> &'a [T] {
        // SAFETY: the caller keeps the slice alive for the call.
        unsafe { arg.get() }
    }
    #[inline(always)]
    fn lower_ret(self) -> RawSlice<T> {
        RawSlice::new(self)
    }
    #[inline(always)]
    unsafe fn lift_ret(ret: RawSlice<T>) -> &'a [T] {
        // SAFETY: the returned slice borrows from the plugin instance for the
        // borrow of the loader (`ReturnAbi`).
        unsafe { ret.get() }
    }
}

/// What the caller of a slice or vector argument keeps for the call: the
/// lowered elements and what each of them keeps (empty for `DIRECT` ones).
pub type SliceKeep<T> = (Vec<<T as Abi>::Arg>, Vec<<T as Abi>::Keep>);

/// Lowers a slice argument: in place for `DIRECT` elements, else into a
/// temporary array that the returned `Keep` owns.
#[inline]
pub fn lower_slice<T: Abi>(slice: &[T]) -> (RawSlice<T::Arg>, SliceKeep<T>) {
    if T::DIRECT {
        // `DIRECT`: `T` and `T::Arg` have one layout.
        let raw = RawSlice {
            ptr: slice.as_ptr().cast::<T::Arg>(),
            len: slice.len(),
        };
        (raw, (Vec::new(), Vec::new()))
    } else {
        let (args, keeps): (Vec<T::Arg>, Vec<T::Keep>) = slice.iter().map(T::lower_arg).unzip();
        (RawSlice::new(&args), (args, keeps))
    }
}

/// A slice argument on the receiving side: borrowed in place for `DIRECT`
/// elements, else lifted into a vector for the call.
pub enum SliceHolder<'a, T> {
    /// The caller's elements, in place.
    Borrowed(&'a [T]),
    /// Copies, made for the call.
    Owned(Vec<T>),
}

impl<T> Deref for SliceHolder<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            SliceHolder::Borrowed(s) => s,
            SliceHolder::Owned(v) => v,
        }
    }
}

/// Lifts a slice argument lowered by [`lower_slice`].
///
/// # Safety
///
/// `raw` must come from `lower_slice::<T>`, whose slice and keep outlive `'a`.
#[inline]
pub unsafe fn lift_slice<'a, T: Abi>(raw: RawSlice<T::Arg>) -> SliceHolder<'a, T> {
    // SAFETY: the caller keeps the lowered elements alive for the call.
    let args = unsafe { raw.get() };
    if T::DIRECT {
        // SAFETY: `DIRECT`: the elements are `T`s as they lie in memory.
        SliceHolder::Borrowed(unsafe {
            std::slice::from_raw_parts(args.as_ptr().cast::<T>(), args.len())
        })
    } else {
        // SAFETY: each element came from `T::lower_arg`, kept alive.
        SliceHolder::Owned(args.iter().map(|a| unsafe { T::lift_arg(*a) }).collect())
    }
}

// SAFETY: an argument is borrowed (in place for DIRECT elements, else through
// a kept temporary array) and copied by the receiver; a return value is handed
// over with its own free function, each element lifted once.
unsafe impl<T: Abi> Abi for Vec<T> {
    type Arg = RawSlice<T::Arg>;
    type Keep = SliceKeep<T>;
    type Ret = OwnedBuf<T::Ret>;
    const TYPE_HASH: u64 = super::hash::vec(T::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS;

    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
        T::visit_interfaces(visit);
    }

    #[inline]
    fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
        lower_slice(self)
    }
    #[inline]
    unsafe fn lift_arg(arg: Self::Arg) -> Vec<T> {
        // SAFETY: the caller keeps the vector (and keep) alive for the call.
        match unsafe { lift_slice::<T>(arg) } {
            SliceHolder::Owned(v) => v,
            SliceHolder::Borrowed(s) => {
                // SAFETY: `DIRECT` elements are plain values: a bitwise copy
                // is a copy.
                s.iter().map(|x| unsafe { std::ptr::read(x) }).collect()
            }
        }
    }
    #[inline]
    fn lower_ret(self) -> Self::Ret {
        if T::DIRECT {
            let mut vec = ManuallyDrop::new(self);
            // SAFETY: `DIRECT`: `T` and `T::Ret` have one layout, so the
            // buffer is a valid `Vec<T::Ret>` with the same capacity.
            let raw = unsafe {
                Vec::from_raw_parts(vec.as_mut_ptr().cast::<T::Ret>(), vec.len(), vec.capacity())
            };
            OwnedBuf::new(raw)
        } else {
            OwnedBuf::new(self.into_iter().map(T::lower_ret).collect())
        }
    }
    #[inline]
    unsafe fn lift_ret(ret: Self::Ret) -> Vec<T> {
        // SAFETY: the caller lifts each return value once; so is each element.
        unsafe {
            ret.take(|values| {
                if T::DIRECT {
                    std::slice::from_raw_parts(values.as_ptr().cast::<T>(), values.len())
                        .iter()
                        .map(|x| std::ptr::read(x))
                        .collect()
                } else {
                    values.iter().map(|r| T::lift_ret(*r)).collect()
                }
            })
        }
    }
}

// SAFETY: each element lowered by its own `CallbackArg` into an array the
// sender keeps; the holder holds each element's holder.
unsafe impl<T: CallbackArg> CallbackArg for Vec<T> {
    type Raw = RawSlice<T::Raw>;
    type Keep = (Vec<T::Raw>, Vec<T::Keep>);
    type Holder = Vec<T::Holder>;
    const TYPE_HASH: u64 = super::hash::vec(T::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS;

    #[inline]
    fn lower(&self) -> (Self::Raw, Self::Keep) {
        if T::DIRECT {
            // `DIRECT`: `T` and `T::Raw` have one layout; in place.
            (RawSlice::new(self).cast(), (Vec::new(), Vec::new()))
        } else {
            let (raws, keeps): (Vec<T::Raw>, Vec<T::Keep>) = self.iter().map(T::lower).unzip();
            (RawSlice::new(&raws), (raws, keeps))
        }
    }
    #[inline]
    unsafe fn hold(raw: Self::Raw) -> Self::Holder {
        // SAFETY: the sender keeps the lowered elements (and what each of
        // them keeps) for the call.
        unsafe { raw.get().iter().map(|r| T::hold(*r)).collect() }
    }
}

// SAFETY: each element borrows what its type lends, for `'a`.
unsafe impl<'a, T: Lent<'a>> Lent<'a> for Vec<T> {
    #[inline]
    unsafe fn view(holder: &'a mut Self::Holder) -> Self {
        // SAFETY: the caller's promise covers each element, viewed once.
        holder.iter_mut().map(|h| unsafe { T::view(h) }).collect()
    }
}
