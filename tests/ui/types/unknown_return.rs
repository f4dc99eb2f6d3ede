// A return type without `#[derive(dynplug::PluginType)]`, nested: one
// error, on the type.
pub struct Point {
    pub x: i32,
}

#[dynplug::plugin_interface]
pub trait Api {
    fn get(&self) -> Option<Point>;
}

fn main() {}
