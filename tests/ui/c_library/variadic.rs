use std::ffi::{c_char, c_int};

#[dynplug::plugin_interface(c_library)]
pub trait Libc {
    fn printf(&self, fmt: *const c_char, args: ...) -> c_int;
}

fn main() {}
