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
//! [`Shielded`] is a value so swapped, [`Guard`] a reader's hold on it.
//!
//! The reader's write and its second read must not be reordered, nor the
//! reloader's swap and its scan. The reloader pays for both sides where the
//! system allows it: a process-wide barrier (`membarrier` on Linux,
//! `FlushProcessWriteBuffers` on Windows) makes every other thread pass a
//! full barrier, so a reader needs only to stop the compiler from
//! reordering. Elsewhere (macOS, kernels before 4.14, emulators that lack
//! the call) both sides use an ordinary sequentially consistent fence.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering, compiler_fence, fence,
};
use std::sync::{Arc, Mutex, Once};

use super::lock;

/// Slots per thread: how many versions (of one or several hot plugins) a
/// thread can hold through [`Hot::get`](super::Hot::get) at once before
/// the next handle is a counted reference instead.
const SLOTS: usize = 4;

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

/// A value that readers [`get`](Shielded::get) without a lock or a count,
/// and that [`swap`](Shielded::swap) replaces; a value swapped out is
/// dropped once no reader holds it (by the swap, or by the last reader's
/// guard).
pub(super) struct Shielded<T> {
    /// The value: an `Arc::into_raw` whose count the field owns.
    current: AtomicPtr<T>,
    /// Values swapped out, each dropped once no slot shields it. Also held
    /// to take a count of `current` ([`Shielded::counted`]). Held only
    /// briefly: a collector takes the values out, scans, and puts back
    /// those still shielded.
    retired: Mutex<Vec<Arc<T>>>,
    /// Whether `retired` holds a value: a guard on a value no longer
    /// current that lets go of its slot then looks for values to drop.
    waiting: AtomicBool,
    /// Taken by the one thread collecting ([`Shielded::collect`]).
    collecting: AtomicBool,
    /// Asks to look at `retired` again, made by whoever found `collecting`
    /// taken: the collector looks again when it sees it moved.
    looks: AtomicUsize,
    /// Owns values (through `current`), for the auto traits.
    _owns: PhantomData<Arc<T>>,
}

/// A reader's hold on the value of a [`Shielded`] that was current when it
/// was taken; derefs to it. Stays on its thread (it may own one of the
/// thread's slots), so it is neither `Send` nor `Sync`.
pub(super) struct Guard<'a, T> {
    value: NonNull<T>,
    /// The slot that shields the value, or `None`: the guard owns a counted
    /// reference (`Arc::into_raw`).
    slot: Option<&'static AtomicPtr<()>>,
    from: &'a Shielded<T>,
    /// Whether the reloader's barrier stands for this thread's fences (the
    /// mode, read once when the guard was made).
    barrier: bool,
    /// Bound to its thread's slot: neither `Send` nor `Sync`, whatever the
    /// other fields are.
    _thread: PhantomData<*const ()>,
}

impl<T> Shielded<T> {
    pub(super) fn new(value: T) -> Self {
        start();
        Shielded {
            current: AtomicPtr::new(Arc::into_raw(Arc::new(value)).cast_mut()),
            retired: Mutex::new(Vec::new()),
            waiting: AtomicBool::new(false),
            collecting: AtomicBool::new(false),
            looks: AtomicUsize::new(0),
            _owns: PhantomData,
        }
    }

