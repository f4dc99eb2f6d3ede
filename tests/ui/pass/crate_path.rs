// `crate = path` on every attribute: dynplug named through a module that
// re-exports it (as an interface crate would for its plugin authors).
mod api {
    pub use dynplug as reexported;
}

#[derive(dynplug::PluginType, Debug, Clone, PartialEq)]
#[dynplug(crate = crate::api::reexported)]
pub struct Note {
    pub title: String,
}

#[dynplug::plugin_interface(crate = crate::api::reexported)]
pub trait Notes {
    fn stamp(&self, note: Note) -> Note;
}

#[derive(Default)]
struct Stamper;

#[dynplug::plugin_export(crate = crate::api::reexported)]
impl Notes for Stamper {
    fn stamp(&self, note: Note) -> Note {
        note
    }
}

fn main() {}
