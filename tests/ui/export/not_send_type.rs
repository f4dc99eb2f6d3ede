// `Greeter: Send + Sync`; a plugin type holding an `Rc` is neither.
#[derive(Default)]
pub struct Foo(std::rc::Rc<u32>);

#[dynplug::plugin_export]
impl fixture_api::Greeter for Foo {
    fn greet(&self, name: &str) -> String {
        name.to_owned()
    }
    fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }
    fn bump(&mut self) -> u64 {
        0
    }
    fn fail(&self, _message: &str) -> u32 {
        0
    }
    fn drops(&self) -> u64 {
        0
    }
    fn hits(&self) -> u64 {
        0
    }
}

fn main() {}
