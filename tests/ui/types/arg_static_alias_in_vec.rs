// An alias hides `'static` from the macro; the compiler still refuses it in
// an argument, however deep.
pub type Kept = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn keep(&self, names: Vec<Kept>);
    fn keep_some(&self, name: Option<(u32, Kept)>);
}

fn main() {}
