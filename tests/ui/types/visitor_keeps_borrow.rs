// A host visitor cannot keep what the plugin lends it: the borrow lasts for
// the call.
#[derive(dynplug::PluginType, Clone)]
pub struct Item {
    pub name: String,
}

#[dynplug::plugin_interface]
pub trait Catalogue {
    fn visit(&self, visit: &mut dyn FnMut(&Item));
}

pub fn keep(catalogue: &CataloguePlugin) -> Vec<&Item> {
    let mut kept = Vec::new();
    catalogue.visit(&mut |item| kept.push(item));
    kept
}

pub fn keep_text(catalogue: &CataloguePlugin) -> Option<&str> {
    let mut kept = None;
    catalogue.visit(&mut |item| kept = Some(item.name.as_str()));
    kept
}

fn main() {}
