// The shims follow the trait's signature (they are generated with the
// interface, for any implementing type), so an impl that takes a narrower
// callback than the trait (`&'static str` where the trait lends `&str`) is
// fine: the compiler accepts it as an implementation of the trait, and the
// shim lends the host's callback as the trait says; the impl can only call
// it with what its own signature allows.
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
