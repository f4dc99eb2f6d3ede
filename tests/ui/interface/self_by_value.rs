#[dynplug::plugin_interface]
pub trait Api {
    fn consume(self) -> u32;
}

fn main() {}
