// An object argument behind an alias is not seen as one by the macro: it
// must still be refused (here through `Abi`), never lowered as a value.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

pub type Lent<'a> = &'a dyn Log;
pub type Owned = Box<dyn Log>;

#[dynplug::plugin_interface]
pub trait Api {
    fn lent(&self, log: Lent<'_>);
    fn owned(&self, log: Owned);
}

fn main() {}
