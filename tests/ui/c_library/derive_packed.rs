#[derive(dynplug::CType, Clone, Copy)]
#[repr(C, packed)]
pub struct Header {
    pub tag: u8,
    pub len: u32,
}

fn main() {}
