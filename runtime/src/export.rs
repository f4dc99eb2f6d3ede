//! The plugin side: what `#[plugin_export]`'s shims call.
//!
//! # Panics in a plugin
//!
//! Every shim runs the plugin's code inside [`call`], which catches a panic
//! and keeps its message for the host, which raises it again as its own
//! panic (`PluginCore::finish`). So that the panic is reported once, by the
//! host (whose panic hook then decides what is printed), the plugin's copy
//! of dynplug installs a panic hook in the plugin's std, once, at the first
//! instance it builds: on a thread inside a shim it records the panic's
//! location and prints nothing; anywhere else (a thread of the plugin's
//! own, code outside a shim) it hands the panic to the hook it replaced.
//!
//! The hook is the plugin's std's, which is normally a static copy of its
//! own: the host's hook is not touched. A plugin and host that share one
//! std (both linked with `-C prefer-dynamic`) share one hook too: the
//! plugin's then wraps the host's, still printing nothing only for a panic
//! inside a shim, and a hook the host sets after loading replaces it (the
//! panic then prints from the hook the host set, as well as from the host's
//! re-raise). A plugin that sets a hook of its own after its first instance
//! is built replaces dynplug's in the same way. A plugin that aborts on panic
//! (`panic = "abort"`) gets no such hook: its panic ends the process, and
//! the plugin's std is the only one that can say why.
//!
//! A panic the plugin catches itself, inside a method, is silent too; a
//! second panic in the same call then prints from the plugin as before. A
//! panic while another unwinds (in a destructor) prints from the plugin's
//! std: the process aborts then, and the host could not say why.

use std::any::Any;
use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::abi::{Abi, OwnedBuf};
use crate::call::{RetSlot, STATUS_CALLBACK_PANICKED};
use crate::callback::HostCallbackPanicked;

thread_local! {
    // A plain `Copy` value: no thread-local destructor is registered, which
    // would pin the plugin in memory (glibc) or crash after an unload.
    static LAST_PANIC: Cell<Option<OwnedBuf<u8>>> = const { Cell::new(None) };
    /// The location (`file:line:col`) of the last panic the hook saw inside
    /// a shim on this thread, for [`keep_panic`]. Plain too.
    static PANIC_LOCATION: Cell<Option<OwnedBuf<u8>>> = const { Cell::new(None) };
    /// What the panic hook needs to know of this thread. Plain too.
    static SHIM: ShimState = const {
        ShimState { depth: Cell::new(0), silenced: Cell::new(false) }
    };
}

/// A thread's shims, as the panic hook sees them.
struct ShimState {
    /// How many shims of this library are running on the thread (more than
    /// one when a callback of the host calls the plugin again).
    depth: Cell<u32>,
    /// Whether the hook kept quiet about a panic that no shim has caught
    /// yet (cleared at the outermost shim's entry and at each catch). A
    /// panic while it is set is a panic during another's unwinding, which
    /// aborts the process: that one the hook does not keep quiet about.
    silenced: Cell<bool>,
}

/// Runs `body` and catches a panic, which must not unwind into the host
/// (it has its own copy of std): the message is kept for the host to take.
/// While it runs, the panic hook of [`install_panic_hook`] prints nothing
/// on this thread.
#[inline(always)]
pub fn call<R>(body: impl FnOnce() -> R) -> RetSlot<R> {
    let caught = SHIM.with(|shim| {
        let depth = shim.depth.get();
        if depth == 0 {
            shim.silenced.set(false);
        }
        shim.depth.set(depth + 1);
        let caught = catch_unwind(AssertUnwindSafe(body));
        shim.depth.set(depth);
        caught
    });
    match caught {
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

/// Installs, once, the plugin's panic hook (see the module's docs).
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // `set_hook` panics on a panicking thread: the plugin's own std's
        // thread, so only if a destructor of the plugin builds an instance.
        if std::thread::panicking() {
            return;
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = SHIM.with(|shim| {
                let quiet = shim.depth.get() > 0 && !shim.silenced.get();
                if quiet {
                    shim.silenced.set(true);
                }
                quiet
            });
            if !quiet {
                return previous(info);
            }
            if let Some(at) = info.location() {
                let text = format!("{}:{}:{}", at.file(), at.line(), at.column());
                if let Some(old) = PANIC_LOCATION.replace(Some(String::lower_ret(text))) {
                    // SAFETY: `old` came from `lower_ret` and was never taken.
                    drop(unsafe { String::lift_ret(old) });
                }
            }
        }));
    });
}

/// Separates the location from the message in the text [`take_panic`]
/// hands over: `file:line:col`, a NUL byte, the message. The location is
/// empty when unknown (a payload raised with `resume_unwind`, a hook of the
/// plugin's own in place of dynplug's).
pub(crate) fn split_panic_text(text: &str) -> (&str, &str) {
    text.split_once('\0').unwrap_or(("", text))
}

#[cold]
#[inline(never)]
fn keep_panic(payload: Box<dyn Any + Send>) {
    SHIM.with(|shim| shim.silenced.set(false));
    let location = PANIC_LOCATION
        .take()
        // SAFETY: the hook stored it with `lower_ret`; taken once.
        .map(|buf| unsafe { String::lift_ret(buf) })
        .unwrap_or_default();
    let message = format!("{location}\0{}", panic_message(&*payload));
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

/// Hands over the text of the last panic on this thread (empty if none):
/// its location and message, as [`split_panic_text`] separates them.
pub fn take_panic() -> OwnedBuf<u8> {
    LAST_PANIC
        .take()
        .unwrap_or_else(|| String::new().lower_ret())
}

/// Builds an instance with `ctor`, boxed, panics caught. `unwinds` is
/// `cfg!(panic = "unwind")` in the plugin's crate: only then is the panic
/// hook installed that leaves the report of a panic to the host.
pub fn new_instance<T>(ctor: fn() -> T, unwinds: bool) -> RetSlot<*mut c_void> {
    if unwinds {
        install_panic_hook();
    }
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
