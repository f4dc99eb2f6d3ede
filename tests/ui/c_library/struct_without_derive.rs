// `#[repr(C)]` but no `#[derive(dynplug::CType)]`.
#[repr(C)]
pub struct Vec2 {
    pub x: f64,
    pub y: f64,
}

#[dynplug::plugin_interface(c_library)]
pub trait Geometry {
    fn vec2_length(&self, v: Vec2) -> f64;
}

fn main() {}
