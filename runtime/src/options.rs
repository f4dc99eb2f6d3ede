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

    /// Whether to unload the library when its last loader is dropped or
    /// closed (default `false`: it stays mapped for the rest of the
    /// process, and safe code never unmaps a library).
    ///
    /// Unloading is off by default because it cannot be made safe from the
    /// outside: a thread the plugin started that still runs, a callback it
    /// registered somewhere (an atexit handler, a signal handler, another
    /// library's hook), a thread-local destructor it registered, or a
    /// pointer into its code or static data that escaped (a `&'static str`
    /// stored by some C code, a function pointer) all crash the process
    /// once the library is unmapped. It is also unreliable across
    /// platforms: musl's `dlclose` does nothing, macOS refuses to unload a
    /// library with thread-local storage, glibc keeps one whose thread-local
    /// destructors are registered. A loader's `close()` says what happened
    /// ([`Closed`](crate::Closed)).
    ///
    /// When several loaders share a library, it is unloaded only if every
    /// one of them asked for it.
    ///
    /// # Safety
    ///
    /// With `true`, the caller promises that when the last loader of the
    /// library goes, nothing of the plugin's outlives it: no thread it
    /// started is still running, no callback or thread-local destructor of
    /// it is registered anywhere, and no pointer into its code or data is
    /// used afterwards. `false` has nothing to promise.
    pub unsafe fn unload_when_unused(mut self, unload: bool) -> Self {
        self.unload_when_unused = unload;
        self
    }
}
