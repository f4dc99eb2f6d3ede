// A result may borrow from an argument only if the plugin reads that
// argument in place: `&str`, `&[T]` and `&[T; N]` of scalars. Anything
// else is a copy made for the call, freed as it returns: one error each.
#[derive(dynplug::PluginType)]
pub struct Named {
    pub name: String,
}

#[dynplug::plugin_interface]
pub trait Lend {
    fn from_string<'a>(&'a self, s: &'a String) -> &'a str;
    fn from_u64<'a>(&'a self, x: &'a u64) -> &'a [u64];
    fn from_named<'a>(&'a self, n: &'a Named) -> &'a str;
    fn from_path<'a>(&'a self, p: &'a std::path::Path) -> &'a str;
    fn from_strings<'a>(&'a self, v: &'a [String]) -> &'a str;
    fn from_words<'a>(&'a self, v: &'a [String; 2]) -> &'a str;
    fn from_bytes<'a>(&'a self, v: &'a [u64; 8]) -> &'a [u64];
    fn from_slice<'a>(&'a self, v: &'a [u8], w: &'a str) -> &'a [u8];
    fn from_written<'a>(&'a self, s: &'a mut String) -> &'a str;
}

fn main() {}
