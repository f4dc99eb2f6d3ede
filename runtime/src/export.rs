//! The plugin side: what `#[plugin_export]`'s shims call.
//!
//! # Panics in a plugin
//!
//! Every shim runs the plugin's code inside [`call`], which catches a panic
//! and keeps its message for the host, which raises it again as its own
//! panic (`PluginCore::finish`). So that the panic is reported once, by the
//! host (whose panic hook then decides what is printed), the plugin's copy
//! of dynplug installs a panic hook in the plugin's std, once, at the first
//! instance it builds. For a panic on a stack that runs through one of the
//! plugin's shims (constructor, destructor, method), it records the panic's
//! location and prints nothing; any other panic (on a thread of the
//! plugin's own, say) it hands to the hook it replaced.
//!
//! The hook looks at the stack, rather than at a per-thread count the
//! shims would keep, so that a call costs nothing more: [`frames`] walks it
//! with the unwinder's `_Unwind_Backtrace` and compares the start of each
//! frame's function with the shims' addresses, which the tables of
//! functions list. Where that walk is not available the hook is not
//! installed, and a plugin panic prints from the plugin's std as well.
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
//! A panic while another one of the thread's, kept quiet, has not reached a
//! shim yet prints from the plugin's std: it is a panic during unwinding
//! (in a destructor), which aborts the process, and the host could not say
//! why. The same rule makes a panic the plugin catches itself, inside a
//! method, silent, and the next panic of the thread then print twice.

use std::any::Any;
use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once, PoisonError};

use crate::abi::{Abi, OwnedBuf};
use crate::call::{RetSlot, STATUS_CALLBACK_PANICKED};
use crate::callback::HostCallbackPanicked;

thread_local! {
    // A plain `Copy` value: no thread-local destructor is registered, which
    // would pin the plugin in memory (glibc) or crash after an unload. Only
    // the relay's first side (the host) uses it: the text of the last panic
    // a shim caught on this thread, in the host's allocation, and an
    // address in the code of the side that caught it.
    static LAST_PANIC: Cell<Option<(OwnedBuf<u8>, usize)>> = const { Cell::new(None) };
    /// The location (`file:line:col`, or empty) of the last panic the hook
    /// kept quiet about on this thread, until a shim catches it
    /// ([`keep_panic`]). Plain too.
    static PANIC_LOCATION: Cell<Option<OwnedBuf<u8>>> = const { Cell::new(None) };
}

/// The address of every shim of the plugin whose instances were built:
/// the entries of their tables of functions.
static SHIMS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// Runs `body` and catches a panic, which must not unwind into the host
/// (it has its own copy of std): the message is kept for the host to take.
/// Inlined, so that the frame that catches is the shim's own, which the
/// panic hook looks for.
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

/// Installs, once, the plugin's panic hook, and adds the shims of `table`
/// to those it looks for (see the module's docs).
#[cold]
#[inline(never)]
fn install_panic_hook(table: &[*const c_void]) {
    if !frames::AVAILABLE {
        return;
    }
    {
        let mut shims = SHIMS.lock().unwrap_or_else(PoisonError::into_inner);
        let first = table.first().map_or(0, |f| *f as usize);
        if !shims.contains(&first) {
            shims.extend(table.iter().filter(|f| !f.is_null()).map(|f| *f as usize));
        }
    }
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // `set_hook` panics on a panicking thread: the plugin's own std's
        // thread, so only if a destructor of the plugin builds an instance.
        if std::thread::panicking() {
            return;
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let shims = SHIMS.lock().unwrap_or_else(PoisonError::into_inner).clone();
            if !frames::on_stack(&shims) {
                return previous(info);
            }
            let text = info
                .location()
                .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()))
                .unwrap_or_default();
            if let Some(earlier) = PANIC_LOCATION.replace(Some(String::lower_ret(text))) {
                // SAFETY: `earlier` came from `lower_ret` and was never taken.
                drop(unsafe { String::lift_ret(earlier) });
                // An earlier panic no shim caught: this one is a panic
                // during its unwinding, or the earlier one was caught by
                // the plugin itself. Say it here.
                previous(info);
            }
        }));
    });
}

