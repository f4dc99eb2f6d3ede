// A callback's arguments never carry objects: a lent object, an object
// inside an `Option` or behind an alias.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

pub type Owned = Box<dyn Log>;

#[dynplug::plugin_interface]
pub trait Api {
    fn lent(&self, cb: &dyn Fn(&dyn Log));
    fn optional(&self, cb: &dyn Fn(Option<Box<dyn Log>>));
    fn alias(&self, cb: &dyn Fn(Owned));
}

fn main() {}
