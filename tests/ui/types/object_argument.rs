// Objects cross as return values only, for now: as an argument, written
// out or behind an alias inside another type, a `Box<dyn Trait>` is refused.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

pub type Logs = Vec<Box<dyn Log>>;

#[dynplug::plugin_interface]
pub trait Api {
    fn attach(&self, log: Box<dyn Log>);
    fn attach_all(&self, logs: Logs);
}

fn main() {}
