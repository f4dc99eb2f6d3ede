// A plugin cannot return a borrow of a lent object: the lend ends with the
// call. (`'a` is the receiver's lifetime, which the return check accepts.)
#[dynplug::plugin_interface]
pub trait Log {
    fn name(&self) -> &str;
}

#[dynplug::plugin_interface]
pub trait Api {
    fn pick<'a>(&'a self, log: &'a dyn Log) -> &'a str;
}

fn main() {}
