#[derive(dynplug::PluginType)]
pub struct Wrapper<T> {
    pub value: T,
}

fn main() {}
