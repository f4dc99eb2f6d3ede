// A returned borrow tied to an argument only could point into the plugin's
// memory (a string literal) and outlive the library.
#[dynplug::plugin_interface]
pub trait Api {
    fn pick<'a>(&self, s: &'a str) -> &'a str;
}

fn main() {}
