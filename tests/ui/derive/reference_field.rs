#[derive(dynplug::PluginType)]
pub struct Borrowed {
    pub name: &'static str,
}

fn main() {}
