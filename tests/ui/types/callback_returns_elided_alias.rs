// A callback's result that borrows through an alias whose lifetime is
// hidden (`Name` for `Name<'_>`): refused by the compiler (the trampoline
// has no lifetime to give it).
pub type Name<'a> = &'a str;

#[dynplug::plugin_interface]
pub trait Api {
    fn name(&self, f: &dyn Fn(&str) -> Name) -> String;
}

fn main() {}
