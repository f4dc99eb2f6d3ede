// `Option<Leak>` as a callback's argument.
pub type Leak = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &mut dyn FnMut(Option<Leak>));
}

fn main() {}
