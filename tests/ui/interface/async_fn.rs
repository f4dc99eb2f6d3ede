#[dynplug::plugin_interface]
pub trait Api {
    async fn fetch(&self) -> u32;
}

fn main() {}
