// The alias deep inside nested tuples is found by the compiler.
pub type Leak = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &dyn Fn(((u8, (Leak,)),)));
}

fn main() {}
