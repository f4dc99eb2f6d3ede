//! Tuples of up to 12 supported types: a `#[repr(C)]` struct of the
//! elements' lowered forms.

use super::{Abi, CallbackArg, Lent, fnv1a, mix};

macro_rules! tuples {
    ($($name:ident($($t:ident $v:ident $i:tt),+);)*) => {$(
        /// A lowered tuple: each element's lowered form, in order.
        #[repr(C)]
        #[derive(Debug, Clone, Copy)]
        pub struct $name<$($t),+>($(pub $t),+);

        // SAFETY: each element is lowered and lifted by its own `Abi`.
        unsafe impl<$($t: Abi),+> Abi for ($($t,)+) {
            type Arg = $name<$($t::Arg),+>;
            type Keep = ($($t::Keep,)+);
            type Ret = $name<$($t::Ret),+>;
            const TYPE_HASH: u64 = {
                let hash = fnv1a(stringify!($name).as_bytes());
                $(let hash = mix(hash, <$t as Abi>::TYPE_HASH);)+
                hash
            };
            const OBJECTS: bool = $(<$t as Abi>::OBJECTS)||+;

            fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
                $(<$t as Abi>::visit_interfaces(visit);)+
            }

            #[inline]
            fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
                $(let $v = self.$i.lower_arg();)+
                ($name($($v.0),+), ($($v.1,)+))
            }
            #[inline]
            unsafe fn lift_arg(arg: Self::Arg) -> Self {
                // SAFETY: the caller's promise covers every element.
                unsafe { ($($t::lift_arg(arg.$i),)+) }
            }
            #[inline]
            fn lower_ret(self) -> Self::Ret {
                $name($(self.$i.lower_ret()),+)
            }
            #[inline]
            unsafe fn lift_ret(ret: Self::Ret) -> Self {
                // SAFETY: the caller's promise covers every element.
                unsafe { ($($t::lift_ret(ret.$i),)+) }
            }
        }

        // SAFETY: each element is lowered and held by its own `CallbackArg`.
        unsafe impl<$($t: CallbackArg),+> CallbackArg for ($($t,)+) {
            type Raw = $name<$($t::Raw),+>;
            type Keep = ($($t::Keep,)+);
            type Holder = ($($t::Holder,)+);
            // As for `Abi`, so that a callback's signature hashes as it did.
            const TYPE_HASH: u64 = {
                let hash = fnv1a(stringify!($name).as_bytes());
                $(let hash = mix(hash, <$t as CallbackArg>::TYPE_HASH);)+
                hash
            };
            const OBJECTS: bool = $(<$t as CallbackArg>::OBJECTS)||+;

            #[inline]
            fn lower(&self) -> (Self::Raw, Self::Keep) {
                $(let $v = self.$i.lower();)+
                ($name($($v.0),+), ($($v.1,)+))
            }
            #[inline]
            unsafe fn hold(raw: Self::Raw) -> Self::Holder {
                // SAFETY: the caller's promise covers every element.
                unsafe { ($($t::hold(raw.$i),)+) }
            }
        }

        // SAFETY: each element borrows what its type lends, for `'a`.
        unsafe impl<'a, $($t: Lent<'a>),+> Lent<'a> for ($($t,)+) {
            #[inline]
            unsafe fn view(holder: &'a mut Self::Holder) -> Self {
                // SAFETY: the caller's promise covers every element, each
                // viewed once through its own field of the holder.
                unsafe { ($($t::view(&mut holder.$i),)+) }
            }
        }
    )*};
}

tuples! {
    RawTuple1(A a 0);
    RawTuple2(A a 0, B b 1);
    RawTuple3(A a 0, B b 1, C c 2);
    RawTuple4(A a 0, B b 1, C c 2, D d 3);
    RawTuple5(A a 0, B b 1, C c 2, D d 3, E e 4);
    RawTuple6(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5);
    RawTuple7(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6);
    RawTuple8(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7);
    RawTuple9(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8);
    RawTuple10(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9);
    RawTuple11(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10);
    RawTuple12(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10, L l 11);
}

// The macros let a tuple have up to `limit::TUPLE` elements, and nest a
// `PluginType`'s fields in groups of that many: one `RawTupleN` per count up
// to that.
const _: () = assert!(
    dynplug_rules::limit::TUPLE == 12,
    "add the missing `RawTupleN`"
);
