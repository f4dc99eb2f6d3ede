use std::collections::VecDeque;

#[derive(dynplug::PluginType)]
pub struct Config {
    pub name: String,
    pub values: VecDeque<u32>,
}

fn main() {}
