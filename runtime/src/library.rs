//! The shared handle to an open library, and the registry that makes every
//! loader of one file share one handle.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::error::OsText;
use crate::os::{FileKey, RawLibrary, file_key};
use crate::{Error, LoadOptions};

/// A shared handle to an open library. Cloning it shares the library; the
/// library is released when the last clone goes (and, by default, stays
/// mapped: see [`LoadOptions::unload_when_unused`]).
#[derive(Clone)]
pub(crate) struct Library(Arc<Shared>);

struct Shared {
    /// `Some` until the library is released.
    raw: Option<RawLibrary>,
    path: PathBuf,
    /// What the dynamic loader was handed: the path, spelled as its
    /// generation's name (see [`generations`]), or the name searched for.
    name: PathBuf,
    /// `None` for a library opened by name (the system found the file).
    key: Option<FileKey>,
    /// The generation slot its name takes at its path, freed when the
    /// library is really unloaded.
    slot: Option<Slot>,
    unload_when_unused: AtomicBool,
}

/// What became of a library when a loader was closed: the `Ok` of a
/// loader's `close()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Closed {
    /// The library stays mapped, as it does by default: unloading was not
    /// allowed ([`LoadOptions::unload_when_unused`]). Nothing of the
    /// plugin's can dangle.
    KeptMapped,
    /// The operating system unloaded the library: it is no longer mapped.
    Unloaded,
    /// Unloading was allowed and asked for, the operating system accepted,
    /// but the library is still mapped: glibc keeps a library while a
    /// thread-local destructor of it is registered on a living thread, or
    /// while another part of the process opened it or depends on it; musl
    /// never unloads.
    StillMapped,
}

/// Every open library, by file identity. The registry holds weak handles:
/// it never keeps a library open by itself.
static REGISTRY: Mutex<Vec<(FileKey, Weak<Shared>)>> = Mutex::new(Vec::new());

fn registry() -> std::sync::MutexGuard<'static, Vec<(FileKey, Weak<Shared>)>> {
    // A panic while the lock was held cannot leave the list inconsistent
    // (every change is one push or retain), so a poisoned lock is fine.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn find(entries: &[(FileKey, Weak<Shared>)], key: &FileKey) -> Option<Arc<Shared>> {
    entries
        .iter()
        .filter(|(k, _)| k == key)
        .find_map(|(_, weak)| weak.upgrade())
}

impl Library {
    /// Opens the library at `path`, whose pre-flight found `metadata`, or
    /// shares the handle of a loader that already opened the same file.
    ///
    /// # Safety
    ///
    /// Opening a library runs its initialisers: the caller trusts the file.
    pub(crate) unsafe fn open(
        path: &Path,
        metadata: &std::fs::Metadata,
        options: &LoadOptions,
    ) -> Result<Library, Error> {
        let key = file_key(path, metadata);
        if let Some(shared) = find(&registry(), &key) {
            return Ok(Library::share(shared, options));
        }

        let (name, slot) = generations::name(path, &key);
        // SAFETY: the caller trusts the library's initialisers.
        let raw = match unsafe { RawLibrary::open(&name) } {
            Ok(raw) => raw,
            Err(err) => {
                generations::release(&slot);
                return Err(Error::loader(path, &name, &err));
            }
        };

        let mut entries = registry();
        if let Some(shared) = find(&entries, &key) {
            // Another thread opened the same file meanwhile: use its handle
            // and give back ours (the loader's reference count keeps the
            // library mapped for the other handle).
            drop(entries);
            let _ = raw.close();
            return Ok(Library::share(shared, options));
        }
        let shared = Arc::new(Shared {
            raw: Some(raw),
            path: path.to_path_buf(),
            name,
            key: Some(key.clone()),
            slot: Some(slot),
            unload_when_unused: AtomicBool::new(options.unload_when_unused),
        });
        entries.retain(|(_, weak)| weak.strong_count() > 0);
        entries.push((key, Arc::downgrade(&shared)));
        Ok(Library(shared))
    }

    /// Opens a library by name, letting the system's dynamic loader search
    /// for it (`LD_LIBRARY_PATH`, its cache, the system folders).
    ///
    /// # Safety
    ///
    /// Opening a library runs its initialisers: the caller trusts whatever
    /// file the system finds under that name.
    pub(crate) unsafe fn open_by_name(
        name: &str,
        options: &LoadOptions,
    ) -> Result<Library, libloading::Error> {
        // SAFETY: the caller trusts the library's initialisers.
        let raw = unsafe { RawLibrary::open(Path::new(name)) }?;
        Ok(Library(Arc::new(Shared {
            raw: Some(raw),
            path: PathBuf::from(name),
            name: PathBuf::from(name),
            key: None,
            slot: None,
            unload_when_unused: AtomicBool::new(options.unload_when_unused),
        })))
    }

    fn share(shared: Arc<Shared>, options: &LoadOptions) -> Library {
        if !options.unload_when_unused {
            shared.unload_when_unused.store(false, Ordering::Relaxed);
        }
        Library(shared)
    }

    /// The path the library was first opened with.
    pub(crate) fn path(&self) -> &Path {
        &self.0.path
    }

    /// The address of `symbol`, if the library exports it.
    pub(crate) fn symbol(&self, symbol: &str) -> Option<*const c_void> {
        self.0.raw.as_ref()?.symbol(symbol)
    }