    /// The current value, held by one of this thread's slots (a counted
    /// reference when they are all in use).
    #[inline]
    pub(super) fn get(&self) -> Guard<'_, T> {
        let Some(slot) = free_slot() else {
            let counted = Arc::into_raw(self.counted()).cast_mut();
            return Guard {
                // SAFETY: an `Arc`'s pointer is never null.
                value: unsafe { NonNull::new_unchecked(counted) },
                slot: None,
                from: self,
                barrier: false,
                _thread: PhantomData,
            };
        };
        let barrier = barrier();
        let value = loop {
            let seen = self.current.load(Ordering::Relaxed);
            // Release: a collector that reads this address synchronises
            // with it, so this thread's uses of what the slot held before
            // (cleared with release, then overwritten by this plain store
            // under the memory model) happen before that value is dropped.
            slot.store(seen.cast(), Ordering::Release);
            light(barrier);
            #[cfg(test)]
            tests::after_slot_write();
            // Still current after the slot was written: a swap that retires
            // it from now on finds it in the slot.
            let now = self.current.load(Ordering::Relaxed);
            if now == seen {
                // Acquire: the value as the swap that published it wrote it.
                fence(Ordering::Acquire);
                break now;
            }
            self.moved_on(slot, barrier);
        };
        Guard {
            // SAFETY: `current` always holds an `Arc::into_raw`, never null.
            value: unsafe { NonNull::new_unchecked(value) },
            slot: Some(slot),
            from: self,
            barrier,
            _thread: PhantomData,
        }
    }

    /// A reader that wrote a value in `slot` and found another current lets
    /// go of the first: a swap between the write and the second read may
    /// have found the slot holding the value it retired and kept that value
    /// for this thread, which no guard of it will collect. So it is let go
    /// as a guard's drop lets go.
    #[cold]
    #[inline(never)]
    fn moved_on(&self, slot: &AtomicPtr<()>, barrier: bool) {
        slot.store(ptr::null_mut(), Ordering::Release);
        light(barrier);
        if self.waiting.load(Ordering::Relaxed) {
            self.collect();
        }
    }

    /// A counted reference to the current value.
    pub(super) fn counted(&self) -> Arc<T> {
        // Holding `retired` keeps the value `current` holds alive: if a swap
        // took it out, its `Arc` is the swap's until the swap pushes it
        // here, which waits for this lock (only values pushed before are
        // ever dropped).
        let _no_drops = lock(&self.retired);
        let current = self.current.load(Ordering::Acquire);
        // SAFETY: `current` came from `Arc::into_raw` and is alive (above).
        unsafe {
            Arc::increment_strong_count(current);
            Arc::from_raw(current)
        }
    }

    /// Whether `value` is the current value. (A held `Arc` cannot be
    /// dropped, so its address is no other value's.)
    #[inline]
    pub(super) fn holds(&self, value: &Arc<T>) -> bool {
        ptr::eq(self.current.load(Ordering::Acquire), Arc::as_ptr(value))
    }

    /// Makes `new` the current value and retires the one it replaces.
    pub(super) fn swap(&self, new: T) {
        let new = Arc::into_raw(Arc::new(new)).cast_mut();
        let old = self.current.swap(new, Ordering::AcqRel);
        // SAFETY: the count `current` owned, now this function's.
        let old = unsafe { Arc::from_raw(old) };
        let mut retired = lock(&self.retired);
        retired.push(old);
        self.waiting.store(true, Ordering::SeqCst);
        drop(retired);
        self.collect();
    }

    /// Drops the retired values no slot shields. If another thread is doing
    /// so, asks it to look again instead.
    fn collect(&self) {
        self.looks.fetch_add(1, Ordering::SeqCst);
        let mut unused = Vec::new();
        loop {
            // Only collectors take this: one that finds it taken leaves,
            // and the collector sees `looks` moved once it gives it back.
            if self
                .collecting
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
            {
                break;
            }
            let asked = self.looks.load(Ordering::SeqCst);
            // Only values retired before the barrier: one retired after the
            // scan may be in slots written after it.
            let candidates = std::mem::take(&mut *lock(&self.retired));
            // After the barrier, a reader whose slot write the scan misses
            // reads the new `current` (and retries), and one whose clearing
            // the scan misses sees `waiting` (and looks itself).
            heavy();
            let shielded = shielded();
            let (kept, gone): (Vec<_>, Vec<_>) = candidates
                .into_iter()
                .partition(|value| shielded.contains(&Arc::as_ptr(value).cast_mut().cast()));
            unused.extend(gone);
            {
                let mut retired = lock(&self.retired);
                retired.extend(kept);
                if retired.is_empty() {
                    self.waiting.store(false, Ordering::SeqCst);
                }
            }
            self.collecting.store(false, Ordering::SeqCst);
            if self.looks.load(Ordering::SeqCst) == asked {
                break;
            }
        }
        // Last, outside every lock: a value's drop may read or swap again,
        // and if it panics no look asked for is lost.
        drop(unused);
    }
}

