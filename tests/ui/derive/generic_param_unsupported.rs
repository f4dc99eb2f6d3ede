// A generic plugin type used with a type that cannot cross: one error, on
// the use.
use dynplug::PluginType;

#[derive(PluginType)]
pub struct Wrapper<T> {
    pub value: T,
}

pub struct NotPlugin;

#[dynplug::plugin_interface]
pub trait Uses {
    fn wrap(&self, v: Wrapper<NotPlugin>);
}

fn main() {}
