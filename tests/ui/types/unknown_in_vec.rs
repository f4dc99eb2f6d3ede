pub struct Point {
    pub x: i32,
}

#[dynplug::plugin_interface]
pub trait Api {
    fn sum(&self, points: Vec<Point>) -> i32;
}

fn main() {}