impl<T> Drop for Shielded<T> {
    fn drop(&mut self) {
        // SAFETY: the field owns one count of this `Arc::into_raw`. No guard
        // is left: each borrows `self`.
        drop(unsafe { Arc::from_raw(*self.current.get_mut()) });
    }
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the value is shielded by `slot` (no collect drops it
        // while the slot holds its address) or owned through a count.
        unsafe { self.value.as_ref() }
    }
}

impl<T> Drop for Guard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        match self.slot {
            Some(slot) => {
                // Release: every use of the value happens before a collect
                // that sees the slot clear drops it.
                slot.store(ptr::null_mut(), Ordering::Release);
                light(self.barrier);
                // Only a guard on a value swapped out can be what keeps a
                // retired value: the others leave the call path cheap while
                // an old value is held elsewhere.
                if self.from.waiting.load(Ordering::Relaxed)
                    && self.from.current.load(Ordering::Relaxed) != self.value.as_ptr()
                {
                    self.from.collect();
                }
            }
            // SAFETY: the count `counted` took for this guard.
            None => drop(unsafe { Arc::from_raw(self.value.as_ptr()) }),
        }
    }
}

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
fn start() {
    static START: Once = Once::new();
    START.call_once(|| {
        // Where the barrier always exists, readers do not look at the mode.
        let barrier =
            crate::os::start_process_barrier() && (crate::os::ALWAYS_BARRIER || !fences_forced());
        let mode = match barrier {
            true => ASYMMETRIC,
            false => SYMMETRIC,
        };
        MODE.store(mode, Ordering::Release);
    });
}

/// Tests run the readers' protocol with fences on both sides too (where the
/// barrier is not always there), in a child process that sets this
/// variable.
#[cfg(test)]
const FORCE_FENCES: &str = "DYNPLUG_SHIELD_FENCES";

#[cfg(test)]
fn fences_forced() -> bool {
    std::env::var_os(FORCE_FENCES).is_some()
}

#[cfg(not(test))]
fn fences_forced() -> bool {
    false
}

/// Whether the reloader's process-wide barrier stands for a reader's
/// fence: read once per guard.
#[inline]
fn barrier() -> bool {
    crate::os::ALWAYS_BARRIER || MODE.load(Ordering::Relaxed) == ASYMMETRIC
}

/// The reader's side of the barrier, between writing a slot and reading
/// what it guards (and between clearing a slot and reading whether a
/// reloader waits); `barrier` from [`barrier`].
#[inline]
fn light(barrier: bool) {
    if barrier {
        // The reloader's barrier orders this thread's accesses; only the
        // compiler must keep them in order.
        compiler_fence(Ordering::SeqCst);
    } else {
        fence(Ordering::SeqCst);
    }
}

/// The reloader's side, between retiring a version and scanning the slots.
fn heavy() {
    if crate::os::ALWAYS_BARRIER || MODE.load(Ordering::Acquire) == ASYMMETRIC {
        crate::os::process_barrier();
    } else {
        fence(Ordering::SeqCst);
    }
}

/// A free slot of this thread's, to write what it is about to read into;
/// `None` when all are in use, or when the thread is ending (its record
/// given back). The first slot, free but for nested handles, is looked at
/// here; the rest out of line.
#[inline]
fn free_slot() -> Option<&'static AtomicPtr<()>> {
    let record = MINE.with(Cell::get);
    if !record.is_null() {
        // SAFETY: records are never freed, and this thread owns this one.
        let first: &'static AtomicPtr<()> = unsafe { &(*record).slots[0] };
        // Only this thread writes its slots, so what it reads is what it
        // wrote.
        if first.load(Ordering::Relaxed).is_null() {
            return Some(first);
        }
    }
    other_slot(record)
}

