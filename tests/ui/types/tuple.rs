// Tuples cross up to 12 elements.
#[dynplug::plugin_interface]
pub trait Api {
    fn wide(&self, t: (u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8));
}

fn main() {}
