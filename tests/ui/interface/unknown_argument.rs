#[dynplug::plugin_interface(foo = 1)]
pub trait Api {
    fn get(&self) -> u32;
}

fn main() {}
