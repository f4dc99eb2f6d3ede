// A field whose type has no `PluginType` derive.
pub struct Inner {
    pub x: i32,
}

#[derive(dynplug::PluginType)]
pub struct Outer {
    pub inner: Inner,
}

fn main() {}
