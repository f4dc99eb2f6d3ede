#[derive(Default)]
pub struct Foo;

#[dynplug::plugin_export]
impl Foo {
    pub fn get(&self) -> u32 {
        1
    }
}

fn main() {}
