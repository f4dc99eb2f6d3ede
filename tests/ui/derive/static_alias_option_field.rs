// A field of type `Option<Leak>`: a plugin type owns its data.
pub type Leak = &'static str;

#[derive(dynplug::PluginType)]
pub struct Person {
    pub nickname: Option<Leak>,
}

fn main() {}
