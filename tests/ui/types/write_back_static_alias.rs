// A `&mut` argument written back with an alias of `&'static str`: the
// plugin could hand the host a pointer into its own memory.
pub type Leak = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn set(&self, s: &mut Leak);
}

fn main() {}
