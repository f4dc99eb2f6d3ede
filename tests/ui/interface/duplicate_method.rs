// A method declared twice: one error, on the second.
#[dynplug::plugin_interface]
pub trait Api {
    fn get(&self) -> u32;
    fn get(&self) -> u32;
}

fn main() {}
