// A callback cannot take a callback: the host would get the plugin's
// closure, callable after the call.
#[dynplug::plugin_interface]
pub trait Api {
    fn visit(&self, cb: &dyn Fn(&dyn Fn(&str)));
}

fn main() {}
