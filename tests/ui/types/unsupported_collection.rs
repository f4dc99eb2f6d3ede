#[dynplug::plugin_interface]
pub trait Api {
    fn count(&self, m: std::collections::VecDeque<u32>) -> u32;
}

fn main() {}
