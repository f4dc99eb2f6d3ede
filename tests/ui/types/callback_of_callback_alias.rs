// A callback cannot take a callback, behind an alias either.
pub type Inner<'a> = &'a dyn Fn(&str);

#[dynplug::plugin_interface]
pub trait Api {
    fn visit(&self, cb: &dyn Fn(Inner));
}

fn main() {}
