//! The interface of the objects example: a factory plugin (`Transcoder`)
//! opens sessions, each an object of the plugin's, with the configuration
//! and the host's logger it is given at creation.

/// How a session transforms its text.
#[derive(dynplug::PluginType, Clone, Debug)]
pub struct Config {
    /// The session's name, in its log lines.
    pub name: String,
    /// Upper-case the text.
    pub shout: bool,
}

/// What a finished session says.
#[derive(dynplug::PluginType, Debug, PartialEq)]
pub struct Summary {
    /// Chunks pushed.
    pub chunks: u32,
    /// Characters pushed.
    pub chars: u64,
}

/// The plugin's root: makes sessions.
#[dynplug::plugin_interface]
pub trait Transcoder: Send + Sync {
    /// Opens a session. The host gives it its configuration and a logger,
    /// which the session keeps.
    fn open(&self, config: Config, log: Box<dyn Log>) -> Result<Box<dyn Session>, String>;
}

/// A session: the plugin's object, with state of its own.
#[dynplug::plugin_interface]
pub trait Session: Send {
    /// Transforms a chunk of text.
    fn push(&mut self, chunk: &str) -> String;
    /// Ends the session.
    fn finish(&mut self) -> Summary;
}

/// A host service: the host's logger, which the plugin calls.
#[dynplug::plugin_interface]
pub trait Log: Send + Sync {
    /// Writes a line.
    fn info(&self, text: &str);
}
