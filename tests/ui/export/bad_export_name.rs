// An export's name becomes part of the library's symbols: a `.` (the
// separator between interface and export) or a space is refused.
#[dynplug::plugin_interface]
pub trait Api {
    fn get(&self) -> u32;
}

#[derive(Default)]
pub struct Foo;

#[dynplug::plugin_export(name = "fast.v2")]
impl Api for Foo {
    fn get(&self) -> u32 {
        1
    }
}

fn main() {}
