#[dynplug::plugin_interface]
pub trait Api {
    fn get<T>(&self, x: u32) -> u32;
}

fn main() {}
