//! The calling convention shared by host and plugin.

use std::ffi::c_void;
use std::mem::MaybeUninit;

/// The call returned normally; the value is set.
pub const STATUS_OK: u8 = 0;
/// The call panicked inside the plugin; the value is not set, and the
/// message waits in the host's slot (`crate::export::relay`).
pub const STATUS_PANICKED: u8 = 1;
/// A host callback the plugin called panicked; the plugin's method was
/// unwound, and the host's payload waits on the host's side.
///
/// Every failure status has bit 0 set, so the happy path tests one bit.
pub const STATUS_CALLBACK_PANICKED: u8 = 3;

/// Whether `status` says the call failed (no value).
#[inline(always)]
pub const fn failed(status: u8) -> bool {
    status & 1 != 0
}

/// What every shim returns: a status and, when it is [`STATUS_OK`], the
/// lowered value. Returned by value: small results come back in registers,
/// large ones through the caller's stack, as the platform's C ABI decides.
#[repr(C)]
pub struct RetSlot<T> {
    /// The lowered value, set exactly when `status` is [`STATUS_OK`].
    pub value: MaybeUninit<T>,
    /// [`STATUS_OK`] or [`STATUS_PANICKED`].
    pub status: u8,
}

impl<T> RetSlot<T> {
    /// A normal return.
    #[inline(always)]
    pub fn ok(value: T) -> Self {
        RetSlot {
            value: MaybeUninit::new(value),
            status: STATUS_OK,
        }
    }

    /// A caught panic.
    #[inline(always)]
    pub fn panicked() -> Self {
        Self::failed(STATUS_PANICKED)
    }

    /// No value, and why.
    #[inline(always)]
    pub fn failed(status: u8) -> Self {
        RetSlot {
            value: MaybeUninit::uninit(),
            status,
        }
    }
}

/// The constructor shim: makes the instance.
pub type NewFn = unsafe extern "C" fn() -> RetSlot<*mut c_void>;
/// The destructor shim: drops the instance inside the plugin.
pub type DropFn = unsafe extern "C" fn(instance: *mut c_void) -> RetSlot<u8>;
/// Joins the plugin's panic relay to the host's (`crate::export::relay`).
pub type JoinRelayFn =
    unsafe extern "C" fn(relay: *const crate::export::Relay) -> *const crate::export::Relay;
