// A callback's arguments are lent for the call: not `&mut`.
#[dynplug::plugin_interface]
pub trait Api {
    fn edit(&self, cb: &dyn Fn(&mut String));
}

fn main() {}
