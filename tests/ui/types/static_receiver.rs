// `&'static self` would let the plugin keep its own instance past its
// loader's drop in a host built where the receiver is `&self` (the hash
// cannot tell them apart).
#[dynplug::plugin_interface]
pub trait Api {
    fn stash(&'static self);
}

fn main() {}
