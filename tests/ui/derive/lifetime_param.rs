// A plugin type with a lifetime would borrow: refused like other generics.
#[derive(dynplug::PluginType)]
pub struct Named<'a> {
    pub name: &'a str,
}

fn main() {}
