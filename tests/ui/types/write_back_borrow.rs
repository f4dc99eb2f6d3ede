// A `&mut` argument is written back from the plugin: it must own its data,
// or the plugin could hand the host a pointer into its own memory.
#[dynplug::plugin_interface]
pub trait Api {
    fn set(&self, s: &mut &str);
}

fn main() {}
