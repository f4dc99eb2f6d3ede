// `&T` in a callback is a copy lent for the call: `T` must own its data.
#[dynplug::plugin_interface]
pub trait Api {
    fn each(&self, cb: &dyn Fn(&(u32, &str)));
}

fn main() {}
