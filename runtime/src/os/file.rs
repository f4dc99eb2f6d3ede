//! Opening a library file for pre-flight.

use std::fs::File;
use std::path::Path;

/// Opens the file at `path` for reading without waiting: on Unix with
/// `O_NONBLOCK`, so that a FIFO (or a device) opens at once instead of
/// blocking until a writer comes, and `O_NOCTTY`, so that a terminal does
/// not become the process's controlling one; the caller then refuses
/// anything but a regular file by the open file's kind. Reads of a regular
/// file are not affected by the flags. The descriptor is close-on-exec, as
/// every file std opens.
pub(crate) fn open_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
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
