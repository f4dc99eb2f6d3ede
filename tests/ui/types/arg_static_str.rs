// An argument is lent for the call. A `'static` one would let the plugin
// keep the host's data; and since a signature's hash cannot see lifetimes,
// a plugin built where it is `&'static str` would load in a host where it
// is `&str`, and keep a borrow of a host's temporary.
#[dynplug::plugin_interface]
pub trait Api {
    fn keep(&self, s: &'static str);
}

fn main() {}
