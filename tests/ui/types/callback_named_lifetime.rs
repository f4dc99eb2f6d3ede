// Callback lifetimes must be elided (higher-ranked), so the host cannot keep
// what the plugin lends it.
#[dynplug::plugin_interface]
pub trait Api {
    fn each(&self, f: &dyn Fn(&'static str));
}

fn main() {}
