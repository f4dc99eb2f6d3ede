pub trait Plain {
    fn get(&self) -> u32;
}

#[derive(Default)]
pub struct Foo;

#[dynplug::plugin_export]
impl Plain for Foo {
    fn get(&self) -> u32 {
        1
    }
}

fn main() {}
