// An owned object is neither `Clone` nor `Copy`: it cannot be handed over
// twice.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

struct Mine;
impl Log for Mine {
    fn line(&self, _: &str) {}
}

fn main() {
    let owned = (Box::new(Mine) as Box<dyn Log>).__dynplug_into_raw();
    let _twice = Clone::clone(&owned);
    let lent = Mine.__dynplug_lend();
    let _copied = Clone::clone(&lent);
}
