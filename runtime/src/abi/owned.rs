//! Owned values of other shapes: `Box<str>` and `Box<[T]>` cross as
//! `String` and `Vec<T>` do; `PathBuf` as its bytes as the platform holds
//! them (Unix: any bytes, not only UTF-8; Windows: its UTF-16 code units,
//! unpaired surrogates included), so that every path survives the trip;
//! `&Path` as those units too, lent in place on Unix.

use std::path::{Path, PathBuf};

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

/// What a `Box` may hold at the boundary: a value that crosses (`Box<T>`,
/// lowered as its `T`), or an object of a `#[plugin_interface]` trait
/// (`Box<dyn Trait>`, whose impl the attribute makes). One trait for both,
/// behind one `Abi` impl of `Box<T>`, so that a `Box` of neither is
/// reported as such.
///
/// # Safety
///
/// As for [`Abi`], of `Box<Self>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the plugin boundary in a `Box`",
    label = "not a value that crosses, nor an object of a plugin interface",
    note = "a `Box` holds a value that crosses (`Box<T>`) or an object of a trait with \
            `#[dynplug::plugin_interface]` (`Box<dyn Trait>`): add the attribute to the \
            trait's definition"
)]
pub unsafe trait Boxed {
    /// `Abi::Arg` of `Box<Self>`.
    type BoxArg: Copy;
    /// `Abi::Keep` of `Box<Self>`.
    type BoxKeep;
    /// `Abi::Ret` of `Box<Self>`.
    type BoxRet: Copy;
    /// `Abi::TYPE_HASH` of `Box<Self>`.
    const BOX_TYPE_HASH: u64;
    /// `Abi::OBJECTS` of `Box<Self>`.
    const BOX_OBJECTS: bool;
    /// `Abi::visit_interfaces` of `Box<Self>`.
    fn box_visit(visit: &mut dyn FnMut(crate::object::Node));
    /// `Abi::lower_arg` of `Box<Self>`.
    fn box_lower_arg(value: &Self) -> (Self::BoxArg, Self::BoxKeep);
    /// `Abi::lift_arg` of `Box<Self>`.
    ///
    /// # Safety
    ///
    /// As for [`Abi::lift_arg`].
    unsafe fn box_lift_arg(arg: Self::BoxArg) -> Box<Self>;
    /// `Abi::lower_ret` of `Box<Self>`.
    fn box_lower_ret(boxed: Box<Self>) -> Self::BoxRet;
    /// `Abi::lift_ret` of `Box<Self>`.
    ///
    /// # Safety
    ///
    /// As for [`Abi::lift_ret`].
    unsafe fn box_lift_ret(ret: Self::BoxRet) -> Box<Self>;
    /// `Abi::lift_ret_from` of `Box<Self>`.
    ///
    /// # Safety
    ///
    /// As for [`Abi::lift_ret_from`].
    unsafe fn box_lift_ret_from(ret: Self::BoxRet, owner: crate::object::Owner<'_>) -> Box<Self>;
}

// SAFETY: `Boxed`'s promise is `Abi`'s, of `Box<T>`.
unsafe impl<T: ?Sized + Boxed> Abi for Box<T> {
    type Arg = T::BoxArg;
    type Keep = T::BoxKeep;
    type Ret = T::BoxRet;
    const TYPE_HASH: u64 = T::BOX_TYPE_HASH;
    const OBJECTS: bool = T::BOX_OBJECTS;

    fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
        T::box_visit(visit);
    }
    #[inline(always)]
    fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
        T::box_lower_arg(self)
    }
    #[inline(always)]
    unsafe fn lift_arg(arg: Self::Arg) -> Self {
        // SAFETY: the caller's promise.
        unsafe { T::box_lift_arg(arg) }
    }
    #[inline(always)]
    fn lower_ret(self) -> Self::Ret {
        T::box_lower_ret(self)
    }
    #[inline(always)]
    unsafe fn lift_ret(ret: Self::Ret) -> Self {
        // SAFETY: the caller's promise.
        unsafe { T::box_lift_ret(ret) }
    }
    #[inline(always)]
    unsafe fn lift_ret_from(ret: Self::Ret, owner: crate::object::Owner<'_>) -> Self {
        // SAFETY: the caller's promise.
        unsafe { T::box_lift_ret_from(ret, owner) }
    }
}

// SAFETY: lowered and lifted as its value, whose `Abi` it uses; the box is
// the receiver's own (a new one, in its allocator).
unsafe impl<T: Abi> Boxed for T {
    type BoxArg = T::Arg;
    type BoxKeep = T::Keep;
    type BoxRet = T::Ret;
    const BOX_TYPE_HASH: u64 = super::hash::mix(fnv1a(b"Box<>"), T::TYPE_HASH);
    const BOX_OBJECTS: bool = T::OBJECTS;

