#[dynplug::plugin_interface]
pub trait Api {
    fn name(&self) -> &'static str;
}

fn main() {}
