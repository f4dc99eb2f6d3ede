// A lifetime hidden in an alias (`View` is `View<'_>`) is another lifetime
// than the receiver's: the compiler refuses it where the tokens cannot.
pub type View<'a> = &'a str;

#[dynplug::plugin_interface]
pub trait Api {
    fn pick<'a>(&'a self, x: (View, &'a str)) -> &'a str;
}

fn main() {}
