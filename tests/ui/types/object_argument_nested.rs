// Inside another type, written out or behind an alias, an object argument
// is refused through `Abi::OBJECTS`: it would have to be moved out of a
// value the host only lends.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

pub type Logs = Vec<Box<dyn Log>>;

#[dynplug::plugin_interface]
pub trait Api {
    fn attach_all(&self, logs: Logs);
    fn maybe(&self, log: Option<Box<dyn Log>>);
}

fn main() {}
