// Reasonable object interfaces compile, and their tables are instantiated
// for a concrete type: traits in nested modules and `pub(crate)`, raw
// identifiers, parameters named as generated locals, method lifetimes,
// `&mut self` returning borrows, default bodies calling other methods,
// objects as arguments of objects' methods (of the same trait, too), and
// callbacks on objects.

pub mod outer {
    pub mod inner {
        #[dynplug::plugin_interface]
        pub trait Node {
            fn label(&self) -> String;
            fn r#type(&self, r#fn: u32) -> u32;
            fn last<'a>(&'a mut self, core: &str, raw: u32, visit: u8) -> &'a str;
            fn first(&mut self) -> &str;
            fn merge(&mut self, other: Box<dyn Node>);
            fn same(&self, other: &dyn Node) -> bool;
            fn absorb(&mut self, other: &mut dyn Node) -> u32;
            fn each(&self, f: &dyn Fn(&str) -> u32) -> u32;
            fn children(&self) -> Vec<Box<dyn Node>>;
            fn describe(&self) -> String {
                format!("{} ({})", self.label(), self.r#type(1))
            }
        }
    }
}

#[dynplug::plugin_interface]
trait Core {
    fn node(&self) -> Box<dyn outer::inner::Node>;
    fn ret(&self, status: u32, holder: &str, ctx: &[u8], object: Option<u32>) -> u32;
}

use outer::inner::Node;

struct Leaf(String);

impl Node for Leaf {
    fn label(&self) -> String {
        self.0.clone()
    }
    fn r#type(&self, r#fn: u32) -> u32 {
        r#fn
    }
    fn last<'a>(&'a mut self, _core: &str, _raw: u32, _visit: u8) -> &'a str {
        &self.0
    }
    fn first(&mut self) -> &str {
        &self.0
    }
    fn merge(&mut self, other: Box<dyn Node>) {
        self.0 += &other.label();
    }
    fn same(&self, other: &dyn Node) -> bool {
        other.label() == self.0
    }
    fn absorb(&mut self, other: &mut dyn Node) -> u32 {
        self.0 += other.first();
        1
    }
    fn each(&self, f: &dyn Fn(&str) -> u32) -> u32 {
        f(&self.0)
    }
    fn children(&self) -> Vec<Box<dyn Node>> {
        Vec::new()
    }
}

#[derive(Default)]
struct Root;

#[dynplug::plugin_export]
impl Core for Root {
    fn node(&self) -> Box<dyn Node> {
        Box::new(Leaf("leaf".to_owned()))
    }
    fn ret(&self, status: u32, _holder: &str, _ctx: &[u8], _object: Option<u32>) -> u32 {
        status
    }
}

fn main() {
    let a: Box<dyn Node> = Box::new(Leaf("a".to_owned()));
    let _ = a.describe();
    let _owned = (Box::new(Leaf("b".to_owned())) as Box<dyn Node>).__dynplug_into_raw();
    let _lent = a.__dynplug_lend();
    let _ = CorePlugin::load("/nonexistent");
}