    fn box_visit(visit: &mut dyn FnMut(crate::object::Node)) {
        T::visit_interfaces(visit);
    }
    #[inline]
    fn box_lower_arg(value: &T) -> (Self::BoxArg, Self::BoxKeep) {
        T::lower_arg(value)
    }
    #[inline]
    unsafe fn box_lift_arg(arg: Self::BoxArg) -> Box<T> {
        // SAFETY: the caller's promise: lowered from a `Box<T>`, as a `T`.
        Box::new(unsafe { T::lift_arg(arg) })
    }
    #[inline]
    fn box_lower_ret(boxed: Box<T>) -> Self::BoxRet {
        T::lower_ret(*boxed)
    }
    #[inline]
    unsafe fn box_lift_ret(ret: Self::BoxRet) -> Box<T> {
        // SAFETY: as above.
        Box::new(unsafe { T::lift_ret(ret) })
    }
    #[inline]
    unsafe fn box_lift_ret_from(ret: Self::BoxRet, owner: crate::object::Owner<'_>) -> Box<T> {
        // SAFETY: as above; `owner` is the library of the call.
        Box::new(unsafe { T::lift_ret_from(ret, owner) })
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

/// What the receiver of a `&Path` holds for the call: the sender's bytes
/// in place (Unix), or a path made from the sender's UTF-16 units
/// (Windows, where a path in memory is not UTF-16).
#[cfg(unix)]
pub struct PathLoan(RawSlice<Unit>);
#[cfg(windows)]
pub struct PathLoan(PathBuf);

impl PathLoan {
    /// # Safety
    ///
    /// `raw` must come from `units` of a path the sender keeps for the
    /// loan's life.
    #[inline]
    unsafe fn new(raw: RawSlice<Unit>) -> PathLoan {
        #[cfg(unix)]
        {
            PathLoan(raw)
        }
        #[cfg(windows)]
        {
            // SAFETY: the caller's promise.
            PathLoan(path_of(unsafe { raw.get() }))
        }
    }

    /// # Safety
    ///
    /// As for [`PathLoan::new`]: the sender's path is still alive.
    #[inline]
    unsafe fn path(&self) -> &Path {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            // SAFETY: the caller's promise; any bytes are a Unix path.
            Path::new(std::ffi::OsStr::from_bytes(unsafe { self.0.get() }))
        }
        #[cfg(windows)]
        {
            &self.0
        }
    }
}

// SAFETY: a path crosses as its platform units (as `PathBuf` does), which
// the caller keeps for the call; the holder borrows only those.
unsafe impl super::RefArg for Path {
    type Arg = RawSlice<Unit>;
    type Keep = Vec<Unit>;
    type Held = PathLoan;
    const TYPE_HASH: u64 = fnv1a(b"Path");
    const OBJECTS: bool = false;

    fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

    #[inline]
    fn lower_ref(&self) -> (Self::Arg, Self::Keep) {
        units(self)
    }
    #[inline]
    unsafe fn hold(arg: Self::Arg) -> PathLoan {
        // SAFETY: the caller's promise.
        unsafe { PathLoan::new(arg) }
    }
    #[inline]
    unsafe fn view(held: &PathLoan) -> &Path {
        // SAFETY: the caller's promise.
        unsafe { held.path() }
    }
}

// SAFETY: as a method's `&Path`: the plugin's units, in place or copied for
// the call; the holder borrows only those.
unsafe impl super::CallbackArg for &Path {
    type Raw = RawSlice<Unit>;
    type Keep = Vec<Unit>;
    type Holder = PathLoan;
    const TYPE_HASH: u64 = super::hash::reference(<Path as super::RefArg>::TYPE_HASH);
    const OBJECTS: bool = false;

    #[inline]
    fn lower(&self) -> (Self::Raw, Self::Keep) {
        units(self)
    }
    #[inline]
    unsafe fn hold(raw: Self::Raw) -> PathLoan {
        // SAFETY: the caller's promise.
        unsafe { PathLoan::new(raw) }
    }
}

// SAFETY: borrows the holder, and what it points at, for exactly `'a`.
unsafe impl<'a> super::Lent<'a> for &'a Path {
    #[inline]
    unsafe fn view(holder: &'a mut PathLoan) -> &'a Path {
        // SAFETY: the caller's promise: the sender keeps its path for the
        // callback call, which outlives the borrow of the holder.
        unsafe { holder.path() }
    }
}

/// `CallbackArg` and `Lent` of an owned box: lowered and lifted by `Abi`,
/// as a method's owned argument; the holder is a copy.
macro_rules! owned_box_args {
    ($($ty:ty),*) => {$(
        // SAFETY: lowered and lifted by `Abi`; the holder is a copy.
        unsafe impl<T: super::Owned> super::CallbackArg for $ty {
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
        unsafe impl<'a, T: super::Owned> super::Lent<'a> for $ty {
            #[inline]
            unsafe fn view(holder: &'a mut Self::Holder) -> Self {
                // SAFETY: the caller views each holder once.
                unsafe { super::view_owned(holder) }
            }
        }
    )*};
}

owned_box_args!(Box<[T]>, Box<T>);
