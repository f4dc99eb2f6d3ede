// The compiler's proof that arguments are lent for the call runs even when
// the macro refuses another method, so that every error shows in one build.
pub type Kept = &'static str;

#[dynplug::plugin_interface]
pub trait Api {
    fn table(&self, t: std::collections::VecDeque<u8>);
    fn keep(&self, names: Vec<Kept>);
}

fn main() {}
