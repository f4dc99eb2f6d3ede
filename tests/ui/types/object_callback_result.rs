// A callback's result never carries an object, written out or behind an
// alias.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

pub type Owned = Box<dyn Log>;

#[dynplug::plugin_interface]
pub trait Api {
    fn result(&self, cb: &dyn Fn() -> Box<dyn Log>);
    fn alias_mut(&self, cb: &mut dyn FnMut(u32) -> Owned);
}

fn main() {}
