//! Opening a library file for pre-flight.

use std::fs::File;
use std::path::Path;
#[cfg(all(unix, any(test, not(target_os = "linux"))))]
use std::path::PathBuf;

/// Opens the file at `path` for reading without waiting: on Unix with
/// `O_NONBLOCK`, so that a FIFO (or a device) opens at once instead of
/// blocking until a writer comes, and `O_NOCTTY`, so that a terminal does
/// not become the process's controlling one; the caller then refuses
/// anything but a regular file by the open file's kind. Reads of a regular
/// file are not affected by the flags. The descriptor is close-on-exec, as
/// every file std opens.
pub(crate) fn open_file(path: &Path) -> std::io::Result<File> {
    open(path, false)
}

/// Opens the file at `path` as [`open_file`] does, to be loaded: on
/// Windows sharing reading only, so that while it is open nobody can write
/// to it, rename it, delete it or put another file at its path (those need
/// a handle that shares writing or deleting). The loader keeps it open from
/// pre-flight (and the signature check) until the system's loader has
/// mapped it, so it maps the very bytes that were checked; once mapped,
/// Windows refuses writes to the image anyway. A file another program has
/// open for writing cannot be opened so: it is still being written.
pub(crate) fn open_file_to_load(path: &Path) -> std::io::Result<File> {
    open(path, true)
}

fn open(path: &Path, to_load: bool) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    #[cfg(windows)]
    if to_load {
        use std::os::windows::fs::OpenOptionsExt;
        /// `FILE_SHARE_READ`.
        const SHARE_READ: u32 = 1;
        options.share_mode(SHARE_READ);
    }
    #[cfg(not(windows))]
    let _ = to_load;
    options.open(path)
}

/// A private copy of the first `len` bytes of `file` that nobody can
/// change, for the dynamic loader to map: an anonymous file in memory
/// (`memfd_create`) sealed against every write, growth and shrinking, and
/// against unsealing, loaded as `/proc/self/fd/N`. A library mapped from
/// its file sees later writes to that file (`MAP_PRIVATE` shares the pages
/// it has not written), so a signed library is loaded from a copy that
/// cannot be written rather than from the file that was checked.
#[cfg(target_os = "linux")]
pub(crate) fn sealed_copy(file: &File, len: u64) -> std::io::Result<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: a NUL-terminated name and flags; the result is checked.
    let fd = unsafe {
        libc::memfd_create(
            c"dynplug-copy".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nothing else.
    let copy = unsafe { File::from_raw_fd(fd) };
    copy_exactly(file, &copy, len)?;
    // No write of any kind from now on: `F_SEAL_FUTURE_WRITE` (Linux 5.1)
    // refuses every later `write` and writable shared mapping, and nothing
    // maps this file before. (`F_SEAL_WRITE` would also wait for pages
    // still referenced elsewhere, such as another CPU's batch of newly
    // allocated pages, and fail with `EBUSY` after a second and a half:
    // it did, now and then. It is the fallback for older kernels.)
    let fixed = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW;
    for write_seal in [libc::F_SEAL_FUTURE_WRITE, libc::F_SEAL_WRITE] {
        // SAFETY: `F_ADD_SEALS` on the descriptor this function owns.
        if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, fixed | write_seal) } == 0 {
            return Ok(copy);
        }
        let err = std::io::Error::last_os_error();
        // `EINVAL`: a kernel without the future-write seal.
        if err.raw_os_error() != Some(libc::EINVAL) {
            return Err(err);
        }
    }
    Err(std::io::Error::last_os_error())
}

/// A private copy of the first `len` bytes of `file`, for the dynamic
/// loader to map where it cannot load from a descriptor (macOS, the BSDs):
/// a read-only file named `name` in a new folder only this user can enter
/// (`mkdtemp`, mode 0700) in the temporary folder. Other users cannot
/// change it; this user's other processes could, but they could as well
/// change this process's memory. [`PrivateCopy`] removes it (the loader
/// keeps a mapped library after its file is removed). (Compiled on Linux
/// for its tests.)
#[cfg(all(unix, any(test, not(target_os = "linux"))))]
pub(crate) fn private_copy(
    file: &File,
    len: u64,
    name: &std::ffi::OsStr,
) -> std::io::Result<PrivateCopy> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut template = std::env::temp_dir()
        .join("dynplug-copy-XXXXXX")
        .into_os_string()
        .into_vec();
    template.push(0);
    // SAFETY: `template` is a NUL-terminated, writable path ending in
    // `XXXXXX`, which `mkdtemp` replaces in place.
    if unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) }.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    template.pop();
    let folder = PathBuf::from(std::ffi::OsString::from_vec(template));
    let copy = PrivateCopy {
        path: folder.join(if name.is_empty() || name.as_bytes().contains(&b'/') {
            std::ffi::OsStr::new("library")
        } else {
            name
        }),
        folder,
    };
    let target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&copy.path)?;
    copy_exactly(file, &target, len)?;
    target.sync_all()?;
    drop(target);
    std::fs::set_permissions(&copy.path, std::fs::Permissions::from_mode(0o500))?;
    Ok(copy)
}

/// A private copy of a library file ([`private_copy`]), removed with its
/// folder when dropped.
#[cfg(all(unix, any(test, not(target_os = "linux"))))]
#[derive(Debug)]
pub(crate) struct PrivateCopy {
    /// The copy.
    pub(crate) path: PathBuf,
    folder: PathBuf,
}

