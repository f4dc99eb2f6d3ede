// The loader's own `close` would hide the trait's.
#[dynplug::plugin_interface]
pub trait Api {
    fn close(&self) -> bool;
}

fn main() {}
