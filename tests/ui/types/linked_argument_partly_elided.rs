// An argument that names the receiver's lifetime is one the result may
// borrow from; the hash says which arguments, not which part of one. So all
// of its borrows must have that lifetime: else a plugin built where
// `x: (&'a str, &'a str)` could return `x.0`, which this host lends for the
// call only.
#[dynplug::plugin_interface]
pub trait Api {
    fn pick<'a>(&'a self, x: (&str, &'a str)) -> &'a str;
    fn pick_named<'a, 'b>(&'a self, x: (&'b str, &'a str)) -> &'a str;
}

fn main() {}
