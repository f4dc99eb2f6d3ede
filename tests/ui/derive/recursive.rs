// A type that holds itself cannot cross: one error on each use of it,
// saying what to do instead.
#[derive(dynplug::PluginType)]
pub enum Expr {
    Num(i64),
    Add(Box<Expr>, Box<Self>),
}

#[derive(dynplug::PluginType)]
pub struct Tree {
    pub name: String,
    pub kids: Vec<Tree>,
}

fn main() {}
