// An alias of an alias of `&'static str`, alone.
pub type Leak = &'static str;
pub type AlsoLeak = Leak;

#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &dyn Fn(AlsoLeak));
}

fn main() {}
