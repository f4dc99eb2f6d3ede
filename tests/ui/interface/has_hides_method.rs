// A plugin loader has `has_<method>()` for each optional method: a trait
// method of that name would be hidden by it.
#[dynplug::plugin_interface]
pub trait Api {
    fn shout(&self, s: &str) -> String {
        s.to_uppercase()
    }
    fn has_shout(&self) -> bool;
}

fn main() {}