/// A free slot other than the first of `record` (this thread's, or null:
/// none taken yet).
#[cold]
#[inline(never)]
fn other_slot(record: *const Record) -> Option<&'static AtomicPtr<()>> {
    if record.is_null() {
        return take_record();
    }
    // SAFETY: as in `free_slot`.
    let record: &'static Record = unsafe { &*record };
    record.slots[1..]
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
fn shielded() -> Vec<*mut ()> {
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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

    use super::{FORCE_FENCES, MODE, SLOTS, Shielded, free_slot, records, shielded, start};

    thread_local! {
        /// Run once, on this thread, between a guard's slot write and its
        /// second read of the current value.
        static AFTER_SLOT_WRITE: std::cell::RefCell<Option<Box<dyn FnMut()>>> =
            const { std::cell::RefCell::new(None) };
    }

    pub(super) fn after_slot_write() {
        let hook = AFTER_SLOT_WRITE
            .try_with(|hook| hook.borrow_mut().take())
            .ok()
            .flatten();
        if let Some(mut hook) = hook {
            hook();
        }
    }

    /// A swap between a reader's slot write and its second read finds the
    /// slot holding the value it retires, and keeps it; the reader retries
    /// on the new value. The old value goes then, not at some later swap.
    /// (Found by review.)
    #[test]
    fn a_value_kept_for_a_retrying_reader_goes_when_the_reader_moves_on() {
        let _alone = alone();
        let shared = Shielded::new(tracked(0));
        let old = shared.get().state.clone();
        let (wrote, written) = std::sync::mpsc::channel();
        let (swapped, swap_done) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let shared = &shared;
            scope.spawn(move || {
                AFTER_SLOT_WRITE.with_borrow_mut(|hook| {
                    *hook = Some(Box::new(move || {
                        wrote.send(()).unwrap();
                        swap_done.recv().unwrap();
                    }));
                });
                let guard = shared.get();
                assert_eq!(guard.number, 1, "retried on the new value");
                drop(guard);
                for _ in 0..100 {
                    assert_eq!(shared.get().number, 1);
                }
            });
            written.recv().unwrap();
            shared.swap(tracked(1));
            assert_eq!(old.load(Ordering::SeqCst), LIVE, "kept: the slot held it");
            swapped.send(()).unwrap();
        });
        assert_eq!(
            old.load(Ordering::SeqCst),
            DROPPED,
            "value 0 outlived every reader"
        );
    }

    /// Where a container's seccomp profile refuses `membarrier`, swaps
    /// still work (both sides fence), in a child process so filtered.
    /// (Found by review: the process aborted at the first swap.)
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[test]
    fn a_swap_without_membarrier_does_not_abort() {
        const NAME: &str = "hot::shield::tests::a_swap_without_membarrier_does_not_abort";
        const FILTERED: &str = "DYNPLUG_SHIELD_NO_MEMBARRIER";
        if std::env::var_os(FILTERED).is_some() {
            // Every `membarrier` call fails with EPERM, as a profile makes it.
            let mut filter = [
                libc::sock_filter {
                    code: 0x20,
                    jt: 0,
                    jf: 0,
                    k: 0,
                },
                libc::sock_filter {
                    code: 0x15,
                    jt: 0,
                    jf: 1,
                    k: libc::SYS_membarrier as u32,
                },
                libc::sock_filter {
                    code: 0x06,
                    jt: 0,
                    jf: 0,
                    k: 0x0005_0000 | libc::EPERM as u32,
                },
                libc::sock_filter {
                    code: 0x06,
                    jt: 0,
                    jf: 0,
                    k: 0x7fff_0000,
                },
            ];
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_mut_ptr(),
            };
            // SAFETY: plain calls; the filter outlives the second, which
            // copies it.
            unsafe {
                assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
                assert_eq!(libc::prctl(libc::PR_SET_SECCOMP, 2, &raw const program), 0);
            }
            start();
            assert_eq!(MODE.load(Ordering::Acquire), super::SYMMETRIC);
            return readers_and_swaps(500);
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--test-threads=1"])
            .env(FILTERED, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{:?}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Held by each test that starts threads: one counts the records.
    static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn alone() -> std::sync::MutexGuard<'static, ()> {
        ALONE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    #[test]
    fn a_thread_has_its_own_slots_and_hands_them_on_when_it_ends() {
        let _alone = alone();
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

    const LIVE: u8 = 1;
    const DROPPED: u8 = 2;

    /// A value that says, in a state that outlives it, whether it was
    /// dropped.
    struct Tracked {
        number: u64,
        state: Arc<AtomicU8>,
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            assert_eq!(
                self.state.swap(DROPPED, Ordering::SeqCst),
                LIVE,
                "dropped twice"
            );
        }
    }

    /// Four readers (each holding up to six guards, so slots and counted
    /// references mix) while `swaps` values are swapped in: no reader sees
    /// a dropped value, numbers only grow, and every value but the last is
    /// dropped by the end.
    fn readers_and_swaps(swaps: u64) {
        let _alone = alone();
        let last = swaps as usize;
        let states: Vec<Arc<AtomicU8>> =
            (0..=last).map(|_| Arc::new(AtomicU8::new(LIVE))).collect();
        let tracked = |number: u64| Tracked {
            number,
            state: states[number as usize].clone(),
        };
        let shared = Shielded::new(tracked(0));
        let stop = AtomicBool::new(false);
        let reads = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for reader in 0..4u64 {
                let (shared, stop, reads) = (&shared, &stop, &reads);
                scope.spawn(move || {
                    let mut held = Vec::new();
                    let mut last = 0;
                    let mut round = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let guard = shared.get();
                        assert_eq!(guard.state.load(Ordering::SeqCst), LIVE, "read after drop");
                        assert!(guard.number >= last, "went back from {last}");
                        last = guard.number;
                        held.push(guard);
                        if held.len() > (round + reader) as usize % 7 {
                            // Let go of one from the middle, then check the rest.
                            held.remove(held.len() / 2);
                            for guard in &held {
                                assert_eq!(guard.state.load(Ordering::SeqCst), LIVE);
                            }
                        }
                        round += 1;
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            for number in 1..=swaps {
                shared.swap(tracked(number));
                // Reads between swaps, whatever the scheduler does.
                if number % 8 == 0 {
                    let before = reads.load(Ordering::Relaxed);
                    while reads.load(Ordering::Relaxed) < before + 8 {
                        std::thread::yield_now();
                    }
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
        assert!(reads.load(Ordering::Relaxed) > 0);
        let alive: Vec<_> = (0..=last)
            .filter(|&n| states[n].load(Ordering::SeqCst) == LIVE)
            .collect();
        assert_eq!(alive, [last], "values alive with no guard");
        drop(shared);
        assert_eq!(states[last].load(Ordering::SeqCst), DROPPED);
    }

    fn tracked(number: u64) -> Tracked {
        Tracked {
            number,
            state: Arc::new(AtomicU8::new(LIVE)),
        }
    }

    /// The last guard of a retired value goes while another thread holds
    /// `retired` (as taking a count does): the value still goes with it.
    /// (Found by review: the guard's collect gave up on the lock, and no one
    /// looked again.)
    #[test]
    fn a_retired_value_goes_with_its_last_guard_while_another_thread_counts() {
        let _alone = alone();
        let shared = Shielded::new(tracked(0));
        let guard = shared.get();
        let old = guard.state.clone();
        shared.swap(tracked(1));
        assert_eq!(old.load(Ordering::SeqCst), LIVE, "dropped while shielded");
        let (holding, held) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            let shared = &shared;
            scope.spawn(move || {
                let _counting = super::lock(&shared.retired);
                holding.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(50));
            });
            held.recv().unwrap();
            drop(guard);
        });
        assert_eq!(
            old.load(Ordering::SeqCst),
            DROPPED,
            "outlived its last guard"
        );
    }

    /// The same race with real counts taken on another thread, 5,000 times.
    #[test]
    fn retired_values_go_with_their_last_guard_while_counts_are_taken() {
        let _alone = alone();
        let shared = Shielded::new(tracked(0));
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    drop(shared.counted());
                }
            });
            for number in 1..=5000 {
                let guard = shared.get();
                shared.swap(tracked(number));
                let held = guard.state.clone();
                drop(guard);
                // The counting thread's own count may hold it a moment; the
                // retired list must not.
                while held.load(Ordering::SeqCst) == LIVE {
                    let retired = super::lock(&shared.retired);
                    assert!(
                        !retired.iter().any(|value| Arc::ptr_eq(&value.state, &held)),
                        "value {} retired with no guard",
                        number - 1
                    );
                    drop(retired);
                    std::thread::yield_now();
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
    }

    /// While a guard on an old value lives (a long call that started before
    /// a swap), guards on the current value are dropped without collecting.
    /// (Found by review: each drop collected, with a process-wide barrier.)
    #[test]
    fn guards_on_the_current_value_do_not_collect_while_an_old_one_is_held() {
        let _alone = alone();
        let shared = Shielded::new(tracked(0));
        let long_call = shared.get();
        shared.swap(tracked(1));
        assert!(shared.waiting.load(Ordering::SeqCst));
        let looks = shared.looks.load(Ordering::SeqCst);
        for _ in 0..1000 {
            assert_eq!(shared.get().number, 1);
        }
        assert_eq!(shared.looks.load(Ordering::SeqCst), looks, "collected");
        let old = long_call.state.clone();
        drop(long_call);
        assert_eq!(old.load(Ordering::SeqCst), DROPPED);
        assert!(!shared.waiting.load(Ordering::SeqCst));
    }

    #[test]
    fn readers_never_see_a_dropped_value_and_each_goes_with_its_last_guard() {
        readers_and_swaps(2000);
    }

    /// What the children of [`the_same_with_each_barrier`] set.
    const CHILD: &str = "DYNPLUG_SHIELD_CHILD";

    /// The same with each other barrier this system may use, each in a
    /// child process that forces it: fences on both sides (where the
    /// process-wide barrier is not always there), and on Linux the global
    /// `membarrier`.
    #[test]
    fn the_same_with_each_barrier() {
        const NAME: &str = "hot::shield::tests::the_same_with_each_barrier";
        if let Ok(kind) = std::env::var(CHILD) {
            start();
            if kind == "fences" {
                assert_eq!(MODE.load(Ordering::Acquire), super::SYMMETRIC);
            }
            // The global barrier takes milliseconds: fewer swaps.
            return readers_and_swaps(if kind == "global" { 100 } else { 2000 });
        }
        let mut kinds: Vec<(&str, &str)> = Vec::new();
        if !crate::os::ALWAYS_BARRIER {
            kinds.push(("fences", FORCE_FENCES));
        }
        if cfg!(target_os = "linux") {
            kinds.push(("global", "DYNPLUG_SHIELD_BARRIER"));
        }
        for (kind, variable) in kinds {
            let exe = std::env::current_exe().unwrap();
            // Through the emulator that runs this binary, if any.
            let runner = std::env::var("DYNPLUG_TEST_RUNNER").unwrap_or_default();
            let mut words = runner.split_whitespace();
            let mut child = match words.next() {
                Some(program) => {
                    let mut command = std::process::Command::new(program);
                    command.args(words).arg(exe);
                    command
                }
                None => std::process::Command::new(exe),
            };
            let out = child
                .args([NAME, "--exact", "--test-threads=1"])
                .env(CHILD, kind)
                .env(variable, kind)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "{kind}: {:?}\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
