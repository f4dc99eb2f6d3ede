#[dynplug::plugin_interface]
pub trait Api {
    fn make() -> u32;
    fn get<T>(&self, x: u32) -> u32;
    async fn fetch(&self) -> u32;
}

fn main() {}
