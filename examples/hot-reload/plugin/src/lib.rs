//! The plugin of the hot-reload example. Edit `MESSAGE` (or anything
//! else) and rebuild while the host runs: the host serves the new code.
//! (`demo.sh` does it for you.)

use std::sync::atomic::{AtomicU64, Ordering};

/// What each tick says.
const MESSAGE: &str = "hello from the first build";

#[derive(Default)]
pub struct Counter {
    ticks: AtomicU64,
}

#[dynplug::plugin_export]
impl hot_reload_api::Ticker for Counter {
    fn tick(&self) -> String {
        let n = self.ticks.fetch_add(1, Ordering::Relaxed) + 1;
        format!("tick {n}: {MESSAGE}")
    }

    fn save(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    fn restore(&mut self, state: u64) {
        *self.ticks.get_mut() = state;
    }
}
