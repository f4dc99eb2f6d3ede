// The plugin gets the host's callback for the call: it cannot keep it to
// call after the method returned.
use std::sync::Mutex;

#[dynplug::plugin_interface]
pub trait Api {
    fn visit(&self, visit: &dyn Fn(&str));
}

#[derive(Default)]
pub struct Plugin {
    kept: Mutex<Option<&'static dyn Fn(&str)>>,
}

#[dynplug::plugin_export]
impl Api for Plugin {
    fn visit(&self, visit: &dyn Fn(&str)) {
        *self.kept.lock().unwrap() = Some(visit);
    }
}

fn main() {}
