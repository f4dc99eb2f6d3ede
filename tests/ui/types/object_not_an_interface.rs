// A `Box` crosses only as an object of a `#[plugin_interface]` trait, of
// one trait, with no other bounds.
pub trait Plain {
    fn f(&self);
}

#[dynplug::plugin_interface]
pub trait Other {
    fn g(&self);
}

#[dynplug::plugin_interface]
pub trait Api {
    fn plain(&self) -> Box<dyn Plain>;
    fn boxed(&self) -> Box<u32>;
    fn bounded(&self) -> Box<dyn Other + Send>;
}

fn main() {}