#[cfg(all(unix, any(test, not(target_os = "linux"))))]
impl Drop for PrivateCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir(&self.folder);
    }
}

/// Copies exactly the first `len` bytes of `from` (from its start) to
/// `to`: a file that got shorter meanwhile is an error.
#[cfg(unix)]
fn copy_exactly(from: &File, to: &File, len: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek};
    let mut from = from;
    from.rewind()?;
    let mut to = to;
    let copied = std::io::copy(&mut from.take(len), &mut to)?;
    if copied != len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the file got shorter while it was copied ({copied} of {len} bytes)"),
        ));
    }
    Ok(())
}

/// Reads exactly `len` bytes at `offset` of `file` into a new vector,
/// without zeroing it first: pre-flight reads tens of kilobytes per
/// library, and zeroing them cost more than the checks of most tables.
/// A file shorter than `offset + len` is an `UnexpectedEof` error. Used by
/// the ELF validator only.
#[cfg(all(unix, not(target_vendor = "apple")))]
pub(crate) fn read_at(file: &File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind};
    use std::os::fd::AsRawFd;
    let mut buf: Vec<u8> = Vec::with_capacity(len);
    let mut done = 0;
    while done < len {
        let at = offset
            .checked_add(done as u64)
            .and_then(|at| libc::off_t::try_from(at).ok())
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "offset out of range"))?;
        // SAFETY: the destination is the vector's spare capacity from
        // `done` on, `len - done` bytes that this buffer owns and nothing
        // else references; `pread` writes at most that many bytes there.
        let n = unsafe {
            libc::pread(
                file.as_raw_fd(),
                buf.as_mut_ptr().add(done).cast(),
                len - done,
                at,
            )
        };
        match n {
            0 => return Err(ErrorKind::UnexpectedEof.into()),
            n if n > 0 => done += n as usize,
            _ => {
                let err = Error::last_os_error();
                if err.kind() != ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
    }
    // SAFETY: `pread` initialised the first `len` bytes (`done == len`),
    // within the capacity reserved above.
    unsafe { buf.set_len(len) };
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    /// A file of `bytes` in a new temporary folder.
    fn file_of(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lib.so");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        (dir, path)
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_sealed_copy_has_the_bytes_and_cannot_be_changed() {
        use std::os::unix::fs::FileExt;
        let (_dir, path) = file_of(b"0123456789");
        let file = super::open_file(&path).unwrap();
        let copy = super::sealed_copy(&file, 8).unwrap();
        let mut read = [0; 8];
        copy.read_exact_at(&mut read, 0).unwrap();
        assert_eq!(&read, b"01234567");
        assert_eq!(copy.metadata().unwrap().len(), 8);
        assert!(copy.write_at(b"x", 0).is_err(), "written");
        assert!(copy.set_len(4).is_err(), "shrunk");
        assert!(copy.set_len(16).is_err(), "grown");
        // Longer than the file: refused.
        let err = super::sealed_copy(&file, 11).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[cfg(unix)]
    #[test]
    fn a_private_copy_is_read_only_in_a_private_folder_and_goes_when_dropped() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path) = file_of(b"0123456789");
        let file = super::open_file(&path).unwrap();
        let copy = super::private_copy(&file, 10, std::ffi::OsStr::new("lib.so")).unwrap();
        assert_eq!(copy.path.file_name().unwrap(), "lib.so");
        assert_eq!(std::fs::read(&copy.path).unwrap(), b"0123456789");
        let folder = copy.path.parent().unwrap().to_path_buf();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&copy.path), 0o500);
        // A name that is no file name is not used as one.
        let odd = super::private_copy(&file, 10, std::ffi::OsStr::new("")).unwrap();
        assert_eq!(odd.path.file_name().unwrap(), "library");
        drop(copy);
        assert!(!folder.exists(), "{folder:?} left behind");
        // Longer than the file: refused.
        let err = super::private_copy(&file, 11, std::ffi::OsStr::new("x")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    /// While a load has a file open, nobody can write it, rename it,
    /// delete it or put another file at its path; once closed, they can.
    /// (Reading it, as `inspect` does, does not lock it.)
    #[cfg(windows)]
    #[test]
    fn a_library_file_open_to_load_cannot_be_changed_or_replaced() {
        let (dir, path) = file_of(b"0123456789");
        let other = dir.path().join("other.dll");
        std::fs::write(&other, b"other").unwrap();
        let reading = super::open_file(&path).unwrap();
        let writing = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        // Open for writing elsewhere: still being written, not to load.
        assert!(
            super::open_file_to_load(&path).is_err(),
            "opened to load while written"
        );
        drop(writing);
        drop(reading);
        let file = super::open_file_to_load(&path).unwrap();
        assert!(
            std::fs::OpenOptions::new().write(true).open(&path).is_err(),
            "opened for writing"
        );
        assert!(std::fs::rename(&other, &path).is_err(), "replaced");
        assert!(
            std::fs::rename(&path, dir.path().join("moved.dll")).is_err(),
            "renamed"
        );
        assert!(std::fs::remove_file(&path).is_err(), "deleted");
        // Reading still works, for the loader and others.
        assert_eq!(std::fs::read(&path).unwrap(), b"0123456789");
        drop(file);
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"other");
    }
}
