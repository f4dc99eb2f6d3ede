#[dynplug::plugin_interface]
pub trait Api: std::fmt::Debug {
    fn get(&self) -> u32;
}

fn main() {}
