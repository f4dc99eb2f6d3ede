// A callback's argument without `#[derive(dynplug::PluginType)]`.
pub struct Point {
    pub x: i32,
}

#[dynplug::plugin_interface]
pub trait Api {
    fn each(&self, f: &dyn Fn(u32, Point));
}

fn main() {}
