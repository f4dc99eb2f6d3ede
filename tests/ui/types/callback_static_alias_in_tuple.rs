// Issue 10, case 1: an alias of `&'static str` next to a borrow in a
// callback's tuple argument. The host could keep the plugin's `&'static str`
// and read it after the library is gone; the compiler refuses it, however
// the type is spelled (`Lent`).
pub type Leak = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &dyn Fn((&str, Leak)));
}

fn main() {}
