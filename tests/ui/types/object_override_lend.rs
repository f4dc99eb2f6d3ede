// Overriding the hidden lend of an object in safe code cannot lend
// something that does not live as long as the borrow of `self`.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

struct Mine;
struct Other;

impl Log for Other {
    fn line(&self, _: &str) {}
}

impl Log for Mine {
    fn line(&self, _: &str) {}
    fn __dynplug_lend(&self) -> dynplug::__private::LentRef<'_, dyn Log> {
        let temporary: Box<dyn Log> = Box::new(Other);
        temporary.__dynplug_lend()
    }
    fn __dynplug_lend_mut(&mut self) -> dynplug::__private::LentMut<'_, dyn Log> {
        let shared: &dyn Log = &Other;
        // A shared lend cannot pass for an exclusive one.
        shared.__dynplug_lend()
    }
}

fn main() {}
