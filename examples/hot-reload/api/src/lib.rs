//! The interface of the hot-reload example, shared by the host and the
//! plugin. `save` and `restore` are how the host moves the plugin's state
//! from one version to the next (`HotOptions::hand_over`).

#[dynplug::plugin_interface]
pub trait Ticker: Send + Sync {
    /// What the plugin shows for one tick of the host's loop.
    fn tick(&self) -> String;

    /// The state to carry over to the next version.
    fn save(&self) -> u64;

    /// Takes over the state `save` gave.
    fn restore(&mut self, state: u64);
}
