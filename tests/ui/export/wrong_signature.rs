#[dynplug::plugin_interface]
pub trait Api {
    fn get(&self) -> u32;
}

#[derive(Default)]
pub struct Foo;

#[dynplug::plugin_export]
impl Api for Foo {
    fn get(&self) -> u64 {
        1
    }
}

fn main() {}
