//! The host has its own global allocator, which counts what this thread
//! holds. Every owned type goes back and forth with a plugin (which has an
//! allocator of its own that aborts on a foreign block) thousands of times:
//! nothing is freed by the wrong allocator, and the host's count comes back
//! to where it started.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dynplug_tests::fixture;
use rich_api::RichPlugin;

#[path = "support/exchange.rs"]
mod exchange;

struct Counting;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // During thread teardown the slot may be gone; such blocks are not ours.
    let _ = HELD.try_with(|held| held.set(held.get() + delta));
}

// SAFETY: every call is passed to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, passed on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: the caller's block, from `alloc` above.
        unsafe { System.dealloc(ptr, layout) };
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn held() -> isize {
    HELD.with(Cell::get)
}

#[test]
fn every_owned_type_is_freed_by_its_own_allocator_and_nothing_leaks() {
    let plugin = RichPlugin::load(fixture("rich-plugin")).unwrap();
    exchange::exchange_everything(&plugin, 3);
    let before = held();
    exchange::exchange_everything(&plugin, 2_000);
    assert_eq!(held(), before, "bytes the host holds after 2000 rounds");
}
