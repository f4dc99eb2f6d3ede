#[dynplug::plugin_interface]
pub trait Api {
    fn show(&self, x: impl std::fmt::Display) -> String;
}

fn main() {}
