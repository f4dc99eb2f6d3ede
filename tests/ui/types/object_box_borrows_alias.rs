// As `object_box_borrows`, with the borrowing box behind an alias, which
// the macro cannot see: the compiler refuses the interface's object table.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

pub type View<'a> = Box<dyn Log + 'a>;

#[dynplug::plugin_interface]
pub trait Api {
    fn view(&self) -> View<'_>;
}

fn main() {}
