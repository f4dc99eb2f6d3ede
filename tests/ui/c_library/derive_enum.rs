#[derive(dynplug::CType, Clone, Copy)]
#[repr(C)]
pub enum Mode {
    Fast,
    Slow,
}

fn main() {}
