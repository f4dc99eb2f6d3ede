// The alias inside a tuple written back.
pub type Leak = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn set(&self, s: &mut (String, Leak));
}

fn main() {}
