// A `RawObject` (Copy, reachable through `__private`) or the pieces of an
// object cannot be turned into a live object, or duplicated into two
// owners, without `unsafe`.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

struct Mine;
impl Log for Mine {
    fn line(&self, _: &str) {}
}

use dynplug::__private::{ObjectCore, ObjectInterface, OwnedObject};

fn main() {
    let owned: OwnedObject<dyn Log> = (Box::new(Mine) as Box<dyn Log>).__dynplug_into_raw();
    let raw = owned.into_raw();
    let again = raw;
    let _a = <dyn Log as ObjectInterface>::from_raw(|| ObjectCore::new(raw, "Log"));
    let _b = <dyn Log as ObjectInterface>::lent(again);
    let table = &dynplug::__private::ObjectTable::<3>::new(
        std::ptr::null(),
        [std::ptr::null(); 3],
    );
    let _c: OwnedObject<dyn Log> = OwnedObject::from_box(Box::new(Mine), table);
}
