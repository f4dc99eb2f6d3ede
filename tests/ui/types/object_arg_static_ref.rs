// A lent object cannot be kept by the plugin: an argument that claims to
// live for `'static` (written out, or through an alias) is refused.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

pub type Forever = &'static dyn Log;

#[dynplug::plugin_interface]
pub trait Api {
    fn keep(&self, log: &'static dyn Log);
    fn keep_mut(&self, log: &'static mut dyn Log);
    fn keep_alias(&self, log: Forever);
}

fn main() {}
