//! The plugin side: what `#[plugin_export]`'s shims call.

use std::any::Any;
use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::abi::{Abi, OwnedBuf};
use crate::call::{RetSlot, STATUS_CALLBACK_PANICKED};
use crate::callback::HostCallbackPanicked;

thread_local! {
    // A plain `Copy` value: no thread-local destructor is registered, which
    // would pin the plugin in memory (glibc) or crash after an unload.
    static LAST_PANIC: Cell<Option<OwnedBuf<u8>>> = const { Cell::new(None) };
}

/// Runs `body` and catches a panic, which must not unwind into the host
/// (it has its own copy of std): the message is kept for the host to take.
#[inline(always)]
pub fn call<R>(body: impl FnOnce() -> R) -> RetSlot<R> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => RetSlot::ok(value),
        Err(payload) if payload.is::<HostCallbackPanicked>() => {
            RetSlot::failed(STATUS_CALLBACK_PANICKED)
        }
        Err(payload) => {
            keep_panic(payload);
            RetSlot::panicked()
        }
    }
}

#[cold]
#[inline(never)]
fn keep_panic(payload: Box<dyn Any + Send>) {
    let message = panic_message(&*payload);
    // Dropping a payload may itself panic; that second payload is leaked,
    // since dropping it could panic again, outside any catch.
    if let Err(second) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(second);
    }
    let buf = String::lower_ret(message);
    if let Some(old) = LAST_PANIC.replace(Some(buf)) {
        // SAFETY: `old` came from `lower_ret` and was never taken.
        drop(unsafe { String::lift_ret(old) });
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic whose payload is not a string".to_owned()
    }
}

/// Hands over the message of the last panic on this thread (empty if none).
pub fn take_panic() -> OwnedBuf<u8> {
    LAST_PANIC
        .take()
        .unwrap_or_else(|| String::new().lower_ret())
}

/// Builds an instance with `ctor`, boxed, panics caught.
pub fn new_instance<T>(ctor: fn() -> T) -> RetSlot<*mut c_void> {
    call(|| Box::into_raw(Box::new(ctor())).cast::<c_void>())
}

/// Drops an instance built by [`new_instance`], panics caught.
///
/// # Safety
///
/// `instance` must come from `new_instance::<T>` and be dropped once.
pub unsafe fn drop_instance<T>(instance: *mut c_void) -> RetSlot<u8> {
    // SAFETY: the caller passes a pointer from `Box::into_raw` of a `T`, once.
    call(|| drop(unsafe { Box::from_raw(instance.cast::<T>()) })).map_unit()
}

impl RetSlot<()> {
    fn map_unit(self) -> RetSlot<u8> {
        RetSlot {
            value: std::mem::MaybeUninit::new(0),
            status: self.status,
        }
    }
}

/// How `#[plugin_export]` builds an instance when no `new = ...` is given:
/// with `Default`. A trait of its own so that a missing `Default` says what
/// the alternative is.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `Default` to build the plugin instance with",
    label = "no `Default` implementation",
    note = "derive or implement `Default`, or name a constructor: \
            `#[dynplug::plugin_export(new = path::to::function)]` with a `fn() -> {Self}`"
)]
pub trait DefaultInstance: Sized {
    /// `Self::default()`.
    fn build_default() -> Self;
}

impl<T: Default> DefaultInstance for T {
    fn build_default() -> Self {
        T::default()
    }
}
