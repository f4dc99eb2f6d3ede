// A buffer lent in place is lent for the call: `'static` would let the
// plugin keep writing into it, and would hash as `&mut [u8]` does.
#[dynplug::plugin_interface]
pub trait Api {
    fn fill(&self, buf: &'static mut [u8]);
}

fn main() {}
