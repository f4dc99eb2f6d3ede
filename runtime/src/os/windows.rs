use std::ffi::c_void;
use std::fs::File;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::AsRawHandle;
use std::path::{Path, PathBuf};

use libloading::os::windows::{LOAD_WITH_ALTERED_SEARCH_PATH, Library};

/// `ERROR_FILENAME_EXCED_RANGE`: the error number of a path too long.
pub(crate) const ENAMETOOLONG: i32 = 206;

unsafe extern "system" {
    fn GetFileInformationByHandle(file: *mut c_void, info: *mut FileInformation) -> i32;
    fn GetModuleHandleW(name: *const u16) -> *mut c_void;
    fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut *mut c_void) -> i32;
    fn GetModuleFileNameW(module: *mut c_void, name: *mut u16, size: u32) -> u32;
    fn OpenProcess(access: u32, inherit: i32, id: u32) -> *mut c_void;
    fn WaitForSingleObject(handle: *mut c_void, milliseconds: u32) -> u32;
    fn CloseHandle(handle: *mut c_void) -> i32;
    fn GetLastError() -> u32;
    #[cfg(feature = "hot")]
    fn FlushProcessWriteBuffers();
}

/// `BY_HANDLE_FILE_INFORMATION`.
#[repr(C)]
#[derive(Default)]
struct FileInformation {
    attributes: u32,
    times: [u32; 6],
    volume_serial_number: u32,
    size: [u32; 2],
    links: u32,
    index_high: u32,
    index_low: u32,
}

/// An open library, as the OS sees it: with its base address (which is
/// inside it) and the full path the loader knows it by.
pub(crate) struct RawLibrary(Library, usize, Box<[u8]>);

/// What makes a file the same file: the serial number of its volume and
/// its index on the volume (`GetFileInformationByHandle`), as NTFS and
/// ReFS keep them while the file exists, whatever its name or names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FileKey {
    volume: u32,
    index: u64,
    /// For a library loaded from a private copy: the file's version.
    copy_of_version: Option<u64>,
}

/// The identity of the open file `file`.
pub(crate) fn file_key(file: &File, _metadata: &std::fs::Metadata) -> std::io::Result<FileKey> {
    let mut info = FileInformation::default();
    // SAFETY: `file` is an open handle; the call fills `info`, a
    // `BY_HANDLE_FILE_INFORMATION`, and nothing else.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle().cast(), &mut info) } == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(FileKey {
        volume: info.volume_serial_number,
        index: (u64::from(info.index_high) << 32) | u64::from(info.index_low),
        copy_of_version: None,
    })
}

/// The key of a library loaded from a private copy of the file open as
/// `file`, of `metadata`: a key of its own (a serial number), so that
/// every copy is a library of its own. Nothing cheap tells that two copies
/// hold the same bytes (a write through a mapping of the file need not
/// move its last write time), so copies share nothing.
pub(crate) fn copy_key(
    file: &File,
    metadata: &std::fs::Metadata,
    _copy: &crate::copy::CopyOf,
) -> std::io::Result<FileKey> {
    static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut key = file_key(file, metadata)?;
    key.copy_of_version = Some(COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
    Ok(key)
}

/// What tells one state of a file from another: its size and its
/// creation and last write times.
#[cfg(feature = "hot")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp([u64; 3]);

/// The stamp of the file at `path` now, if it can be read.
#[cfg(feature = "hot")]
pub(crate) fn file_stamp(path: &Path) -> Option<FileStamp> {
    use std::os::windows::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(FileStamp([
        m.file_size(),
        m.creation_time(),
        m.last_write_time(),
    ]))
}

/// The identity of the file at `path` now.
pub(crate) fn path_key(path: &Path) -> std::io::Result<FileKey> {
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    file_key(&file, &metadata)
}

/// `path` as a NUL-terminated UTF-16 string.
fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain([0]).collect()
}

