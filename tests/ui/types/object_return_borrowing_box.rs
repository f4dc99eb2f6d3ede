// A method may return an object that borrows from the instance
// (`Box<dyn Log + '_>`; `Option<Box<dyn Log + 'a>>` is refused). The host's
// proxy is then tied to the borrow of the loader: it cannot outlive it.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str) -> u32;
}

#[dynplug::plugin_interface]
pub trait Api {
    fn view(&self) -> Box<dyn Log + '_>;
}

fn keep(plugin: ApiPlugin) -> Box<dyn Log> {
    plugin.view()
}

fn keep_after_drop(plugin: ApiPlugin) -> u32 {
    let view = plugin.view();
    drop(plugin);
    view.line("dangling?")
}

fn main() {}
