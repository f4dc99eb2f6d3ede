// The shim lends the instance for the call: a plugin cannot keep a
// `&'static` reference to itself, which would dangle once its loader drops
// the instance.
use std::sync::OnceLock;

#[dynplug::plugin_interface]
pub trait Api: Send + Sync {
    fn name(&self) -> &str;
}

#[derive(Default)]
pub struct Plugin {
    name: String,
}

static STASHED: OnceLock<&'static Plugin> = OnceLock::new();

#[dynplug::plugin_export]
impl Api for Plugin {
    fn name(&self) -> &str {
        let _ = STASHED.set(self);
        &self.name
    }
}

fn main() {}
