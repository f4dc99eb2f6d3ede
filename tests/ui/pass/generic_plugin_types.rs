// Generic plugin types cross as what they are used with; where clauses and
// bounds of their own are kept.
use dynplug::PluginType;

#[derive(PluginType, Debug, Clone, PartialEq)]
pub struct Wrapper<T> {
    pub value: T,
}

#[derive(PluginType, Debug, Clone, PartialEq)]
pub enum Either<L, R>
where
    L: Clone,
{
    Left(L),
    Right(Vec<R>),
}

#[dynplug::plugin_interface]
pub trait Generic {
    fn wrap(&self, v: Wrapper<u32>) -> Wrapper<String>;
    fn either(&self, v: Either<String, Wrapper<u8>>) -> Option<Either<u8, u8>>;
}

fn main() {}
