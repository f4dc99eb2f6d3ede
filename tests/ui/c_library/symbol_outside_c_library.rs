#[dynplug::plugin_interface]
pub trait Greeter {
    #[symbol = "greet_v2"]
    fn greet(&self, name: &str) -> String;
}

fn main() {}
