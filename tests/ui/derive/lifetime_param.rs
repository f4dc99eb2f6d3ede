// A plugin type with a lifetime would borrow: one error, on the lifetime.
#[derive(dynplug::PluginType)]
pub struct Named<'a> {
    pub name: &'a str,
}

fn main() {}
