// The shims follow the impl's signature, so an impl that takes a narrower
// callback than the trait (`&'static str` where the trait lends `&str`) is
// refused: the plugin passes what the trait says, for the call.
#[dynplug::plugin_interface]
pub trait Api {
    fn each(&self, visit: &dyn Fn(&str));
}

#[derive(Default)]
pub struct Plugin;

#[dynplug::plugin_export]
impl Api for Plugin {
    fn each(&self, visit: &dyn Fn(&'static str)) {
        visit("static");
    }
}

fn main() {}
