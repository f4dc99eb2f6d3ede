// What `&[T]` and `&T` arguments refer to is lent for the call too.
pub type Kept = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn keep(&self, names: &[Kept]);
    fn keep_one(&self, name: &Option<Kept>);
}

fn main() {}
