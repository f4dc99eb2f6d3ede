// Interfaces of any visibility compile: the generated lent proxy, which
// derefs to `dyn Trait`, must be no more visible than the trait.
#[dynplug::plugin_interface]
pub(crate) trait Small {
    fn f(&self) -> u32;
}
mod m {
    #[dynplug::plugin_interface]
    trait Private {
        fn f(&self) -> u32;
    }
    #[dynplug::plugin_interface]
    pub(super) trait Up {
        fn f(&self) -> Box<dyn Inner>;
    }
    #[dynplug::plugin_interface]
    pub(super) trait Inner {
        fn f(&self) -> u32;
    }
}
fn main() {}
