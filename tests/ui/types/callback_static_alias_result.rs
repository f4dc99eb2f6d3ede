// `Result<Leak, String>` as a callback's argument.
pub type Leak = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn leak_cb(&self, cb: &dyn Fn(Result<Leak, String>));
}

fn main() {}
