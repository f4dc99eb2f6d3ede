//! The platform layer: opening, looking up and closing a library, and
//! telling whether two paths are the same file, and the name each new file
//! at a path is loaded by (`generation_name`). One small module per OS;
//! everything above it is portable.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

/// Opening a library file for pre-flight without blocking.
mod file;
#[cfg(all(unix, not(target_vendor = "apple")))]
pub(crate) use file::read_at;
#[cfg(target_os = "linux")]
pub(crate) use file::sealed_copy;
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) use file::{PrivateCopy, private_copy};
pub(crate) use file::{open_file, open_file_to_load};
