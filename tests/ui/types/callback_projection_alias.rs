// A qualified path is refused as written; behind an alias, the compiler
// normalises `<() as Tr<'a>>::Out` to `&'static str` before it checks that
// the argument borrows for the call, and refuses it.
pub trait Tr<'a> {
    type Out;
}

impl<'a> Tr<'a> for () {
    type Out = &'static str;
}

pub type Projected<'a> = <() as Tr<'a>>::Out;

#[dynplug::plugin_interface]
pub trait Api {
    fn elided(&self, cb: &dyn Fn(Projected));
    fn underscore(&self, cb: &dyn Fn(Projected<'_>));
}

fn main() {}
