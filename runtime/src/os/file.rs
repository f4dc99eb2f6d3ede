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
