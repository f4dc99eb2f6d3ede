#[dynplug::plugin_interface]
pub trait Api {
    fn pair(&self) -> (u32, u32);
}

fn main() {}
