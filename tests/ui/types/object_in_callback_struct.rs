// A callback's argument is lent to the host's closure: an object inside a
// `PluginType` struct cannot cross that way (its `Abi::lower_arg` panics);
// the macro must refuse it at compile time, as it refuses
// `&dyn Fn(Box<dyn Log>)`.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

#[derive(dynplug::PluginType)]
pub struct Wrapped {
    pub log: Box<dyn Log>,
}

#[dynplug::plugin_interface]
pub trait Api {
    fn each(&self, f: &dyn Fn(Wrapped));
}

fn main() {}