/// The full path of the loaded module `module`, as UTF-8 bytes (empty if
/// it cannot be had).
fn module_name(module: *mut c_void) -> Box<[u8]> {
    let mut buffer = vec![0u16; 32_768];
    // SAFETY: the buffer's length in UTF-16 units is passed with it; the
    // module handle is only looked up.
    let len = unsafe { GetModuleFileNameW(module, buffer.as_mut_ptr(), buffer.len() as u32) };
    if len == 0 || len as usize >= buffer.len() {
        return Box::default();
    }
    let name = std::ffi::OsString::from_wide(&buffer[..len as usize]);
    name.to_string_lossy().as_bytes().into()
}

/// Whether the loader already holds a module whose full path is `path`:
/// `LoadLibraryExW` of it would return that module, whatever file is at
/// the path now.
fn loaded_at(path: &Path) -> bool {
    let Ok(full) = std::path::absolute(path) else {
        return false;
    };
    // SAFETY: a NUL-terminated UTF-16 path; the handle is only compared,
    // and the module's reference count is left unchanged.
    !unsafe { GetModuleHandleW(wide(&full).as_ptr()) }.is_null()
}

/// The module that maps `address`, if any (its reference count unchanged).
fn module_at(address: usize) -> Option<*mut c_void> {
    const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;
    const GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT: u32 = 0x2;
    let mut module = std::ptr::null_mut();
    // SAFETY: with FROM_ADDRESS the "name" is an address, only compared
    // with the modules' ranges; the reference count is left unchanged.
    let found = unsafe {
        GetModuleHandleExW(
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
            address as *const u16,
            &mut module,
        ) != 0
    };
    found.then_some(module)
}

impl RawLibrary {
    /// `LoadLibraryExW` with the library's own folder searched first for
    /// its dependencies.
    ///
    /// # Safety
    ///
    /// Runs the library's initialisers: the caller trusts the file.
    pub(crate) unsafe fn open(path: &Path) -> Result<RawLibrary, libloading::Error> {
        // libloading 0.8 hands a name with a NUL to Windows, which reads
        // it up to the NUL: `libm.dll\0evil` would open `libm.dll`.
        if path.as_os_str().encode_wide().any(|unit| unit == 0) {
            let nul = std::ffi::CString::new(vec![0u8]).expect_err("a NUL byte");
            return Err(libloading::Error::CreateCString { source: nul });
        }
        // SAFETY: the caller trusts the library's initialisers.
        let library = unsafe { Library::load_with_flags(path, LOAD_WITH_ALTERED_SEARCH_PATH) }?;
        let module = library.into_raw();
        let name = module_name(module as *mut c_void);
        // SAFETY: `module` is the handle `into_raw` just gave up.
        let library = unsafe { Library::from_raw(module) };
        Ok(RawLibrary(library, module as usize, name))
    }

    /// An address inside the library whatever it exports: its base
    /// address, which its module handle is.
    pub(crate) fn inside(&self) -> usize {
        self.1
    }

