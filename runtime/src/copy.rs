//! Loading a library from a private copy of its file: what a signed load
//! maps (so that what runs is what was checked) and what hot reload maps
//! (so that a build can write over the file while the old version runs).
//! See docs/ARCHITECTURE.md, "Private copies".

use std::path::Path;

use crate::Error;
use crate::preflight::Opened;

/// What a private copy of a library file is a copy of.
///
/// On Unix the copy is made here and pre-flight reads it (`Opened::file`
/// is the copy); on Windows `Opened::file` stays the file, open sharing
/// reading only so that nobody can change it, and the library's name
/// (`os::generation_name`) is a copy of it made from that handle.
pub(crate) struct CopyOf {
    /// The file's metadata: its identity and its version, under which the
    /// library loaded from the copy is filed ([`crate::os::copy_key`]).
    #[cfg(unix)]
    pub(crate) origin: std::fs::Metadata,
    /// Where the copy is, for a loader that needs a path (macOS, the
    /// BSDs); removed once loaded.
    #[cfg(all(unix, not(target_os = "linux")))]
    pub(crate) private: crate::os::PrivateCopy,
}

/// The library at `path`, open as `opened`, to be loaded from a private
/// copy that nobody can change:
///
/// - on Linux, a copy in memory sealed against writes (`memfd_create`),
///   loaded as `/proc/self/fd/N`;
/// - on macOS and the BSDs, whose loader takes paths only, a read-only
///   copy in a new folder only this user can enter, removed once loaded;
/// - on Windows, a copy in this process's private folder made when it is
///   loaded, from the file held open sharing reading only meanwhile.
///
/// A signature is then checked on `opened.file` as returned: the copy on
/// Unix, the locked file on Windows.
pub(crate) fn copied(path: &Path, opened: Opened) -> Result<Opened, Error> {
    #[cfg(unix)]
    {
        let failed = |err: std::io::Error| Error::Open {
            path: path.to_path_buf(),
            reason: format!("the private copy it is to be loaded from cannot be made: {err}"),
            source: Box::new(err),
        };
        let len = opened.metadata.len();
        #[cfg(target_os = "linux")]
        let (file, copy_of) = (
            crate::os::sealed_copy(&opened.file, len).map_err(failed)?,
            CopyOf {
                origin: opened.metadata,
            },
        );
        #[cfg(not(target_os = "linux"))]
        let (file, copy_of) = {
            let name = path.file_name().unwrap_or_default();
            let private = crate::os::private_copy(&opened.file, len, name).map_err(failed)?;
            let file = crate::os::open_file(&private.path).map_err(failed)?;
            (
                file,
                CopyOf {
                    origin: opened.metadata,
                    private,
                },
            )
        };
        let metadata = file.metadata().map_err(failed)?;
        let mut copied = Opened::new(file, metadata);
        copied.copy_of = Some(copy_of);
        Ok(copied)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        let mut opened = opened;
        opened.copy_of = Some(CopyOf {});
        Ok(opened)
    }
}
