#[dynplug::plugin_interface]
pub trait Files {
    fn open(&self, path: &std::path::Path) -> bool;
}

fn main() {}
