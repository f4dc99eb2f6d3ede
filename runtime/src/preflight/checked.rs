//! Files that passed the quick pre-flight for an interface, by what
//! identifies their contents: loading one of them again (another instance
//! of a plugin, a reload) skips reading it, unless it changed since.
//!
//! A file is the same while its device, inode, size, modification and
//! change times are: writing to a file or replacing it changes its change
//! time, which no program can set back. Each remembered file is kept open,
//! so that its inode number cannot go to another file while it is
//! remembered (a freed inode number is reused at once, and file times are
//! only as fine as the kernel's clock tick: a new file could otherwise
//! match a deleted one's stamp). What a repeated load still checks is
//! everything after `dlopen`: the record in memory must equal the host's.

use std::fs::{File, Metadata};
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;

/// What identifies a file's contents.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(metadata: &Metadata) -> Stamp {
        Stamp {
            dev: metadata.dev(),
            ino: metadata.ino(),
            size: metadata.size(),
            mtime: (metadata.mtime(), metadata.mtime_nsec()),
            ctime: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }
}

/// At most this many files are remembered, the latest first.
const KEEP: usize = 64;

/// Each file, with the address of the record it matched (an
/// interface's `META`), and the file kept open.
type Entries = Vec<((Stamp, usize), File)>;
static CHECKED: Mutex<Entries> = Mutex::new(Vec::new());

fn list() -> std::sync::MutexGuard<'static, Entries> {
    // Every change is one insert or truncate: a poisoned list is whole.
    CHECKED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether the file of `metadata` passed for the interface of `meta`.
pub(crate) fn contains(metadata: &Metadata, meta: &'static [u8]) -> bool {
    let entry = (Stamp::of(metadata), meta.as_ptr() as usize);
    list().iter().any(|(e, _)| *e == entry)
}

/// Remembers that the file open as `file`, of `metadata`, passed for
/// `meta` (keeping a descriptor of it open; if none can be had, it is not
/// remembered).
pub(crate) fn insert(file: &File, metadata: &Metadata, meta: &'static [u8]) {
    let entry = (Stamp::of(metadata), meta.as_ptr() as usize);
    let mut list = list();
    if !list.iter().any(|(e, _)| *e == entry) {
        let Ok(kept) = file.try_clone() else {
            return;
        };
        list.insert(0, (entry, kept));
        list.truncate(KEEP);
    }
}

/// Forgets every file: the next load of each reads it again. For
/// dynplug's benchmarks and tests (`__private::forget_checked_files`).
pub fn clear() {
    list().clear();
}

/// Forgets the file of `metadata`: its library was unloaded (or never
/// mapped), so its inode number may go to another file, which could then
/// match its stamp (file times are only as fine as the kernel's clock
/// tick). While a library is mapped, its file's inode cannot be reused.
pub(crate) fn forget(metadata: &Metadata) {
    let (dev, ino) = (metadata.dev(), metadata.ino());
    list().retain(|((stamp, _), _)| (stamp.dev, stamp.ino) != (dev, ino));
}
