// An object that borrows (`Box<dyn Log + 'a>`) cannot be handed over: the
// other side may keep it for as long as it likes.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

#[dynplug::plugin_interface]
pub trait Api {
    fn take<'a>(&self, log: Box<dyn Log + 'a>);
}

fn main() {}
