use std::ffi::c_void;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};

/// `ENAMETOOLONG`: the error number of a path or name too long.
pub(crate) const ENAMETOOLONG: i32 = if cfg!(target_os = "linux") { 36 } else { 63 };

/// `Dl_info`.
#[repr(C)]
#[derive(Clone, Copy)]
struct DlInfo {
    fname: *const std::ffi::c_char,
    fbase: *mut c_void,
    sname: *const std::ffi::c_char,
    saddr: *mut c_void,
}

/// An open library, as the OS sees it.
/// With an address inside it ([`RawLibrary::inside`]) and the name the
/// loader knows it by ([`RawLibrary::loaded_name`]).
pub(crate) struct RawLibrary(Library, usize, Box<[u8]>);

/// What makes a file the same file: the dynamic loader of glibc and musl
/// also tells libraries apart by device and inode.
///
/// A library loaded from a private copy of a file is filed under the
/// file's identity and the time of its last change (`ctime`), and on
/// Linux shared only with a library whose kept copy holds the same bytes
/// (`library::same_copy`: a write through a shared mapping need not move
/// the change time). Elsewhere the loaded copy is not kept to compare, so
/// every copy gets a key of its own (a serial number) and shares nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FileKey {
    dev: u64,
    ino: u64,
    copy_of_version: Option<(i64, i64, u64)>,
}

/// The identity of the open file `file`, of `metadata`.
pub(crate) fn file_key(_file: &std::fs::File, metadata: &Metadata) -> std::io::Result<FileKey> {
    Ok(FileKey {
        dev: metadata.dev(),
        ino: metadata.ino(),
        copy_of_version: None,
    })
}

/// The key of a library loaded from a private copy (`copy`, whose file
/// is open as `_file` of `_metadata`) of a file.
pub(crate) fn copy_key(
    _file: &std::fs::File,
    _metadata: &Metadata,
    copy: &crate::copy::CopyOf,
) -> std::io::Result<FileKey> {
    let origin = &copy.origin;
    #[cfg(target_os = "linux")]
    let serial = 0;
    #[cfg(not(target_os = "linux"))]
    let serial = {
        static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    };
    Ok(FileKey {
        dev: origin.dev(),
        ino: origin.ino(),
        copy_of_version: Some((origin.ctime(), origin.ctime_nsec(), serial)),
    })
}

/// Whether `a` and the file open as `b` (a descriptor that stays open
/// meanwhile) hold the same bytes.
#[cfg(target_os = "linux")]
pub(crate) fn same_bytes(a: &std::fs::File, b: std::os::fd::RawFd) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    // SAFETY: the caller keeps `b` open for the call; it is duplicated,
    // not taken.
    let b = std::fs::File::from(
        unsafe { std::os::fd::BorrowedFd::borrow_raw(b) }.try_clone_to_owned()?,
    );
    let len = a.metadata()?.len();
    if b.metadata()?.len() != len {
        return Ok(false);
    }
    const CHUNK: usize = 64 * 1024;
    let (mut left, mut right) = (vec![0; CHUNK], vec![0; CHUNK]);
    let mut at = 0;
    while at < len {
        let want = usize::try_from((len - at).min(CHUNK as u64)).expect("a chunk fits");
        a.read_exact_at(&mut left[..want], at)?;
        b.read_exact_at(&mut right[..want], at)?;
        if left[..want] != right[..want] {
            return Ok(false);
        }
        at += want as u64;
    }
    Ok(true)
}

/// What tells one state of a file from another: its identity, size, and
/// last modification and change times (every write moves the change
/// time, which no user can set).
#[cfg(feature = "hot")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp([i64; 7]);

/// The stamp of the file at `path` now, if it can be read.
#[cfg(feature = "hot")]
pub(crate) fn file_stamp(path: &Path) -> Option<FileStamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(FileStamp([
        m.dev() as i64,
        m.ino() as i64,
        m.size() as i64,
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    ]))
}

