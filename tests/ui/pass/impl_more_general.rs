// An impl may be more general than the trait in its lifetimes (a `'static`
// result where the trait borrows from `self`), and return an argument the
// trait ties to the receiver: the host keeps either for the borrow of its
// loader, which its own argument outlives.
#[dynplug::plugin_interface]
pub trait Api {
    fn name(&self) -> &str;
    fn pick<'a>(&'a self, s: &'a str, t: &str) -> &'a str;
}

#[derive(Default)]
pub struct Plugin;

#[dynplug::plugin_export]
impl Api for Plugin {
    fn name(&self) -> &'static str {
        "static"
    }
    fn pick<'a>(&'a self, s: &'a str, t: &str) -> &'a str {
        if t.is_empty() { "static" } else { s }
    }
}

fn main() {}
