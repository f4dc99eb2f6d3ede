// `for<'a>` makes `'a` the callback's own; `'static` stays refused.
#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &dyn for<'a> Fn(&'a str, &'static str));
}

fn main() {}
