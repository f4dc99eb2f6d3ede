// An alias whose lifetime parameter is unused looks like a borrow for the
// call (`View<'_>`) and is `&'static str`: the compiler sees through it.
pub type View<'a> = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn visit(&self, cb: &dyn Fn(View<'_>));
    fn keep(&self, s: View<'_>);
}

fn main() {}
