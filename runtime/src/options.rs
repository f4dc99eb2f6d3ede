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
    pub(crate) allow_abort_on_panic: bool,
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

    /// Whether to load a plugin built to abort on panic (`panic = "abort"`
    /// in its profile) (default `false`: such a plugin is refused with
    /// [`Error::AbortsOnPanic`](crate::Error::AbortsOnPanic)).
    ///
    /// A panic in a plugin that unwinds reaches the host as a panic it can
    /// catch; in one that aborts, the first panic ends the whole process,
    /// the host included, and nothing can catch it. Allow it only if that
    /// is acceptable, for instance in a host that itself aborts on panic.
    /// Whether a plugin aborts is recorded when it is compiled: `load`
    /// knows before running any of its code, and
    /// [`inspect`](crate::inspect) shows it.
    pub fn allow_abort_on_panic(mut self, allow: bool) -> Self {
        self.allow_abort_on_panic = allow;
        self
    }
}
