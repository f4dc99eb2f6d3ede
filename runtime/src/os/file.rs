//! Opening a library file for pre-flight.

use std::fs::File;
use std::path::Path;

/// Opens the file at `path` for reading without waiting: on Unix with
/// `O_NONBLOCK`, so that a FIFO (or a device) put at the path after it was
/// looked at opens at once instead of blocking until a writer comes; the
/// caller then refuses it by the open file's kind. Reads of a regular file
/// are not affected by the flag. The descriptor is close-on-exec, as every
/// file std opens.
pub(crate) fn open_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}
