// With `'b: 'a` the plugin may return `x`; without it, not, and the hash
// cannot tell them apart: a host built without the bound would keep the
// result past a short-lived argument.
#[dynplug::plugin_interface]
pub trait Api {
    fn pick<'a, 'b: 'a>(&'a self, x: &'b str) -> &'a str;
}

fn main() {}
