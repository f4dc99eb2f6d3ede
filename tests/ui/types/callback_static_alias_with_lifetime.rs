// An alias with a lifetime parameter, given `'static`.
pub type View<'a> = &'a str;

#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &dyn Fn(View<'static>));
}

fn main() {}
