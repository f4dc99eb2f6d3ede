// An object handed over (`Box<dyn Trait>`) lives as long as its owner keeps
// it: it cannot borrow, not from the instance (`'_`) and not behind an
// alias. (A safe override of the hidden `__dynplug_into_raw` could otherwise
// keep the borrow as `'static`.)
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

#[dynplug::plugin_interface]
pub trait Api {
    fn view(&self) -> Box<dyn Log + '_>;
}

fn main() {}
