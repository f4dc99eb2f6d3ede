#[dynplug::plugin_interface]
pub trait Counter: Send + Sync {
    fn add(&self, a: u32, b: u32) -> u32;
    fn name(&self) -> &str;
    fn bump(&mut self) -> u64;
    fn greet(&self, who: Option<&str>) -> String {
        format!("hello, {}", who.unwrap_or("world"))
    }
}

#[derive(Default)]
pub struct Impl {
    count: u64,
}

#[dynplug::plugin_export]
impl Counter for Impl {
    fn add(&self, a: u32, b: u32) -> u32 {
        a + b
    }
    fn name(&self) -> &str {
        "impl"
    }
    fn bump(&mut self) -> u64 {
        self.count += 1;
        self.count
    }
}

fn main() {}
