use std::ffi::{c_int, c_void};

#[dynplug::plugin_interface(c_library)]
pub trait Libc {
    /// # Safety
    ///
    /// `base` must hold `n` elements of `size` bytes.
    unsafe fn qsort(
        &self,
        base: *mut c_void,
        n: usize,
        size: usize,
        compare: fn(*const c_void, *const c_void) -> c_int,
    );
}

fn main() {}
