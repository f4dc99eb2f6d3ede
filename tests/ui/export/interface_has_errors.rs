// The interface is refused; the export of it should not add errors of its own.
#[dynplug::plugin_interface]
pub trait Api: std::fmt::Debug {
    fn get(&self) -> u32;
}

#[derive(Default, Debug)]
pub struct Foo;

#[dynplug::plugin_export]
impl Api for Foo {
    fn get(&self) -> u32 {
        1
    }
}

fn main() {}
