// An alias hides `'static` from the macro; the compiler still refuses it.
pub type Name = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn name(&self) -> Name;
}

fn main() {}
