// `#[dynplug(..)]` on a derived type takes `crate = path` only.
#[derive(dynplug::PluginType)]
#[dynplug(krate = dynplug)]
pub struct Note {
    pub title: String,
}

fn main() {}
