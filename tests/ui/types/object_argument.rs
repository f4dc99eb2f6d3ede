// An object crosses as an argument only as itself (`Box<dyn Trait>`,
// `&dyn Trait`, `&mut dyn Trait`): inside another type, written out or
// behind an alias, or as a callback's argument, it is refused.
#[dynplug::plugin_interface]
pub trait Log {
    fn line(&self, text: &str);
}

pub type Logs = Vec<Box<dyn Log>>;

#[dynplug::plugin_interface]
pub trait Api {
    fn attach_all(&self, logs: Logs);
    fn maybe(&self, log: Option<Box<dyn Log>>);
    fn visit(&self, cb: &dyn Fn(Box<dyn Log>));
    fn lent(&self, log: &(dyn Log + Send));
}

fn main() {}
