#[derive(dynplug::CType)]
pub struct Vec2 {
    pub x: f64,
    pub y: f64,
}

fn main() {}
