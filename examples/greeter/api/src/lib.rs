//! The interface of the greeter example: host and plugins both depend on
//! this crate. `#[plugin_interface]` generates `GreeterPlugin`, the loader.

#[dynplug::plugin_interface]
pub trait Greeter: Send + Sync {
    /// A greeting for `name`.
    fn greet(&self, name: &str) -> String;

    /// How many greetings this plugin instance has made.
    fn count(&self) -> u64;

    /// Optional: a plugin may leave it out, and this default runs.
    fn shout(&self, text: &str) -> String {
        text.to_uppercase()
    }
}
