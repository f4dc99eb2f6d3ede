//! The process-wide memory barrier of hot reload's shields
//! (docs/ARCHITECTURE.md §10): when [`process_barrier`] returns, every
//! thread of the process has passed a point where its memory accesses are in
//! program order.
//!
//! Linux has `membarrier(2)`: its private expedited command (4.14) sends an
//! interrupt to the CPUs running the process's threads, in microseconds; its
//! global command (4.3) waits for every CPU to pass a scheduling point, in
//! milliseconds. On x86 a change of a page's protection does the same as the
//! expedited command, because the kernel flushes the other CPUs' TLBs with
//! interrupts (.NET's runtime relies on it); on ARM it does not (the flush is
//! broadcast by the hardware). So x86 Linux always has a barrier, and its
//! readers never fence ([`ALWAYS_BARRIER`]); elsewhere the shields ask
//! [`start_process_barrier`] at run time. Other Unixes (macOS) have none.

#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether every system of this target has the barrier, so that readers
/// need no run-time check.
pub(crate) const ALWAYS_BARRIER: bool = cfg!(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "x86")
));

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
    let expedited = has(command::PRIVATE_EXPEDITED)
        && has(command::REGISTER_PRIVATE_EXPEDITED)
        && membarrier(command::REGISTER_PRIVATE_EXPEDITED) == 0;
    EXPEDITED.store(
        expedited && !forced("global") && !forced("pages"),
        Ordering::Release,
    );
    GLOBAL.store(has(command::GLOBAL), Ordering::Release);
    ALWAYS_BARRIER || expedited || has(command::GLOBAL)
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
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    if !forced("global") && page_barrier() {
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

/// The barrier by a page's protection (x86): a page of our own, written,
/// then made inaccessible, which makes the kernel interrupt every CPU that
/// may hold its translation, each running one of our threads or none.
/// Whether it worked.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "x86")))]
fn page_barrier() -> bool {
    use std::sync::Mutex;
    /// The page's address (0: none yet); held while the page is used.
    static PAGE: Mutex<usize> = Mutex::new(0);
    let mut page = PAGE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: `sysconf` has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    if *page == 0 {
        // SAFETY: a new private anonymous mapping, which nothing else uses;
        // kept for the life of the process.
        let mapped = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if mapped == libc::MAP_FAILED {
            return false;
        }
        *page = mapped as usize;
    }
    let address = *page as *mut libc::c_void;
    // SAFETY: the page is ours (mapped above), and only used under the
    // lock. Written between the two changes, so that its translation is
    // present and dirty and the second change must be flushed everywhere.
    unsafe {
        if libc::mprotect(address, size, libc::PROT_READ | libc::PROT_WRITE) != 0 {
            return false;
        }
        std::ptr::write_volatile(address.cast::<u64>(), 1);
        libc::mprotect(address, size, libc::PROT_NONE) == 0
    }
}

/// In this crate's tests, `DYNPLUG_SHIELD_BARRIER` names the barrier to use
/// instead of the expedited command: `pages` or `global`.
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
        assert!(super::start_process_barrier() || !super::ALWAYS_BARRIER);
        super::process_barrier();
        #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
        for _ in 0..3 {
            assert!(super::page_barrier());
        }
        if super::GLOBAL.load(std::sync::atomic::Ordering::Acquire) {
            assert_eq!(super::membarrier(super::command::GLOBAL), 0);
        }
    }
}
