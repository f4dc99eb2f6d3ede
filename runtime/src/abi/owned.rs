//! Owned values of other shapes: `Box<str>` and `Box<[T]>` cross as
//! `String` and `Vec<T>` do; `PathBuf` as its bytes as the platform holds
//! them (Unix: any bytes, not only UTF-8; Windows: its UTF-16 code units,
//! unpaired surrogates included), so that every path survives the trip.

use std::path::PathBuf;

use super::{Abi, OwnedBuf, RawSlice, fnv1a};

// SAFETY: lowered and lifted as a `String`, whose `Abi` it uses.
unsafe impl Abi for Box<str> {
    type Arg = <String as Abi>::Arg;
    type Keep = ();
    type Ret = <String as Abi>::Ret;
    const TYPE_HASH: u64 = fnv1a(b"Box<str>");
    const OBJECTS: bool = false;

    fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

    #[inline(always)]
    fn lower_arg(&self) -> (Self::Arg, ()) {
        (RawSlice::new(self.as_bytes()), ())
    }
    #[inline]
    unsafe fn lift_arg(arg: Self::Arg) -> Self {
        // SAFETY: the caller's promise: lowered from a `Box<str>`, as a
        // `String` is.
        unsafe { String::lift_arg(arg) }.into_boxed_str()
    }
    #[inline]
    fn lower_ret(self) -> Self::Ret {
        String::from(self).lower_ret()
    }
    #[inline]
    unsafe fn lift_ret(ret: Self::Ret) -> Self {
        // SAFETY: as above.
        unsafe { String::lift_ret(ret) }.into_boxed_str()
    }
}

// SAFETY: lowered and lifted as a `Vec<T>`, whose `Abi` it uses.
unsafe impl<T: Abi> Abi for Box<[T]> {
    type Arg = <Vec<T> as Abi>::Arg;
    type Keep = <Vec<T> as Abi>::Keep;
    type Ret = <Vec<T> as Abi>::Ret;
    const TYPE_HASH: u64 = super::hash::mix(fnv1a(b"Box<[]>"), T::TYPE_HASH);
    const OBJECTS: bool = T::OBJECTS;

    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
        T::visit_interfaces(visit);
    }

    #[inline]
    fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
        super::lower_slice(self)
    }
    #[inline]
    unsafe fn lift_arg(arg: Self::Arg) -> Self {
        // SAFETY: the caller's promise: lowered from a slice, as a `Vec` is.
        unsafe { Vec::<T>::lift_arg(arg) }.into_boxed_slice()
    }
    #[inline]
    fn lower_ret(self) -> Self::Ret {
        Vec::from(self).lower_ret()
    }
    #[inline]
    unsafe fn lift_ret(ret: Self::Ret) -> Self {
        // SAFETY: as above.
        unsafe { Vec::<T>::lift_ret(ret) }.into_boxed_slice()
    }
}

/// What a path is made of on this platform.
#[cfg(unix)]
type Unit = u8;
#[cfg(windows)]
type Unit = u16;

/// A path's units, borrowed in place (Unix) or made for the call (Windows).
#[cfg(unix)]
fn units(path: &std::path::Path) -> (RawSlice<Unit>, Vec<Unit>) {
    use std::os::unix::ffi::OsStrExt;
    (RawSlice::new(path.as_os_str().as_bytes()), Vec::new())
}
#[cfg(windows)]
fn units(path: &std::path::Path) -> (RawSlice<Unit>, Vec<Unit>) {
    use std::os::windows::ffi::OsStrExt;
    let wide: Vec<u16> = path.as_os_str().encode_wide().collect();
    // The vector's buffer does not move with it into the keep.
    (RawSlice::new(&wide), wide)
}

fn path_of(units: &[Unit]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(units).into()
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStringExt;
        std::ffi::OsString::from_wide(units).into()
    }
}

fn into_units(path: PathBuf) -> Vec<Unit> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        path.into_os_string().into_vec()
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        path.as_os_str().encode_wide().collect()
    }
}

// SAFETY: a path crosses as its platform units, borrowed (or copied for the
// call) as an argument and handed over with its free function as a return
// value; any sequence of units is a valid path, so lifting cannot fail.
unsafe impl Abi for PathBuf {
    type Arg = RawSlice<Unit>;
    type Keep = Vec<Unit>;
    type Ret = OwnedBuf<Unit>;
    const TYPE_HASH: u64 = fnv1a(b"PathBuf");
    const OBJECTS: bool = false;

    fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

    #[inline]
    fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
        units(self)
    }
    #[inline]
    unsafe fn lift_arg(arg: Self::Arg) -> Self {
        // SAFETY: the caller keeps the units alive for the call.
        path_of(unsafe { arg.get() })
    }
    #[inline]
    fn lower_ret(self) -> Self::Ret {
        OwnedBuf::new(into_units(self))
    }
    #[inline]
    unsafe fn lift_ret(ret: Self::Ret) -> Self {
        // SAFETY: the caller lifts each return value once.
        unsafe { ret.take(path_of) }
    }
}

// SAFETY: lowered and lifted by `Abi`, as a method's owned argument; the
// holder is a copy.
unsafe impl<T: super::Owned> super::CallbackArg for Box<[T]> {
    type Raw = <Self as Abi>::Arg;
    type Keep = <Self as Abi>::Keep;
    type Holder = std::mem::ManuallyDrop<Self>;
    const TYPE_HASH: u64 = <Self as Abi>::TYPE_HASH;
    const OBJECTS: bool = <Self as Abi>::OBJECTS;

    #[inline]
    fn lower(&self) -> (Self::Raw, Self::Keep) {
        super::lower_owned(self)
    }
    #[inline]
    unsafe fn hold(raw: Self::Raw) -> Self::Holder {
        // SAFETY: the caller's promise.
        unsafe { super::hold_owned(raw) }
    }
}

// SAFETY: an owned value borrows nothing.
unsafe impl<'a, T: super::Owned> super::Lent<'a> for Box<[T]> {
    #[inline]
    unsafe fn view(holder: &'a mut Self::Holder) -> Self {
        // SAFETY: the caller views each holder once.
        unsafe { super::view_owned(holder) }
    }
}
