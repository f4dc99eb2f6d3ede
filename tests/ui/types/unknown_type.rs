pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[dynplug::plugin_interface]
pub trait Api {
    fn norm(&self, p: Point) -> f64;
}

fn main() {}
