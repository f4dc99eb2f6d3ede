#[dynplug::plugin_interface]
pub trait Api {
    fn lookup(&self, f: &dyn Fn(u32) -> &'static str) -> String;
}

fn main() {}
