#[dynplug::plugin_interface]
pub trait Api {
    fn make(x: u32) -> u32;
}

fn main() {}
