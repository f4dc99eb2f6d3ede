//! A method's shim, called with its type named only at the call.

use std::ffi::c_void;

use crate::call::RetSlot;

/// The address of a method's shim in a plugin. Its type is only named at
/// the call (`call2::<A0, A1, R>`), by generated code that derives every
/// type from the method's signature: a loader's fields then carry no
/// `Abi` projections, so an unsupported type is reported once, on its own
/// tokens.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct Shim(pub(crate) *const c_void);

// SAFETY: a code address; calling it is what needs care, not moving it.
unsafe impl Send for Shim {}
// SAFETY: as above.
unsafe impl Sync for Shim {}

macro_rules! shim_calls {
    ($($name:ident($($arg:ident: $ty:ident),*);)*) => {
        impl Shim {$(
            /// Calls the shim.
            ///
            /// # Safety
            ///
            /// The shim's type must be
            /// `unsafe extern "C" fn(P, <these argument types>) -> RetSlot<R>`
            /// (`P`: `*mut c_void` for a root instance, `Instance` for an object),
            /// and `instance` and the arguments must be valid for it.
            #[inline(always)]
            #[allow(clippy::too_many_arguments, reason = "one per method argument")]
            pub unsafe fn $name<P: Copy, $($ty: Copy,)* R>(
                self,
                instance: P,
                $($arg: $ty),*
            ) -> RetSlot<R> {
                // SAFETY: the caller promises the shim has this type.
                let f = unsafe {
                    std::mem::transmute::<
                        *const c_void,
                        unsafe extern "C" fn(P, $($ty),*) -> RetSlot<R>,
                    >(self.0)
                };
                // SAFETY: the caller promises valid arguments.
                unsafe { f(instance, $($arg),*) }
            }
        )*}
    };
}

shim_calls! {
    call0();
    call1(a0: A0);
    call2(a0: A0, a1: A1);
    call3(a0: A0, a1: A1, a2: A2);
    call4(a0: A0, a1: A1, a2: A2, a3: A3);
    call5(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4);
    call6(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5);
    call7(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6);
    call8(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7);
    call9(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8);
    call10(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9);
    call11(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10);
    call12(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10, a11: A11);
}

// The macros let a method take up to `limit::ARGS` arguments: one `callN`
// per arity up to that.
const _: () = assert!(dynplug_rules::limit::ARGS == 12, "add the missing `callN`");
