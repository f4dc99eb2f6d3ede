// Where a closure is written but cannot cross: each is one error that says
// what crosses instead (a callback for the call, optional or not, or an
// object to keep).
#[dynplug::plugin_interface]
pub trait Events {
    fn subscribe(&self, handler: Box<dyn Fn(u32) + Send>);
    fn maybe(&self, handler: Option<Box<dyn FnMut(u32)>>);
    fn pointer(&self, handler: Option<fn(u32)>);
    fn nested(&self, handlers: Vec<&dyn Fn(u32)>);
    fn give(&self) -> &dyn Fn(u32);
    fn fine(&self, each: Option<&dyn Fn(u32) -> bool>, all: &mut dyn FnMut(&str));
}

fn main() {}
