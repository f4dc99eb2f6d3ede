// A callback's result is handed to the plugin after the call: it owns its
// data, however its type is spelled.
pub type Leak = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn lookup(&self, f: &dyn Fn(u32) -> Leak) -> String;
}

fn main() {}
