// A method may return a borrow of an object lent to it when the borrow has
// the receiver's lifetime, as for any argument that names it: the text a
// lent object's method returns lies in its owner's memory (a proxy lifts
// it as a borrow of the object), and the caller keeps both the loader and
// the object borrowed for `'a`.
#[dynplug::plugin_interface]
pub trait Log {
    fn name(&self) -> &str;
}

#[dynplug::plugin_interface]
pub trait Api {
    fn pick<'a>(&'a self, log: &'a dyn Log) -> &'a str;
}

fn main() {}
