//! Shields: how a thread keeps the version of a hot plugin it calls alive
//! without a lock or a reference count. See docs/ARCHITECTURE.md, "Hot
//! reload".
//!
//! Each thread that calls [`Hot::get`](super::Hot::get) takes a record of
//! [`SLOTS`] slots, kept in a process-wide list (records are never freed:
//! a thread that ends gives its record to the next thread that needs one).
//! A reader writes the address of the version it is about to use into one
//! of its slots, then reads the current version again: if it is the same,
//! the version is shielded. A reloader swaps the current version, then
//! scans every slot; a retired version found in none of them is dropped.
//!
//! The reader's write and its second read must not be reordered, nor the
//! reloader's swap and its scan. The reloader pays for both sides where the
//! system allows it: a process-wide barrier (`membarrier` on Linux,
//! `FlushProcessWriteBuffers` on Windows) makes every other thread pass a
//! full barrier, so a reader needs only to stop the compiler from
//! reordering. Elsewhere (macOS, kernels before 4.14, emulators that lack
//! the call) both sides use an ordinary sequentially consistent fence.

use std::cell::Cell;
use std::ptr;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering, compiler_fence, fence};

/// Slots per thread: how many versions (of one or several hot plugins) a
/// thread can hold through [`Hot::get`](super::Hot::get) at once before
/// the next handle is a counted reference instead.
pub(super) const SLOTS: usize = 4;

/// One thread's slots. On a cache line of its own pair, so that a thread's
/// writes to its slots never contend with another's.
#[repr(align(128))]
struct Record {
    slots: [AtomicPtr<()>; SLOTS],
    /// Whether a live thread owns the record.
    taken: AtomicBool,
    /// The next record of the list, set before the record is published and
    /// never changed.
    next: *const Record,
}

// SAFETY: `next` is written once, before the record is published (by a
// release compare-exchange of `RECORDS`), and only read after; it points
// at a record that is never freed. The other fields are atomics.
unsafe impl Sync for Record {}

/// The list of every thread's record, newest first.
static RECORDS: AtomicPtr<Record> = AtomicPtr::new(ptr::null_mut());

/// Not yet known whether the process-wide barrier exists: readers fence.
const UNKNOWN: u8 = 0;
/// No process-wide barrier: both sides fence.
const SYMMETRIC: u8 = 1;
/// The process-wide barrier exists and is set up: readers only stop the
/// compiler.
const ASYMMETRIC: u8 = 2;

static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

thread_local! {
    /// This thread's record, or null (none taken yet, or given back).
    static MINE: Cell<*const Record> = const { Cell::new(ptr::null()) };
    /// Gives this thread's record back when the thread ends.
    static GIVE_BACK: GiveBack = const { GiveBack };
}

/// Sets up the process-wide barrier, once per process: before any hot
/// plugin exists, so that every reader and reloader of one sees the mode.
pub(super) fn start() {
    static START: Once = Once::new();
    START.call_once(|| {
        let mode = match crate::os::start_process_barrier() {
            true => ASYMMETRIC,
            false => SYMMETRIC,
        };
        MODE.store(mode, Ordering::Release);
    });
}

/// The reader's side of the barrier, between writing a slot and reading
/// what it guards (and between clearing a slot and reading whether a
/// reloader waits).
#[inline]
pub(super) fn light() {
    match MODE.load(Ordering::Relaxed) {
        // The reloader's process-wide barrier orders this thread's
        // accesses; only the compiler must keep them in order.
        ASYMMETRIC => compiler_fence(Ordering::SeqCst),
        _ => fence(Ordering::SeqCst),
    }
}

/// The reloader's side, between retiring a version and scanning the slots.
pub(super) fn heavy() {
    match MODE.load(Ordering::Acquire) {
        ASYMMETRIC => crate::os::process_barrier(),
        _ => fence(Ordering::SeqCst),
    }
}

/// A free slot of this thread's, to write what it is about to read into;
/// `None` when all are in use, or when the thread is ending (its record
/// given back).
#[inline]
pub(super) fn free_slot() -> Option<&'static AtomicPtr<()>> {
    let record = MINE.with(Cell::get);
    if record.is_null() {
        return take_record();
    }
    // SAFETY: records are never freed, and this thread owns this one.
    let record: &'static Record = unsafe { &*record };
    // Only this thread writes its slots, so what it reads is what it wrote.
    record
        .slots
        .iter()
        .find(|slot| slot.load(Ordering::Relaxed).is_null())
}

