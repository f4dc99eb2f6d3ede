// A borrow that a plugin object's method returns cannot outlive the object.
#[dynplug::plugin_interface]
pub trait Named {
    fn name(&self) -> &str;
    fn last(&mut self) -> &str;
}

#[dynplug::plugin_interface]
pub trait Api {
    fn named(&self) -> Box<dyn Named>;
}

fn host(api: &ApiPlugin) {
    let kept = api.named();
    let name = kept.name();
    drop(kept);
    println!("{name}");
    let mut other = api.named();
    let last = other.last();
    other = api.named();
    println!("{last} {}", other.name());
}

fn main() {}
