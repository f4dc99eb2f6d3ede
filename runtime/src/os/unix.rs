use std::ffi::c_void;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};

/// `ENAMETOOLONG`: the error number of a path or name too long.
pub(crate) const ENAMETOOLONG: i32 = if cfg!(target_os = "linux") { 36 } else { 63 };

/// An open library, as the OS sees it.
pub(crate) struct RawLibrary(Library);

/// What makes a file the same file: the dynamic loader of glibc and musl
/// also tells libraries apart by device and inode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FileKey {
    dev: u64,
    ino: u64,
}

pub(crate) fn file_key(_path: &Path, metadata: &Metadata) -> FileKey {
    FileKey {
        dev: metadata.dev(),
        ino: metadata.ino(),
    }
}

impl RawLibrary {
    /// `dlopen(path, RTLD_NOW | RTLD_LOCAL)`: every symbol the library needs
    /// is bound now, so a missing dependency fails here and not at a call,
    /// and its symbols do not leak into the global namespace.
    ///
    /// # Safety
    ///
    /// Runs the library's initialisers: the caller trusts the file.
    pub(crate) unsafe fn open(path: &Path) -> Result<RawLibrary, libloading::Error> {
        // SAFETY: the caller trusts the library's initialisers.
        unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map(RawLibrary)
    }

    /// The address of `symbol`, or `None` if the library does not export it.
    pub(crate) fn symbol(&self, symbol: &str) -> Option<*const c_void> {
        // A NUL-terminated name spares libloading an allocation per lookup.
        let mut buf = [0u8; 256];
        let name: &[u8] = if symbol.len() < buf.len() {
            buf[..symbol.len()].copy_from_slice(symbol.as_bytes());
            &buf[..=symbol.len()]
        } else {
            symbol.as_bytes()
        };
        // SAFETY: the symbol is read as an untyped address, which is valid
        // for any symbol; giving it a type is the caller's business.
        let found = unsafe { self.0.get::<*const c_void>(name) };
        found.ok().map(|s| s.into_raw() as *const c_void)
    }

    /// Whether the library the dynamic loader knows by `name` is still
    /// loaded: `dlopen(name, RTLD_NOLOAD)`, which maps nothing.
    pub(crate) fn is_loaded(name: &Path) -> bool {
        const RTLD_NOLOAD: i32 = if cfg!(target_vendor = "apple") {
            0x10
        } else if cfg!(target_os = "freebsd") {
            0x2000
        } else {
            0x4
        };
        // SAFETY: with RTLD_NOLOAD nothing is loaded and no initialiser
        // runs; a handle found is released again at once, balancing the
        // reference it took.
        unsafe { Library::open(Some(name), RTLD_NOLOAD | RTLD_NOW | RTLD_LOCAL) }.is_ok()
    }

    /// `dlclose`.
    pub(crate) fn close(self) -> Result<(), libloading::Error> {
        self.0.close()
    }

    /// Keeps the library mapped for the rest of the process.
    pub(crate) fn leak(self) {
        let _ = self.0.into_raw();
    }
}
