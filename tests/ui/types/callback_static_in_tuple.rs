// `&'static str` written out in a callback's tuple argument: the macro
// names it.
#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &dyn Fn((&str, &'static str)));
}

fn main() {}
