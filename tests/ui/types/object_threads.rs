// An object of a trait without `Send`/`Sync` stays on its thread, whether
// the plugin returned it or the host lent it.
#[dynplug::plugin_interface]
pub trait Counter {
    fn add(&mut self, n: u32) -> u32;
    fn name(&self) -> &str;
}

#[dynplug::plugin_interface]
pub trait Api: Send + Sync {
    fn counter(&self) -> Box<dyn Counter>;
    fn count(&self, counter: &mut dyn Counter) -> u32;
    fn peek(&self, counter: &dyn Counter) -> u32;
}

#[derive(Default)]
struct Plugin;

#[dynplug::plugin_export]
impl Api for Plugin {
    fn counter(&self) -> Box<dyn Counter> {
        unimplemented!()
    }
    fn count(&self, counter: &mut dyn Counter) -> u32 {
        std::thread::scope(|s| s.spawn(|| counter.add(1)).join().unwrap())
    }
    fn peek(&self, counter: &dyn Counter) -> u32 {
        std::thread::scope(|s| s.spawn(|| counter.name().len() as u32).join().unwrap())
    }
}

fn host(api: &ApiPlugin) {
    let mut counter = api.counter();
    std::thread::spawn(move || counter.add(1));
}

fn main() {}
