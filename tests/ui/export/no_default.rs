#[dynplug::plugin_interface]
pub trait Api {
    fn get(&self) -> u32;
}

pub struct Foo {
    value: u32,
}

#[dynplug::plugin_export]
impl Api for Foo {
    fn get(&self) -> u32 {
        self.value
    }
}

fn main() {}
