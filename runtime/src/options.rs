//! How a library is loaded.

/// Options for `load_with`, built with chained setters:
///
/// ```
/// let options = dynplug::LoadOptions::new().allow_abort_on_panic(true);
/// // Unloading is the one option with a promise to keep:
/// // SAFETY: these plugins leave no thread, callback or pointer behind.
/// let unloading = unsafe { options.clone().unload_when_unused(true) };
/// # let _ = (options, unloading);
/// ```
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub(crate) unload_when_unused: bool,
    pub(crate) allow_abort_on_panic: bool,
    pub(crate) export: Option<String>,
    pub(crate) signed_by: Option<crate::PublicKey>,
    pub(crate) load_from_copy: bool,
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

    /// Requires the library to be signed with `key` before anything of it
    /// is read further or run: its `minisign` signature, in
    /// `<library file>.minisig` (as `minisign -Sm <file>` writes it), must
    /// be made with `key` and cover every byte of the file. A missing,
    /// malformed or wrong signature, or a file changed after signing, is
    /// [`Error::Untrusted`](crate::Error::Untrusted). What is loaded is
    /// what was checked, not a path that could be swapped or a file that
    /// could be written over: a private copy of the file (in memory on
    /// Linux), or on Windows the file held open so that nobody can change
    /// it until it is mapped. See the README's "Signed plugins".
    pub fn require_signature(mut self, key: crate::PublicKey) -> Self {
        self.signed_by = Some(key);
        self
    }

    /// Whether to load the library from a private copy of its file
    /// (default `false`), so that the file can be written over, rebuilt in
    /// place or deleted while the library stays loaded: a library mapped
    /// from its file sees later writes to it, which crash it, and Windows
    /// refuses to let a build replace a loaded library.
    ///
    /// The copy: on Linux in memory, sealed against every change; on macOS
    /// and the BSDs a read-only file in a new private folder, removed once
    /// loaded; on Windows a file in this process's folder of the temporary
    /// folder, removed when the library is unloaded. It costs one copy of
    /// the file per load: on Linux, loads whose copies hold the same bytes
    /// share one library (the bytes are compared); elsewhere every load is
    /// a library of its own. A signed library is always loaded from a copy
    /// on Unix.
    pub fn load_from_copy(mut self, copy: bool) -> Self {
        self.load_from_copy = copy;
        self
    }

    /// Which of the library's exports of the interface to load: the one
    /// exported with `#[plugin_export(name = "...")]` under this name (a
    /// loader's `load_named(path, name)` is `load_with` with this option).
    /// Without it, `load` takes the library's unnamed export of the
    /// interface, or its only one; several named ones and no unnamed one
    /// are [`Error::SeveralExports`](crate::Error::SeveralExports).
    pub fn export(mut self, name: impl Into<String>) -> Self {
        self.export = Some(name.into());
        self
    }
}