/// The identity of the file at `path` now.
pub(crate) fn path_key(path: &Path) -> std::io::Result<FileKey> {
    let metadata = std::fs::metadata(path)?;
    Ok(FileKey {
        dev: metadata.dev(),
        ino: metadata.ino(),
        copy_of_version: None,
    })
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
        let handle = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }?.into_raw();
        let (inside, name) = inside(handle);
        // SAFETY: `handle` is the one `into_raw` just gave up.
        Ok(RawLibrary(
            unsafe { Library::from_raw(handle) },
            inside,
            name,
        ))
    }

    /// An address inside the library whatever it exports (0 if unknown).
    pub(crate) fn inside(&self) -> usize {
        self.1
    }

    /// The name the dynamic loader knows the library by (empty if unknown).
    pub(crate) fn loaded_name(&self) -> Box<[u8]> {
        self.2.clone()
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

    /// Whether some loaded object still maps `address` (`dladdr`, which
    /// reads the loader's list and no memory at the address). Asked with
    /// an address inside a library after it was closed: whether the system
    /// really unmapped it. Not `dlopen(name, RTLD_NOLOAD)`: that opens the
    /// file now at the path, and when it is another loaded library, adds
    /// the name to that library's names, so that a later `dlopen` of the
    /// name returns the wrong one.
    ///
    /// `name`, when not empty, is the library's name: the object found at
    /// the address must bear it (another library may be mapped at the same
    /// place as soon as this one is gone).
    pub(crate) fn maps(address: usize, name: &[u8]) -> bool {
        let Some(info) = Self::dladdr(address) else {
            return false;
        };
        name.is_empty()
            || info.fname.is_null()
            // SAFETY: `dladdr` filled `info`; its file name, when not null,
            // is a C string of the loader's.
            || unsafe { std::ffi::CStr::from_ptr(info.fname) }.to_bytes() == name
    }

    /// Which loaded object maps `address` (its base address), if any.
    pub(crate) fn module_of(address: usize) -> Option<usize> {
        Self::dladdr(address).map(|info| info.fbase as usize)
    }

    /// The dynamic loader's `dladdr` of `address`.
    fn dladdr(address: usize) -> Option<DlInfo> {
        unsafe extern "C" {
            fn dladdr(address: *const c_void, info: *mut DlInfo) -> std::ffi::c_int;
        }
        let mut info = std::mem::MaybeUninit::<DlInfo>::uninit();
        // SAFETY: `dladdr` only compares the address with the loaded
        // objects' ranges and fills `info`; it reads nothing at `address`.
        if unsafe { dladdr(address as *const c_void, info.as_mut_ptr()) } == 0 {
            return None;
        }
        // SAFETY: `dladdr` succeeded, so it filled `info`.
        Some(unsafe { info.assume_init() })
    }

    /// Whether the dynamic loader already holds an object under the name
    /// `name` (its first name, as `dl_iterate_phdr` reports it): one the
    /// system found by searching (a library loaded by bare name, a
    /// dependency), or one opened by other code than dynplug. `dlopen` of
    /// that name would return that object, whatever file is at the path
    /// now. (A name the loader added to an object later, when a second
    /// name led to the same file, is not seen: dynplug only does that for
    /// a file it holds a slot for.)
    #[cfg(not(target_vendor = "apple"))]
    pub(crate) fn name_in_use(name: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;

        /// The start of `struct dl_phdr_info`.
        #[repr(C)]
        struct PhdrInfo {
            addr: usize,
            name: *const std::ffi::c_char,
        }
        type Callback = unsafe extern "C" fn(*mut PhdrInfo, usize, *mut c_void) -> std::ffi::c_int;
        unsafe extern "C" {
            fn dl_iterate_phdr(callback: Callback, data: *mut c_void) -> std::ffi::c_int;
        }
        /// Stops (returns 1) at the object named `data`, a `&[u8]`.
        unsafe extern "C" fn named(
            info: *mut PhdrInfo,
            _size: usize,
            data: *mut c_void,
        ) -> std::ffi::c_int {
            // SAFETY: `data` is the `&[u8]` passed below, alive for the
            // call; `info` is the loader's, valid during the callback, and
            // its name, when not null, a C string.
            unsafe {
                let wanted = *data.cast::<&[u8]>();
                let name = (*info).name;
                i32::from(!name.is_null() && std::ffi::CStr::from_ptr(name).to_bytes() == wanted)
            }
        }
        let mut wanted: &[u8] = name.as_os_str().as_bytes();
        // SAFETY: `named` matches the callback's signature and reads only
        // `wanted`, which outlives the call.
        unsafe { dl_iterate_phdr(named, (&raw mut wanted).cast()) != 0 }
    }

    /// Whether the dynamic loader already holds an object under `name`:
    /// not asked on this platform, whose loader tells files apart by
    /// identity.
    #[cfg(target_vendor = "apple")]
    pub(crate) fn name_in_use(_name: &Path) -> bool {
        false
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

/// An address inside the library open as `handle`, whatever it exports:
/// its dynamic section's (`dlinfo(RTLD_DI_LINKMAP)`, `l_ld`), or 0 where
/// that cannot be asked; and its name as the loader knows it (`l_name`).
fn inside(handle: *mut c_void) -> (usize, Box<[u8]>) {
    #[cfg(not(target_vendor = "apple"))]
    {
        /// The start of `struct link_map`, as `<link.h>` declares it.
        #[repr(C)]
        struct LinkMap {
            addr: usize,
            name: *const std::ffi::c_char,
            ld: *const c_void,
        }
        const RTLD_DI_LINKMAP: std::ffi::c_int = 2;
        unsafe extern "C" {
            fn dlinfo(
                handle: *mut c_void,
                request: std::ffi::c_int,
                info: *mut c_void,
            ) -> std::ffi::c_int;
        }
        let mut map: *const LinkMap = std::ptr::null();
        // SAFETY: `handle` is open; RTLD_DI_LINKMAP stores one pointer to
        // the loader's `link_map` for it, whose first fields are
        // `LinkMap`'s, valid while the library is open.
        unsafe {
            if dlinfo(handle, RTLD_DI_LINKMAP, (&raw mut map).cast()) == 0 && !map.is_null() {
                let name = (*map).name;
                let name = if name.is_null() {
                    Box::default()
                } else {
                    std::ffi::CStr::from_ptr(name).to_bytes().into()
                };
                return ((*map).ld as usize, name);
            }
        }
    }
    #[cfg(target_vendor = "apple")]
    let _ = handle;
    (0, Box::default())
}

/// Whether the dynamic loader already gives the name of generation
/// `index` of the files at `anchored` to a library it found otherwise.
pub(crate) fn name_taken(anchored: &Path, index: usize) -> bool {
    RawLibrary::name_in_use(&spelled(anchored, index))
}

/// The name handed to the dynamic loader for generation `index` of the
/// files at `anchored` (see `library::generations`): the same path,
/// spelled with `index` in binary as `./` (a one) and `.//` (a zero)
/// before the file name. glibc's loader compares names as strings, so
/// each spelling is a name of its own, and every one leads to the file.
pub(crate) fn generation_name(
    anchored: &Path,
    index: usize,
    _file: &std::fs::File,
    _copy: bool,
) -> std::io::Result<PathBuf> {
    // (A private copy on Unix is made before pre-flight: `copy::copied`.)
    Ok(spelled(anchored, index))
}

/// The generation loaded as `name` is unloaded: nothing to clean up.
pub(crate) fn generation_gone(_name: &Path) {}

/// `anchored`, spelled for slot `index`.
fn spelled(anchored: &Path, index: usize) -> PathBuf {
    let (Some(dir), Some(file)) = (anchored.parent(), anchored.file_name()) else {
        return anchored.to_path_buf();
    };
    if index == 0 {
        return anchored.to_path_buf();
    }
    let mut name = dir.as_os_str().to_owned();
    name.push("/");
    for bit in (0..usize::BITS - index.leading_zeros()).rev() {
        name.push(if index >> bit & 1 == 1 { "./" } else { ".//" });
    }
    name.push(file);
    PathBuf::from(name)
}

/// Keeps the library that maps `address` loaded for the rest of the
/// process, whoever closes it (`RTLD_NODELETE`, asked of the library by
/// the name the loader knows it by, so that no file is opened). Nothing if
/// the address is in no library the loader can reopen so (the program).
pub(crate) fn pin_module_of(address: usize) {
    use std::os::unix::ffi::OsStrExt;
    let Some(info) = RawLibrary::dladdr(address) else {
        return;
    };
    if info.fname.is_null() {
        return;
    }
    // SAFETY: `dladdr` filled `info`; its file name, not null, is a C
    // string of the loader's, alive while the library that maps `address`
    // is loaded (the caller's own).
    let name =
        std::ffi::OsStr::from_bytes(unsafe { std::ffi::CStr::from_ptr(info.fname) }.to_bytes());
    // The program itself (which glibc names by `argv[0]`) is never
    // unloaded; reopening it by that name would only open a file.
    if name.is_empty() || std::env::args_os().next().as_deref() == Some(name) {
        return;
    }
    // SAFETY: with RTLD_NOLOAD nothing is loaded and no initialiser runs:
    // the loader only marks the library it has under that name (the name
    // `dladdr` gave, the library's own), if any. The handle is kept for
    // ever.
    unsafe {
        let flags = RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE;
        if let Ok(library) = Library::open(Some(name), flags) {
            let _ = library.into_raw();
        }
    }
}

#[cfg(feature = "hot")]
mod barrier;
#[cfg(feature = "hot")]
pub(crate) use barrier::{ALWAYS_BARRIER, process_barrier, start_process_barrier};

#[cfg(test)]
mod tests {
    use super::spelled;
    use std::collections::HashSet;
    use std::path::Path;

    #[test]
    fn every_slot_has_its_own_short_name() {
        let path = Path::new("/plugins/libx.so");
        assert_eq!(spelled(path, 0), path);
        assert_eq!(spelled(path, 1).as_os_str(), "/plugins/./libx.so");
        assert_eq!(spelled(path, 2).as_os_str(), "/plugins/././/libx.so");
        let names: HashSet<_> = (0..10_000)
            .map(|i| spelled(path, i).into_os_string())
            .collect();
        assert_eq!(names.len(), 10_000, "no two slots share a name");
        let longest = names.iter().map(|n| n.len()).max().unwrap();
        assert!(longest <= path.as_os_str().len() + 1 + 3 * 14, "{longest}");
    }
}
