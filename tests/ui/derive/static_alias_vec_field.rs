// A `PluginType` owns its data: a `Vec` of an alias of `&'static str` is
// refused by the compiler.
pub type Names = Vec<&'static str>;

#[derive(dynplug::PluginType)]
pub struct Item {
    pub names: Names,
}

fn main() {}
