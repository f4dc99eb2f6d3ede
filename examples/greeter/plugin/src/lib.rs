//! A greeter plugin: an ordinary implementation of the trait, exported.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Hello {
    count: AtomicU64,
}

#[dynplug::plugin_export]
impl greeter_api::Greeter for Hello {
    fn greet(&self, name: &str) -> String {
        self.count.fetch_add(1, Ordering::Relaxed);
        format!("Hello, {name}!")
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}
