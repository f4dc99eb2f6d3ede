// A host callback is called on the thread that called the method (its
// panic is kept in that thread's slot, and the host's closure need not be
// `Sync`): the plugin cannot hand it to another thread, even a scoped one.
#[dynplug::plugin_interface]
pub trait Api: Send + Sync {
    fn visit(&self, visit: &dyn Fn(&str));
    fn visit_mut(&self, visit: &mut dyn FnMut(u32));
}

#[derive(Default)]
pub struct Plugin;

#[dynplug::plugin_export]
impl Api for Plugin {
    fn visit(&self, visit: &dyn Fn(&str)) {
        std::thread::scope(|s| {
            s.spawn(|| visit("from another thread"));
        });
    }
    fn visit_mut(&self, visit: &mut dyn FnMut(u32)) {
        std::thread::scope(|s| {
            s.spawn(|| visit(1));
        });
    }
}

fn main() {}
