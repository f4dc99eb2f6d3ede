use std::ffi::c_int;

#[dynplug::plugin_interface(c_library)]
pub trait Libc {
    fn puts(&self, s: String) -> c_int;
}

fn main() {}
