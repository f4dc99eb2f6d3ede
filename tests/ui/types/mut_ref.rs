#[dynplug::plugin_interface]
pub trait Api {
    fn fill(&self, buf: &mut Vec<u8>);
}

fn main() {}
