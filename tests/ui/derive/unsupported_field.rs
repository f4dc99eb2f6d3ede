use std::collections::HashMap;

#[derive(dynplug::PluginType)]
pub struct Config {
    pub name: String,
    pub values: HashMap<String, u32>,
}

fn main() {}
