//! Strings: `&str` borrowed, `String` copied into the receiver's allocator.

use super::{Abi, OwnedBuf, RawSlice, fnv1a};

// SAFETY: a `&str` crosses as a pointer to the caller's UTF-8 bytes.
unsafe impl<'a> Abi for &'a str {
    type Arg = RawSlice<u8>;
    type Keep = ();
    type Ret = RawSlice<u8>;
    const TYPE_HASH: u64 = fnv1a(b"&str");
    const OBJECTS: bool = false;

    fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

    #[inline(always)]
    fn lower_arg(&self) -> (RawSlice<u8>, ()) {
        (RawSlice::new(self.as_bytes()), ())
    }
    #[inline(always)]
    unsafe fn lift_arg(arg: RawSlice<u8>) -> &'a str {
        // SAFETY: the bytes come from a `&str` the caller keeps alive.
        unsafe { std::str::from_utf8_unchecked(arg.get()) }
    }
    #[inline(always)]
    fn lower_ret(self) -> RawSlice<u8> {
        RawSlice::new(self.as_bytes())
    }
    #[inline(always)]
    unsafe fn lift_ret(ret: RawSlice<u8>) -> &'a str {
        // SAFETY: the bytes come from a `&str` that lives as long as the
        // trait's signature says (borrowed from the instance or an argument).
        unsafe { std::str::from_utf8_unchecked(ret.get()) }
    }
}

// SAFETY: an argument is borrowed and copied by the receiver; a return value
// is handed over with its own free function.
unsafe impl Abi for String {
    type Arg = RawSlice<u8>;
    type Keep = ();
    type Ret = OwnedBuf<u8>;
    const TYPE_HASH: u64 = fnv1a(b"String");
    const OBJECTS: bool = false;

    fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

    #[inline(always)]
    fn lower_arg(&self) -> (RawSlice<u8>, ()) {
        (RawSlice::new(self.as_bytes()), ())
    }
    #[inline]
    unsafe fn lift_arg(arg: RawSlice<u8>) -> String {
        // SAFETY: the bytes come from a `String` the caller keeps alive.
        unsafe { std::str::from_utf8_unchecked(arg.get()) }.to_owned()
    }
    #[inline]
    fn lower_ret(self) -> OwnedBuf<u8> {
        OwnedBuf::new(self.into_bytes())
    }
    #[inline]
    unsafe fn lift_ret(ret: OwnedBuf<u8>) -> String {
        // SAFETY: the caller lifts each return value once; the bytes came
        // from a `String`, so they are UTF-8.
        unsafe { String::from_utf8_unchecked(ret.take(<[u8]>::to_vec)) }
    }
}
