// A trait named `Send` is not `core::marker::Send`: the loader must not
// become `Send` because of it.
pub trait Send {}
impl<T: ?Sized> Send for T {}

#[dynplug::plugin_interface]
pub trait Api: Send {
    fn get(&self) -> u32;
}

fn main() {}
