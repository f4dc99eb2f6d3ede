// An impl cannot take an argument for longer than the trait lends it: a
// plugin that would keep a host's `&str` is refused by the compiler.
use std::sync::Mutex;

#[dynplug::plugin_interface]
pub trait Api {
    fn take(&self, s: &str);
}

#[derive(Default)]
pub struct Plugin;

static KEPT: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

#[dynplug::plugin_export]
impl Api for Plugin {
    fn take(&self, s: &'static str) {
        KEPT.lock().unwrap().push(s);
    }
}

fn main() {}
