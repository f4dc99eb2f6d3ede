//! Slices and vectors of scalars: borrowed as pointer and length, owned
//! with the function that frees them.

use std::mem::ManuallyDrop;

use super::{Abi, Scalar, fnv1a, mix};

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
}

/// The function that frees an [`OwnedBuf`], on the side that allocated it.
pub type FreeFn<T> = unsafe extern "C" fn(ptr: *mut T, len: usize, cap: usize);

/// A `Vec<T>`'s buffer in transit, with the function that frees it.
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

/// Frees a vector's buffer with the allocator of the library this copy of
/// dynplug lives in.
///
/// # Safety
///
/// The arguments must be the raw parts of a `Vec<T>` allocated in this library.
unsafe extern "C" fn free_vec<T>(ptr: *mut T, len: usize, cap: usize) {
    // SAFETY: the caller passes the raw parts of a Vec of this library.
    drop(unsafe { Vec::from_raw_parts(ptr, len, cap) });
}

impl<T: Scalar> OwnedBuf<T> {
    /// Hands `vec`'s buffer over; it is freed by [`OwnedBuf::into_vec`].
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

    /// Copies the values into a vector of this side's allocator, then frees
    /// the buffer with the allocator it came from.
    ///
    /// # Safety
    ///
    /// `self` must come from [`OwnedBuf::new`] (in any copy of dynplug) and
    /// be taken once.
    #[inline]
    pub unsafe fn into_vec(self) -> Vec<T> {
        // SAFETY: the buffer holds `len` initialised values (from a Vec).
        let values = unsafe { std::slice::from_raw_parts(self.ptr, self.len) }.to_vec();
        if self.cap != 0 {
            // SAFETY: these are the raw parts `new` took from the Vec, and
            // the caller promises this runs once.
            unsafe { (self.free)(self.ptr, self.len, self.cap) };
        }
        values
    }
}

// SAFETY: a slice of scalars crosses as a pointer to the caller's values,
// whose layout is the same on both sides (`Scalar`).
unsafe impl<'a, T: Scalar> Abi for &'a [T] {
    type Arg = RawSlice<T>;
    type Ret = RawSlice<T>;
    const TYPE_HASH: u64 = mix(fnv1a(b"&[]"), T::TYPE_HASH);

    #[inline(always)]
    fn lower_arg(&self) -> RawSlice<T> {
        RawSlice::new(self)
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
        // SAFETY: the returned slice borrows from the plugin instance (or an
        // argument) for the lifetime the trait's signature gives it.
        unsafe { ret.get() }
    }
}

// SAFETY: an argument is borrowed and copied by the receiver; a return value
// is handed over with its own free function.
unsafe impl<T: Scalar> Abi for Vec<T> {
    type Arg = RawSlice<T>;
    type Ret = OwnedBuf<T>;
    const TYPE_HASH: u64 = mix(fnv1a(b"Vec"), T::TYPE_HASH);

    #[inline(always)]
    fn lower_arg(&self) -> RawSlice<T> {
        RawSlice::new(self)
    }
    #[inline]
    unsafe fn lift_arg(arg: RawSlice<T>) -> Vec<T> {
        // SAFETY: the caller keeps the vector alive for the call.
        unsafe { arg.get() }.to_vec()
    }
    #[inline]
    fn lower_ret(self) -> OwnedBuf<T> {
        OwnedBuf::new(self)
    }
    #[inline]
    unsafe fn lift_ret(ret: OwnedBuf<T>) -> Vec<T> {
        // SAFETY: the caller lifts each return value once.
        unsafe { ret.into_vec() }
    }
}
