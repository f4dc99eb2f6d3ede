//! The process-wide memory barrier of hot reload's shields
//! (docs/ARCHITECTURE.md §10): when [`process_barrier`] returns, every
//! thread of the process has passed a point where its memory accesses are in
//! program order.
//!
//! Linux has `membarrier(2)`: its private expedited command (4.14) sends an
//! interrupt to the CPUs running the process's threads, in microseconds; its
//! global command (4.3) waits for every CPU to pass a scheduling point, in
//! milliseconds. A container's seccomp profile may refuse both; so may an
//! emulator. Whether there is one is asked at run time
//! ([`start_process_barrier`]), and readers fence where there is none.
//! (Changing a page's protection, which .NET falls back on, is no barrier
//! where the TLB flush is broadcast by the hardware: ARM, recent AMD CPUs.)
//! Other Unixes (macOS) have none.

#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether every system of this target has the barrier, so that readers
/// need no run-time check: no Unix.
pub(crate) const ALWAYS_BARRIER: bool = false;

/// `membarrier(2)` commands (linux/membarrier.h).
#[cfg(target_os = "linux")]
mod command {
    pub(super) const QUERY: libc::c_int = 0;
    pub(super) const GLOBAL: libc::c_int = 1;
    pub(super) const PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    pub(super) const REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;
}

/// `membarrier(command)`; its result (negative: failed).
#[cfg(target_os = "linux")]
fn membarrier(command: libc::c_int) -> libc::c_long {
    // SAFETY: `membarrier` reads no memory of ours; an unknown command is
    // refused with EINVAL (and no such call, ENOSYS).
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            command,
            0 as libc::c_uint,
            0 as libc::c_int,
        )
    }
}

/// Whether the process registered for the expedited command.
#[cfg(target_os = "linux")]
static EXPEDITED: AtomicBool = AtomicBool::new(false);

/// Whether the global command works here.
#[cfg(target_os = "linux")]
static GLOBAL: AtomicBool = AtomicBool::new(false);

/// Readies the barrier, once, before any shield is used: whether this
/// system has one.
#[cfg(target_os = "linux")]
pub(crate) fn start_process_barrier() -> bool {
    let known = membarrier(command::QUERY);
    let has = |command: libc::c_int| known >= 0 && known & libc::c_long::from(command) != 0;
    // Registered, then tried once, so that a refusal is known before any
    // reader relies on it.
    let expedited = !forced("global")
        && has(command::PRIVATE_EXPEDITED)
        && has(command::REGISTER_PRIVATE_EXPEDITED)
        && membarrier(command::REGISTER_PRIVATE_EXPEDITED) == 0
        && membarrier(command::PRIVATE_EXPEDITED) == 0;
    EXPEDITED.store(expedited, Ordering::Release);
    // The global command only where the expedited one fails: it takes
    // milliseconds.
    let global = !expedited && has(command::GLOBAL) && membarrier(command::GLOBAL) == 0;
    GLOBAL.store(global, Ordering::Release);
    expedited || global
}

/// Readies the barrier: this system has none.
#[cfg(not(target_os = "linux"))]
pub(crate) fn start_process_barrier() -> bool {
    false
}

/// The barrier. Only where [`start_process_barrier`] said there is one.
#[cfg(target_os = "linux")]
pub(crate) fn process_barrier() {
    if EXPEDITED.load(Ordering::Acquire) && membarrier(command::PRIVATE_EXPEDITED) == 0 {
        return;
    }
    if GLOBAL.load(Ordering::Acquire) && membarrier(command::GLOBAL) == 0 {
        return;
    }
    // Readers rely on this barrier instead of their own fence: going on
    // without it could free what they read.
    eprintln!("dynplug: no process-wide memory barrier worked; aborting");
    std::process::abort();
}

/// No barrier here: never called ([`start_process_barrier`] said so).
#[cfg(not(target_os = "linux"))]
pub(crate) fn process_barrier() {
    std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
}

/// In this crate's tests, `DYNPLUG_SHIELD_BARRIER=global` makes the global
/// command the barrier instead of the expedited one.
#[cfg(all(test, target_os = "linux"))]
fn forced(kind: &str) -> bool {
    std::env::var("DYNPLUG_SHIELD_BARRIER").is_ok_and(|forced| forced == kind)
}

#[cfg(all(not(test), target_os = "linux"))]
fn forced(_: &str) -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// Each kind of barrier this system has runs and returns.
    #[test]
    fn each_barrier_runs() {
        if super::start_process_barrier() {
            super::process_barrier();
        }
        if super::GLOBAL.load(std::sync::atomic::Ordering::Acquire) {
            assert_eq!(super::membarrier(super::command::GLOBAL), 0);
        }
    }
}