/// The object tables whose shims the panic hook knows already: checked
/// without a lock at each object's lowering; a table not among them (the
/// first object of its type, or any past the first 32 types) takes the
/// lock once more.
static OBJECT_TABLES: [AtomicUsize; 32] = [const { AtomicUsize::new(0) }; 32];

/// Lets the panic hook know the shims of an object table (`crate::object`:
/// length, destructor, panic function, methods), once per table, so that
/// a panic in an object's method is reported once, by the other side.
/// The first table registered (often the only one made in a loop) is
/// checked inline, the others out of line.
#[inline(always)]
pub(crate) fn register_object_table(table: &'static [*const c_void]) {
    if !cfg!(panic = "unwind") {
        return;
    }
    let key = table.as_ptr().addr();
    if OBJECT_TABLES[0].load(Ordering::Relaxed) != key {
        register_object_table_search(table, key);
    }
}

#[inline(never)]
fn register_object_table_search(table: &'static [*const c_void], key: usize) {
    if OBJECT_TABLES
        .iter()
        .any(|seen| seen.load(Ordering::Relaxed) == key)
    {
        return;
    }
    register_object_table_slow(table, key);
}

#[cold]
#[inline(never)]
fn register_object_table_slow(table: &'static [*const c_void], key: usize) {
    // The length is not code: the shims start at the destructor.
    install_panic_hook(&table[crate::object::DROP..]);
    for seen in &OBJECT_TABLES {
        if seen
            .compare_exchange(0, key, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
    }
}

/// Separates the location from the message in the text [`take_panic`]
/// hands over: `file:line:col`, a NUL byte, the message. The location is
/// empty when unknown (a payload raised with `resume_unwind`, no hook of
/// dynplug's in the plugin).
pub(crate) fn split_panic_text(text: &str) -> (&str, &str) {
    text.split_once('\0').unwrap_or(("", text))
}

#[cold]
#[inline(never)]
fn keep_panic(payload: Box<dyn Any + Send>) {
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
    // The address of this function: in the code of this side.
    let origin = keep_panic as *const () as usize;
    relay::put(String::lower_ret(message), origin);
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

/// The last panic a shim caught on this thread, on whichever side (empty,
/// origin 0, if none): its text (location and message, as
/// `split_panic_text` separates them), and an address in the code of the
/// side that caught it.
pub(crate) fn take_panic() -> (String, usize) {
    relay::take()
}

/// Where every side leaves the panics its shims catch, and where every
/// caller takes them from: the host's thread-local slot.
///
/// A caller that sees a call fail must find the other side's message. A
/// root call's loader knows its plugin, but an object's proxy would have to
/// keep `self` across every call for it (three instructions of each call:
/// docs/ARCHITECTURE.md §9). Instead each copy of dynplug hands the panics
/// its shims catch to its relay, which the side that loaded it joins it to
/// at load ([`join_relay`], the root table's `RELAY` entry) before any of
/// its code runs but initialisers; so every panic caught in the process
/// lands in the first host's slot, with an address inside the code of the
/// side that caught it, and the caller that takes it names that side's
/// library by the address (`object_call_panicked`).
///
/// Each side's relay is the [`Relay`] of its own copy: its functions
/// forward to the relay the side joined, if any, else keep the panic in the
/// side's own slot. A side joins once (the first host that loads it), and
/// never a relay that leads back to itself.
pub(crate) mod relay {
    use super::*;
    use std::sync::atomic::AtomicPtr;

    /// A side's relay, as other sides reach it: plain functions.
    #[repr(C)]
    pub struct Relay {
        /// Keeps a panic's text (allocated by the side calling) and the
        /// address of the code that caught it.
        put: extern "C" fn(OwnedBuf<u8>, usize),
        /// Hands over the last panic kept (its text, in this side's
        /// allocation, and its origin), and forgets it; empty and 0 if none.
        take: extern "C" fn(*mut usize) -> OwnedBuf<u8>,
        /// The relay this side forwards to: itself if it joined none.
        upstream: extern "C" fn() -> *const Relay,
    }

    #[cfg(test)]
    impl Relay {
        pub(crate) const fn for_tests(
            put: extern "C" fn(OwnedBuf<u8>, usize),
            take: extern "C" fn(*mut usize) -> OwnedBuf<u8>,
            upstream: extern "C" fn() -> *const Relay,
        ) -> Relay {
            Relay {
                put,
                take,
                upstream,
            }
        }
    }

    /// A put that must not be called (tests only).
    #[cfg(test)]
    pub(crate) extern "C" fn unreachable_put(_: OwnedBuf<u8>, _: usize) {
        panic!("a relay in the middle of the chain was called");
    }

    /// Joins none again (tests only: a join is for the process's life).
    #[cfg(test)]
    pub(crate) fn leave() {
        JOINED.store(&raw const OWN as *mut Relay, Ordering::Release);
    }

    /// This copy's relay.
    pub static OWN: Relay = Relay {
        put: own_put,
        take: own_take,
        upstream: own_upstream,
    };

    /// The relay this copy joined, or its own.
    static JOINED: AtomicPtr<Relay> = AtomicPtr::new(&raw const OWN as *mut Relay);

    fn joined() -> Option<&'static Relay> {
        let joined = JOINED.load(Ordering::Acquire);
        // SAFETY: `JOINED` is `OWN` or a relay a host joined this side to,
        // a static of a copy of dynplug that loaded this library and so
        // outlives it.
        (!std::ptr::eq(joined, &OWN)).then(|| unsafe { &*joined })
    }

    extern "C" fn own_put(text: OwnedBuf<u8>, origin: usize) {
        match joined() {
            Some(up) => (up.put)(text, origin),
            None => {
                // Copied into this side's allocation, so that what the slot
                // keeps never needs the code of the side that caught it
                // (which may be unloaded before the text is taken).
                // SAFETY: `text` is a `String` lowered by its side, handed
                // over once: `lift_ret` frees it with that side's function.
                let text = String::lower_ret(unsafe { String::lift_ret(text) });
                if let Some((old, _)) = LAST_PANIC.replace(Some((text, origin))) {
                    // SAFETY: lowered here and never taken.
                    drop(unsafe { String::lift_ret(old) });
                }
            }
        }
    }

    extern "C" fn own_take(origin: *mut usize) -> OwnedBuf<u8> {
        if let Some(up) = joined() {
            return (up.take)(origin);
        }
        let (text, at) = LAST_PANIC
            .take()
            .unwrap_or_else(|| (String::new().lower_ret(), 0));
        // SAFETY: the caller passes a valid place for one `usize`.
        unsafe { origin.write(at) };
        text
    }

    extern "C" fn own_upstream() -> *const Relay {
        JOINED.load(Ordering::Acquire)
    }

    /// Keeps a panic caught by this side's code at `origin`.
    pub(super) fn put(text: OwnedBuf<u8>, origin: usize) {
        own_put(text, origin);
    }

    /// Takes the last panic kept on this thread, wherever it was caught.
    pub(super) fn take() -> (String, usize) {
        let mut origin = 0;
        let text = own_take(&mut origin);
        // SAFETY: a `String` lowered by the side whose `take` ran, once.
        (unsafe { String::lift_ret(text) }, origin)
    }

    /// Joins this side to the relay `relay` leads to (that of the first
    /// host, normally the program itself: a plugin that loaded this library
    /// and may be unloaded before it is then not in the way), unless this
    /// side joined one already or `relay` leads back to it. At most this
    /// many relays are followed to find out.
    ///
    /// # Safety
    ///
    /// `relay` must be null or a relay of a copy of dynplug, which, with the
    /// relays it leads to, stays loaded as long as this library does.
    ///
    /// Returns the relay that now keeps this side's panics (the end of its
    /// own chain), so that a loader whose relay ends elsewhere can join that
    /// end too (two hosts in one process: libraries that each use dynplug).
    pub unsafe extern "C" fn join_relay(relay: *const Relay) -> *const Relay {
        // SAFETY: the caller's promise: `relay` and what it leads to stay
        // loaded.
        if let Some(end) = unsafe { end_of(relay) } {
            let _ = JOINED.compare_exchange(
                &raw const OWN as *mut Relay,
                end as *mut Relay,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
        end()
    }

    /// The end of the chain from `relay` (the relay that keeps what reaches
    /// `relay`): `None` if `relay` is null, leads back to this side, or
    /// goes on for more than a few dozen relays.
    ///
    /// # Safety
    ///
    /// `relay` must be null or a loaded relay whose chain stays loaded.
    unsafe fn end_of(relay: *const Relay) -> Option<*const Relay> {
        const FOLLOWED: usize = 64;
        let mut at = relay;
        for _ in 0..FOLLOWED {
            if at.is_null() || std::ptr::eq(at, &OWN) {
                return None;
            }
            // SAFETY: the caller's promise: `at` is `relay` or a relay it
            // leads to, loaded.
            let up = (unsafe { &*at }.upstream)();
            if std::ptr::eq(up, at) {
                return Some(at);
            }
            at = up;
        }
        None
    }

    /// The relay that keeps this side's panics: the end of its chain.
    pub(crate) fn end() -> *const Relay {
        match joined() {
            // SAFETY: a relay this side joined is pinned (`offer`), and so
            // is every relay it leads to.
            Some(up) => unsafe { end_of(up) }.unwrap_or(&OWN),
            None => &OWN,
        }
    }

    /// This side's relay, for a library it loads to join; if this side is
    /// the end of its chain, its library is pinned first (once): the
    /// relays of the libraries that join it will point into it for as long
    /// as they are loaded, which may be longer than whoever loaded this
    /// library keeps it (a host library that uses dynplug, closed by its
    /// program).
    pub(crate) fn offer() -> *const Relay {
        static PINNED: std::sync::Once = std::sync::Once::new();
        if std::ptr::eq(end(), &OWN) {
            PINNED.call_once(|| crate::os::pin_module_of(&raw const OWN as usize));
        }
        &OWN
    }
}

pub use relay::{Relay, join_relay};

/// Builds an instance with `ctor`, boxed, panics caught. `unwinds` is
/// `cfg!(panic = "unwind")` in the plugin's crate: only then is the panic
/// hook installed that leaves the report of a panic to the host; `table` is
/// the plugin's table of functions, whose shims the hook looks for.
/// Inlined into the constructor's shim, like [`call`].
#[inline(always)]
pub fn new_instance<T>(
    ctor: fn() -> T,
    unwinds: bool,
    table: &'static [*const c_void],
) -> RetSlot<*mut c_void> {
    if unwinds {
        install_panic_hook(table);
    }
    call(|| Box::into_raw(Box::new(ctor())).cast::<c_void>())
}

/// Drops an instance built by [`new_instance`], panics caught.
///
/// # Safety
///
/// `instance` must come from `new_instance::<T>` and be dropped once.
#[inline(always)]
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

/// Whether the current stack runs through one of the given functions.
mod frames {
    #[cfg(all(any(unix, all(windows, target_env = "gnu")), not(target_arch = "arm")))]
    pub(super) use unwinder::on_stack;

    /// Whether [`on_stack`] can tell.
    pub(super) const AVAILABLE: bool = cfg!(all(
        any(unix, all(windows, target_env = "gnu")),
        not(target_arch = "arm")
    ));

    #[cfg(not(all(any(unix, all(windows, target_env = "gnu")), not(target_arch = "arm"))))]
    pub(super) fn on_stack(_functions: &[usize]) -> bool {
        false
    }

    /// The unwinder's own interface (libgcc_s, or LLVM's libunwind; on
    /// Windows GNU targets libgcc's, over the system's unwind tables),
    /// which std links for unwinding: walks the frames from the caller
    /// outwards.
    /// (32-bit ARM's unwinder has another interface: not available there.)
    #[cfg(all(any(unix, all(windows, target_env = "gnu")), not(target_arch = "arm")))]
    mod unwinder {
        use std::ffi::{c_int, c_void};

        /// `_Unwind_Context`, opaque.
        #[repr(C)]
        struct Context {
            _private: [u8; 0],
        }

        const URC_NO_REASON: c_int = 0;
        const URC_END_OF_STACK: c_int = 5;

        type Trace = extern "C" fn(*mut Context, *mut c_void) -> c_int;

        unsafe extern "C" {
            fn _Unwind_Backtrace(trace: Trace, arg: *mut c_void) -> c_int;
            fn _Unwind_GetIP(context: *mut Context) -> usize;
            fn _Unwind_FindEnclosingFunction(pc: *mut c_void) -> *mut c_void;
        }

        struct Search<'a> {
            functions: &'a [usize],
            found: bool,
        }

        extern "C" fn each_frame(context: *mut Context, arg: *mut c_void) -> c_int {
            // SAFETY: `arg` is the `Search` that `on_stack` lends for the walk.
            let search = unsafe { &mut *arg.cast::<Search>() };
            // SAFETY: the unwinder passes the context of the current frame.
            let ip = unsafe { _Unwind_GetIP(context) };
            if ip == 0 {
                return URC_END_OF_STACK;
            }
            // A return address may be the first byte after its function:
            // look up the call instruction's last byte instead.
            let pc = (ip - 1) as *mut c_void;
            // SAFETY: a lookup in the unwinder's tables; any address is fine.
            let start = unsafe { _Unwind_FindEnclosingFunction(pc) } as usize;
            if start != 0 && search.functions.contains(&start) {
                search.found = true;
                return URC_END_OF_STACK;
            }
            URC_NO_REASON
        }

        /// Whether a frame of the current stack is in a function that starts
        /// at one of `functions`.
        pub(in super::super) fn on_stack(functions: &[usize]) -> bool {
            if functions.is_empty() {
                return false;
            }
            let mut search = Search {
                functions,
                found: false,
            };
            // SAFETY: `each_frame` matches the callback type and uses `arg`
            // as the `Search` it is, which outlives the walk.
            unsafe { _Unwind_Backtrace(each_frame, (&raw mut search).cast::<c_void>()) };
            search.found
        }
    }
}

#[cfg(test)]
mod tests {
    use super::relay::{OWN, Relay, join_relay};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static PUTS: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn counting_put(text: super::OwnedBuf<u8>, _: usize) {
        PUTS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: a `String` lowered by this copy, handed over once.
        drop(unsafe { <String as super::Abi>::lift_ret(text) });
    }

    extern "C" fn empty_take(origin: *mut usize) -> super::OwnedBuf<u8> {
        // SAFETY: the caller passes a valid place.
        unsafe { origin.write(0) };
        super::Abi::lower_ret(String::new())
    }

    /// A relay that forwards to this copy's own: joining it would make a
    /// loop (a panic would go round for ever).
    extern "C" fn back_to_own() -> *const Relay {
        &OWN
    }

    static LOOPING: Relay = Relay::for_tests(counting_put, empty_take, back_to_own);

    /// The first host's relay: the end of the chain.
    extern "C" fn root_itself() -> *const Relay {
        &ROOT
    }
    static ROOT: Relay = Relay::for_tests(counting_put, empty_take, root_itself);

    /// A plugin that loaded this side, joined to `ROOT`.
    extern "C" fn to_root() -> *const Relay {
        &ROOT
    }
    static MIDDLE: Relay = Relay::for_tests(super::relay::unreachable_put, empty_take, to_root);

    // One test: joining is for the process's life.
    #[test]
    fn a_relay_that_leads_back_is_not_joined_and_a_join_takes_the_first_host() {
        // SAFETY (of each join below): the relays are statics of this test.
        unsafe {
            assert_eq!(join_relay(&LOOPING), &raw const OWN);
            assert_eq!(join_relay(&OWN), &raw const OWN);
            assert_eq!(join_relay(std::ptr::null()), &raw const OWN);
        }
        super::relay::put(super::Abi::lower_ret("text".to_owned()), 42);
        assert_eq!(
            PUTS.load(Ordering::Relaxed),
            0,
            "the panic went to a relay not joined"
        );
        assert_eq!(super::take_panic(), ("text".to_owned(), 42));
        assert_eq!(super::take_panic(), (String::new(), 0), "taken once");

        // Offered the relay of a plugin that loaded this side, this side
        // joins the first host's, so that that plugin may be unloaded first,
        // and says so.
        // SAFETY: as above.
        assert_eq!(unsafe { join_relay(&MIDDLE) }, &raw const ROOT);
        assert_eq!(super::relay::end(), &raw const ROOT);
        super::relay::put(super::Abi::lower_ret("to the root".to_owned()), 7);
        assert_eq!(PUTS.load(Ordering::Relaxed), 1);
        // A second join changes nothing.
        // SAFETY: as above.
        assert_eq!(unsafe { join_relay(&LOOPING) }, &raw const ROOT);
        super::relay::put(super::Abi::lower_ret("again".to_owned()), 7);
        assert_eq!(PUTS.load(Ordering::Relaxed), 2);
        super::relay::leave();
        assert_eq!(super::relay::end(), &raw const OWN);
    }
}
