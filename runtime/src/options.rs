//! How a library is loaded.

/// Options for `load_with`, built with chained setters:
///
/// ```
/// let options = dynplug::LoadOptions::new().unload_when_unused(true);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub(crate) unload_when_unused: bool,
}

impl LoadOptions {
    /// The defaults: the library stays mapped after its last loader is gone.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to unload the library when its last loader is dropped
    /// (default `false`).
    ///
    /// Unloading is off by default because it is unreliable across
    /// platforms: musl's `dlclose` does nothing, macOS refuses to unload a
    /// library with thread-local storage, and a thread-local destructor that
    /// runs after its library is unmapped crashes the process. Turn it on
    /// only for plugins you know to be safe to unload.
    ///
    /// When several loaders share a library, it is unloaded only if every
    /// one of them asked for it.
    pub fn unload_when_unused(mut self, unload: bool) -> Self {
        self.unload_when_unused = unload;
        self
    }
}