/// Takes a record for this thread (a given-back one, or a new one) and
/// returns its first slot; `None` if the thread is ending.
#[cold]
fn take_record() -> Option<&'static AtomicPtr<()>> {
    // Registers the record's return at the thread's end; fails once the
    // thread-local values are being dropped (then no record is taken: it
    // could not be given back).
    GIVE_BACK.try_with(|_| ()).ok()?;
    let mut next = RECORDS.load(Ordering::Acquire);
    while !next.is_null() {
        // SAFETY: records are never freed; `next` was published with
        // release (and read with acquire).
        let record: &'static Record = unsafe { &*next };
        if record
            .taken
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            MINE.with(|mine| mine.set(record));
            return Some(&record.slots[0]);
        }
        next = record.next.cast_mut();
    }
    let record: &'static mut Record = Box::leak(Box::new(Record {
        slots: Default::default(),
        taken: AtomicBool::new(true),
        next: ptr::null(),
    }));
    let mut head = RECORDS.load(Ordering::Relaxed);
    loop {
        record.next = head;
        match RECORDS.compare_exchange_weak(head, record, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) => head = now,
        }
    }
    let record: &'static Record = record;
    MINE.with(|mine| mine.set(record));
    Some(&record.slots[0])
}

/// Gives the thread's record back when its thread-local values are dropped.
struct GiveBack;

impl Drop for GiveBack {
    fn drop(&mut self) {
        let Ok(record) = MINE.try_with(|mine| mine.replace(ptr::null())) else {
            return;
        };
        if record.is_null() {
            return;
        }
        // SAFETY: records are never freed.
        let record = unsafe { &*record };
        // A handle still alive (forgotten, or in a thread-local value not
        // yet dropped) keeps its slot: the record is then kept for ever
        // rather than handed to a thread that would write over the slot.
        if record
            .slots
            .iter()
            .all(|slot| slot.load(Ordering::Relaxed).is_null())
        {
            record.taken.store(false, Ordering::Release);
        }
    }
}

/// Every address written in a slot of any thread now. Call after
/// [`heavy`]: a reader whose write this misses reads, after it, what the
/// reloader wrote before.
pub(super) fn shielded() -> Vec<*mut ()> {
    let mut found = Vec::new();
    let mut next = RECORDS.load(Ordering::Acquire);
    while !next.is_null() {
        // SAFETY: records are never freed; published with release.
        let record: &'static Record = unsafe { &*next };
        for slot in &record.slots {
            // Acquire: a reader's uses of what it shielded happen before
            // its clearing write (release), so before what the reloader
            // does once it sees the slot clear.
            let held = slot.load(Ordering::Acquire);
            if !held.is_null() {
                found.push(held);
            }
        }
        next = record.next.cast_mut();
    }
    found
}

/// How many records exist (for tests: threads that ended hand theirs on).
#[cfg(test)]
fn records() -> usize {
    let mut count = 0;
    let mut next = RECORDS.load(Ordering::Acquire);
    while !next.is_null() {
        count += 1;
        // SAFETY: records are never freed.
        next = unsafe { (*next).next.cast_mut() };
    }
    count
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::{SLOTS, free_slot, records, shielded, start};

    #[test]
    fn a_thread_has_its_own_slots_and_hands_them_on_when_it_ends() {
        start();
        let value = Box::into_raw(Box::new(7u64)).cast::<()>();
        let mut taken = Vec::new();
        for _ in 0..SLOTS {
            let slot = free_slot().expect("a free slot");
            slot.store(value, Ordering::Relaxed);
            taken.push(slot);
        }
        assert!(free_slot().is_none(), "more slots than {SLOTS}");
        assert_eq!(
            shielded().iter().filter(|&&held| held == value).count(),
            SLOTS
        );
        for slot in taken {
            slot.store(std::ptr::null_mut(), Ordering::Release);
        }
        assert!(!shielded().contains(&value));
        // Threads one after the other reuse one record.
        std::thread::spawn(|| free_slot().is_some()).join().unwrap();
        let after_one = records();
        for _ in 0..20 {
            assert!(std::thread::spawn(|| free_slot().is_some()).join().unwrap());
        }
        assert!(records() <= after_one + 1, "records were not handed on");
        // SAFETY: made by `Box::into_raw` above, no longer in any slot.
        drop(unsafe { Box::from_raw(value.cast::<u64>()) });
    }
}