    /// Releases this handle: when it is the last one, unloads the library
    /// if unloading is allowed (and says whether the system unmapped it),
    /// else keeps it mapped. While other handles use the library,
    /// [`Error::InUse`].
    pub(crate) fn close(self) -> Result<Closed, Error> {
        let shared = match Arc::try_unwrap(self.0) {
            Ok(shared) => shared,
            Err(shared) => {
                let others = Arc::strong_count(&shared) - 1;
                let path = shared.path.clone();
                match Arc::into_inner(shared) {
                    // The others let go meanwhile: this was the last handle.
                    Some(shared) => shared,
                    None => return Err(Error::InUse { path, others }),
                }
            }
        };
        let unload = shared.unload_when_unused.load(Ordering::Relaxed);
        shared.release(unload)
    }

    /// Unloads the library now, whether or not unloading was allowed when
    /// it was opened, unless another handle still uses it.
    ///
    /// # Safety
    ///
    /// Nothing of the library's (code, data, a thread, a callback) may be
    /// used or run afterwards.
    pub(crate) unsafe fn unload(self) -> Result<Closed, Error> {
        self.0.unload_when_unused.store(true, Ordering::Relaxed);
        self.close()
    }
}

impl Shared {
    /// Takes the library out of `self` and unloads it (`unload`) or keeps
    /// it mapped for the rest of the process.
    fn release(mut self, unload: bool) -> Result<Closed, Error> {
        let Some(raw) = self.raw.take() else {
            return Ok(Closed::KeptMapped);
        };
        if !unload {
            raw.leak();
            return Ok(Closed::KeptMapped);
        }
        raw.close().map_err(|err| Error::Close {
            path: self.path.clone(),
            source: OsText::from_chain(&err),
        })?;
        if RawLibrary::is_loaded(&self.name) {
            Ok(Closed::StillMapped)
        } else {
            if let Some(slot) = self.slot.take() {
                generations::release(&slot);
            }
            Ok(Closed::Unloaded)
        }
    }
}

/// A generation's slot at a path: see [`generations`].
pub(crate) struct Slot {
    anchored: PathBuf,
    index: usize,
}

/// The names handed to the dynamic loader for the files found at a path.
///
/// A bare file name would make the loader search the system
/// (`LD_LIBRARY_PATH`, its cache, ...), so relative paths are anchored with
/// `./`. And glibc's loader reuses an already loaded library whose *name*
/// matches before it looks at the file: a plugin rebuilt at the same path
/// (a new file) would silently get the old code, which stays mapped by
/// default. So each file loaded at a path takes a slot there, and slot `n`
/// gets a name of its own: the same path, spelled with `n` in binary as
/// `./` (a one) and `.//` (a zero) before the file name. Names grow with
/// the logarithm of the number of files (at most 42 more bytes up to
/// 16,383), and the slot of a library that was really unloaded is taken
/// again by the next new file.
mod generations {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use super::Slot;
    use crate::os::FileKey;

    /// For each anchored path, the file holding each slot (`None`: free).
    type Slots = Vec<(PathBuf, Vec<Option<FileKey>>)>;
    static SLOTS: Mutex<Slots> = Mutex::new(Vec::new());

    fn slots() -> std::sync::MutexGuard<'static, Slots> {
        // Every change is one assignment or push: a poisoned list is whole.
        SLOTS.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The name for the file `key` at `path`, and the slot it holds.
    pub(super) fn name(path: &Path, key: &FileKey) -> (PathBuf, Slot) {
        let anchored = if path.is_relative() {
            Path::new(".").join(path)
        } else {
            path.to_path_buf()
        };
        let mut all = slots();
        let index = match all.iter().position(|(p, _)| *p == anchored) {
            Some(at) => {
                let keys = &mut all[at].1;
                if let Some(index) = keys.iter().position(|k| k.as_ref() == Some(key)) {
                    index
                } else if let Some(index) = keys.iter().position(Option::is_none) {
                    keys[index] = Some(key.clone());
                    index
                } else {
                    keys.push(Some(key.clone()));
                    keys.len() - 1
                }
            }
            None => {
                all.push((anchored.clone(), vec![Some(key.clone())]));
                0
            }
        };
        drop(all);
        (spelled(&anchored, index), Slot { anchored, index })
    }

    /// Frees `slot`: its library is no longer loaded.
    pub(super) fn release(slot: &Slot) {
        let mut all = slots();
        if let Some((_, keys)) = all.iter_mut().find(|(p, _)| *p == slot.anchored) {
            if let Some(k) = keys.get_mut(slot.index) {
                *k = None;
            }
        }
    }

    /// `anchored`, spelled for slot `index`.
    pub(super) fn spelled(anchored: &Path, index: usize) -> PathBuf {
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
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(own) = &self.key {
            registry().retain(|(key, weak)| key != own || weak.strong_count() > 0);
        }
        if let Some(raw) = self.raw.take() {
            if self.unload_when_unused.load(Ordering::Relaxed) {
                // Nobody is left to hear about a failure: the library then
                // simply stays mapped, and keeps its name's slot.
                if raw.close().is_ok() && !RawLibrary::is_loaded(&self.name) {
                    if let Some(slot) = self.slot.take() {
                        generations::release(&slot);
                    }
                }
            } else {
                raw.leak();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::generations::spelled;
    use std::collections::HashSet;
    use std::path::Path;

    #[test]
    fn every_slot_has_its_own_short_name() {
        let path = Path::new("/plugins/libx.so");
        assert_eq!(spelled(path, 0), path);
        assert_eq!(spelled(path, 1), Path::new("/plugins/./libx.so"));
        assert_eq!(spelled(path, 2), Path::new("/plugins/././/libx.so"));
        let names: HashSet<_> = (0..10_000).map(|i| spelled(path, i)).collect();
        assert_eq!(names.len(), 10_000, "no two slots share a name");
        let longest = names.iter().map(|n| n.as_os_str().len()).max().unwrap();
        assert!(longest <= path.as_os_str().len() + 1 + 3 * 14, "{longest}");
    }
}
