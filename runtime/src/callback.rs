//! Callbacks: a plugin method may take `&dyn Fn(A..) -> R` or
//! `&mut dyn FnMut(A..) -> R` and call back into the host during the call.
//!
//! The host lends a context pointer (its closure) and a trampoline of its
//! own; the plugin builds a closure of the same signature that lowers its
//! arguments, calls the trampoline, and lifts the result. The trampoline
//! lifts the arguments into holders that live for the call and lends the
//! host's closure values borrowed from them, for the call only
//! ([`Lent`](crate::abi::Lent)). A panic in the
//! host's closure is caught by the trampoline and kept on the host's side;
//! the plugin's closure then unwinds the plugin's method with a marker,
//! which the method's shim reports, and the host raises the original panic
//! again in its own thread.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use crate::abi::{CallbackArg, Owned};
use crate::call::{RetSlot, STATUS_OK};

/// A callback in transit: the host's context and trampoline.
#[repr(C)]
pub struct RawFn<A, R> {
    ctx: *mut c_void,
    call: unsafe extern "C" fn(ctx: *mut c_void, args: A) -> RetSlot<R>,
}

impl<A, R> Clone for RawFn<A, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A, R> Copy for RawFn<A, R> {}

impl<A, R> RawFn<A, R> {
    /// Lends the closure at `ctx`, called through `call`.
    pub fn new(ctx: *mut c_void, call: unsafe extern "C" fn(*mut c_void, A) -> RetSlot<R>) -> Self {
        RawFn { ctx, call }
    }
}

/// An optional callback in transit (`Option<&dyn Fn(..)>`): a null
/// trampoline for `None`.
#[repr(C)]
pub struct RawOptionalFn<A, R> {
    ctx: *mut c_void,
    call: Option<unsafe extern "C" fn(ctx: *mut c_void, args: A) -> RetSlot<R>>,
}

impl<A, R> Clone for RawOptionalFn<A, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A, R> Copy for RawOptionalFn<A, R> {}

impl<A, R> RawOptionalFn<A, R> {
    /// `Some` of a callback lent as [`RawFn::new`] lends one.
    pub fn some(
        ctx: *mut c_void,
        call: unsafe extern "C" fn(*mut c_void, A) -> RetSlot<R>,
    ) -> Self {
        RawOptionalFn {
            ctx,
            call: Some(call),
        }
    }

    /// No callback.
    pub fn none() -> Self {
        RawOptionalFn {
            ctx: std::ptr::null_mut(),
            call: None,
        }
    }

    /// The callback, if there is one.
    pub fn get(self) -> Option<RawFn<A, R>> {
        self.call.map(|call| RawFn {
            ctx: self.ctx,
            call,
        })
    }
}

thread_local! {
    /// The payload of a panic in a host callback, waiting to be raised
    /// again once the plugin's method has unwound (host side).
    static HOST_PANIC: RefCell<Option<Box<dyn Any + Send>>> = const { RefCell::new(None) };
}

/// The marker a plugin unwinds with when the host's callback panicked.
pub(crate) struct HostCallbackPanicked;

/// Host side: runs the host's callback body, panics caught and kept. The
/// result owns its data ([`Owned`]): the plugin gets it after the call.
pub fn host_callback<R: Owned, F: FnOnce() -> R>(body: F) -> RetSlot<R::Ret> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => RetSlot::ok(value.lower_ret()),
        Err(payload) => {
            HOST_PANIC.with(|slot| *slot.borrow_mut() = Some(payload));
            RetSlot::panicked()
        }
    }
}

/// Host side: the payload of the callback panic that ended a plugin call.
pub(crate) fn take_host_panic() -> Option<Box<dyn Any + Send>> {
    HOST_PANIC.with(|slot| slot.borrow_mut().take())
}

/// Plugin side: calls the host's callback with `args`.
///
/// # Safety
///
/// `raw` must be a callback lent by the host for the call in progress, whose
/// trampoline takes `A`'s lowered form and returns `R`'s.
pub unsafe fn call_back<A: CallbackArg, R: Owned>(raw: RawFn<A::Raw, R::Ret>, args: A) -> R {
    let (lowered, keep) = args.lower();
    // SAFETY: the caller's promise: the context and trampoline are alive.
    let ret = unsafe { (raw.call)(raw.ctx, lowered) };
    drop(keep);
    if ret.status != STATUS_OK {
        // Unwind the plugin's method without running the panic hook; the
        // shim turns the marker into a status for the host.
        resume_unwind(Box::new(HostCallbackPanicked));
    }
    // SAFETY: status OK: the trampoline set the value, lowered from an `R`.
    unsafe { R::lift_ret(ret.value.assume_init()) }
}
