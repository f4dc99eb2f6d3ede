// An alias of `&'static T` for a plugin type, inside an `Option` beside a
// borrow for the call, and an alias of an alias with a lifetime parameter
// given `'static`: each refused by the compiler.
#[derive(dynplug::PluginType)]
pub struct Item {
    pub id: u32,
}

pub type StaticItem = &'static Item;
pub type View<'a> = &'a str;
pub type StaticView = View<'static>;

#[dynplug::plugin_interface]
pub trait Api {
    fn items(&self, cb: &mut dyn FnMut(&str, Option<StaticItem>));
    fn views(&self, cb: &mut dyn FnMut(&[u8], StaticView));
}

fn main() {}
