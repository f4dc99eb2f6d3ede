// `&mut` crosses as an argument only.
#[dynplug::plugin_interface]
pub trait Api {
    fn buffer(&mut self) -> &mut Vec<u8>;
}

fn main() {}