    /// The full path the loader knows the library by (empty if unknown).
    pub(crate) fn loaded_name(&self) -> Box<[u8]> {
        self.2.clone()
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

    /// Whether a loaded module still maps `address`; when `name` is not
    /// empty, it must be that module's full path (another module may be
    /// mapped at the same place once this one is gone).
    pub(crate) fn maps(address: usize, name: &[u8]) -> bool {
        match module_at(address) {
            Some(module) => name.is_empty() || *module_name(module) == *name,
            None => false,
        }
    }

    /// Which loaded module maps `address` (its handle, as an integer), if
    /// any.
    pub(crate) fn module_of(address: usize) -> Option<usize> {
        module_at(address).map(|module| module as usize)
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

/// Whether generation `index` of the files at `anchored` cannot have its
/// name: the first generation loads from the path itself, which the loader
/// must not already know (it would return the module it has under that
/// path, whatever file is there now); later ones load from private copies,
/// whose names are new.
pub(crate) fn name_taken(anchored: &Path, index: usize) -> bool {
    index == 0 && loaded_at(anchored)
}

/// The path handed to the loader for generation `index` of the files at
/// `anchored`, the open file `file`. Windows knows a loaded module by its
/// full path, and `LoadLibraryExW` of a path it knows returns that module
/// even when another file is at the path now (a plugin rebuilt while its
/// host runs: the old file, renamed aside, is still mapped). So the first
/// generation loads from the path itself, and each later one from a copy
/// of its file with the same file name (the module's name) in a private
/// folder, `%TEMP%\dynplug-<process>\<n>\`, removed when it is unloaded
/// ([`generation_gone`]). A library to be loaded from a private copy
/// (`copy`) is such a copy whatever its generation.
pub(crate) fn generation_name(
    anchored: &Path,
    index: usize,
    file: &File,
    copy: bool,
) -> std::io::Result<PathBuf> {
    let full = std::path::absolute(anchored)?;
    if index == 0 && !copy {
        return Ok(full);
    }
    use std::io::Seek;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COPIES: AtomicUsize = AtomicUsize::new(0);
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(sweep_ended_processes);
    let folder = private_folder().join(COPIES.fetch_add(1, Ordering::Relaxed).to_string());
    std::fs::create_dir_all(&folder)?;
    let copy = folder.join(full.file_name().unwrap_or(full.as_os_str()));
    let copied = (|| {
        let mut source = file;
        source.rewind()?;
        let mut target = File::create_new(&copy)?;
        std::io::copy(&mut source, &mut target)?;
        target.sync_all()
    })();
    if let Err(err) = copied {
        generation_gone(&copy);
        return Err(err);
    }
    Ok(copy)
}

/// The folder of this process's copies.
fn private_folder() -> PathBuf {
    std::env::temp_dir().join(format!("dynplug-{}", std::process::id()))
}

/// Removes the copies folders of processes that ended (copies a process
/// still held when it ended): once per process, before its first copy.
fn sweep_ended_processes() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name
            .to_str()
            .and_then(|n| n.strip_prefix("dynplug-"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if id != std::process::id() && !process_runs(id) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether a process of id `id` runs (when that cannot be told, it is
/// assumed to: its folder is then left alone).
fn process_runs(id: u32) -> bool {
    const SYNCHRONIZE: u32 = 0x0010_0000;
    const ERROR_INVALID_PARAMETER: u32 = 87;
    const WAIT_TIMEOUT: u32 = 258;
    // SAFETY: plain calls on a process id; the handle, when one is had, is
    // only waited on with no wait, and closed.
    unsafe {
        let process = OpenProcess(SYNCHRONIZE, 0, id);
        if process.is_null() {
            return GetLastError() != ERROR_INVALID_PARAMETER;
        }
        let runs = WaitForSingleObject(process, 0) == WAIT_TIMEOUT;
        CloseHandle(process);
        runs
    }
}

/// The generation loaded as `name` is unloaded, or was never loaded: its
/// private copy, if it is one, is removed with its folder. (A copy the
/// process still holds when it ends stays behind in the temporary folder
/// until another process makes its first copy.)
pub(crate) fn generation_gone(name: &Path) {
    let Some(folder) = name.parent() else {
        return;
    };
    if folder.parent() == Some(private_folder().as_path()) {
        let _ = std::fs::remove_file(name);
        let _ = std::fs::remove_dir(folder);
    }
}

/// Keeps the module that maps `address` loaded for the rest of the process,
/// whoever frees it (`GET_MODULE_HANDLE_EX_FLAG_PIN`).
pub(crate) fn pin_module_of(address: usize) {
    const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;
    const GET_MODULE_HANDLE_EX_FLAG_PIN: u32 = 0x1;
    let mut module = std::ptr::null_mut();
    // SAFETY: with FROM_ADDRESS the "name" is an address, only compared
    // with the modules' ranges; PIN keeps the module it finds loaded.
    unsafe {
        GetModuleHandleExW(
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
            address as *const u16,
            &mut module,
        );
    }
}

/// Whether every system of this target has the process-wide barrier:
/// Windows does, so readers never check.
#[cfg(feature = "hot")]
pub(crate) const ALWAYS_BARRIER: bool = true;

/// Readies the process-wide barrier: Windows has one
/// (`FlushProcessWriteBuffers`, since Vista).
#[cfg(feature = "hot")]
pub(crate) fn start_process_barrier() -> bool {
    true
}

/// A memory barrier on every thread of the process: when it returns, each
/// thread has passed a point where its memory accesses are in program
/// order.
#[cfg(feature = "hot")]
pub(crate) fn process_barrier() {
    // SAFETY: no argument, no precondition.
    unsafe { FlushProcessWriteBuffers() }
}
