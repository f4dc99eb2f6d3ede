// An alias hides the borrow from the derive's own check; `Owned` catches it.
pub type Name = &'static str;

#[derive(dynplug::PluginType)]
pub struct Person {
    pub name: Name,
}

fn main() {}
