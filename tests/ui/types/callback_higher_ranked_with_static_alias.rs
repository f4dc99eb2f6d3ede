// A callback's own lifetimes (`for<'a>`) mean what elided ones do, but an
// alias of `&'static str` beside them is still refused.
pub type Leak = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &dyn for<'a> Fn(&'a str, Leak));
}

fn main() {}
