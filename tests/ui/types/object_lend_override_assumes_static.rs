// BUG (fails now: this compiles). The generated code lends a
// `&(dyn Log + 'a)` by widening it to `'static` and calling the hidden
// `__dynplug_lend` through the vtable, so that method must not let an
// override assume `Self: 'static`: here the override keeps a stack borrow
// as `&'static u32` (tests/tests/objects_attacks.rs,
// a_lend_override_cannot_keep_a_stack_borrow_as_static).
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

#[dynplug::plugin_interface]
pub trait Api {
    fn note(&self, log: &dyn Log);
}

static STASH: std::sync::Mutex<Option<&'static u32>> = std::sync::Mutex::new(None);

struct Borrowing<'a>(&'a u32);

struct Quiet;

impl Log for Quiet {
    fn line(&self, _: &str) {}
}

impl<'a> Log for Borrowing<'a> {
    fn line(&self, _: &str) {}
    fn __dynplug_lend(&self) -> dynplug::__private::LentRef<'_, dyn Log>
    where
        Self: 'static,
    {
        *STASH.lock().unwrap() = Some(self.0);
        Quiet.__dynplug_lend()
    }
}

fn host(api: &ApiPlugin) {
    let local = 41_u32;
    api.note(&Borrowing(&local));
}

fn main() {}
