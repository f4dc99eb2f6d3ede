use std::ffi::c_void;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use libloading::os::windows::{LOAD_WITH_ALTERED_SEARCH_PATH, Library};

/// `ERROR_FILENAME_EXCED_RANGE`: the error number of a path too long.
pub(crate) const ENAMETOOLONG: i32 = 206;

/// An open library, as the OS sees it.
pub(crate) struct RawLibrary(Library);

/// What makes a file the same file: its canonical path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FileKey(PathBuf);

pub(crate) fn file_key(path: &Path, _metadata: &Metadata) -> FileKey {
    FileKey(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

impl RawLibrary {
    /// `LoadLibraryExW` with the library's own folder searched first for
    /// its dependencies.
    ///
    /// # Safety
    ///
    /// Runs the library's initialisers: the caller trusts the file.
    pub(crate) unsafe fn open(path: &Path) -> Result<RawLibrary, libloading::Error> {
        // SAFETY: the caller trusts the library's initialisers.
        unsafe { Library::load_with_flags(path, LOAD_WITH_ALTERED_SEARCH_PATH) }.map(RawLibrary)
    }

    /// An address inside the library whatever it exports: not asked here
    /// (0); the first symbol found serves.
    pub(crate) fn inside(&self) -> usize {
        0
    }

    /// The name the loader knows the library by: not asked here.
    pub(crate) fn loaded_name(&self) -> Box<[u8]> {
        Box::default()
    }

    /// The address of `symbol`, or `None` if the library does not export it.
    pub(crate) fn symbol(&self, symbol: &str) -> Option<*const c_void> {
        // SAFETY: the symbol is read as an untyped address; giving it a type
        // is the caller's business.
        let found = unsafe { self.0.get::<*const c_void>(symbol.as_bytes()) };
        found.ok().map(|s| {
            s.into_raw()
                .map_or(std::ptr::null(), |f| f as *const c_void)
        })
    }

    /// Whether a loaded module still maps `address`.
    pub(crate) fn maps(address: usize, _name: &[u8]) -> bool {
        const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;
        const GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT: u32 = 0x2;
        unsafe extern "system" {
            fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut *mut c_void) -> i32;
        }
        let mut module = std::ptr::null_mut();
        // SAFETY: with FROM_ADDRESS the "name" is an address, only compared
        // with the modules' ranges; the reference count is left unchanged.
        unsafe {
            GetModuleHandleExW(
                GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS
                    | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                address as *const u16,
                &mut module,
            ) != 0
        }
    }

    /// Whether the loader holds a module under `name` that a load of it
    /// would return: Windows tells modules apart by full path, and keys
    /// files by it too, so never in a way dynplug must avoid.
    pub(crate) fn name_in_use(_name: &Path) -> bool {
        false
    }

    /// `FreeLibrary`.
    pub(crate) fn close(self) -> Result<(), libloading::Error> {
        self.0.close()
    }

    /// Keeps the library mapped for the rest of the process.
    pub(crate) fn leak(self) {
        let _ = self.0.into_raw();
    }
}
