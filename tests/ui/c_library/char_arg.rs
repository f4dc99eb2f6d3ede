use std::ffi::c_int;

#[dynplug::plugin_interface(c_library)]
pub trait Libc {
    fn putchar(&self, c: char) -> c_int;
}

fn main() {}
