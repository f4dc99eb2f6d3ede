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
    /// `None` for a library opened by name (the system found the file).
    key: Option<FileKey>,
    unload_when_unused: AtomicBool,
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

        let name = loader_name(path, &key);
        // SAFETY: the caller trusts the library's initialisers.
        let raw = unsafe { RawLibrary::open(&name) }.map_err(|err| Error::Open {
            path: path.to_path_buf(),
            source: OsText::from_chain(&err),
        })?;

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
            key: Some(key.clone()),
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
            key: None,
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

    /// Unloads the library now, unless another handle still uses it.
    pub(crate) fn close(self) -> Result<(), Error> {
        match Arc::try_unwrap(self.0) {
            Ok(mut shared) => {
                let path = shared.path.clone();
                let raw = shared.raw.take();
                drop(shared);
                match raw {
                    Some(raw) => raw.close().map_err(|err| Error::Close {
                        path,
                        source: OsText::from_chain(&err),
                    }),
                    None => Ok(()),
                }
            }
            Err(shared) => {
                let others = Arc::strong_count(&shared) - 1;
                let path = shared.path.clone();
                match Arc::into_inner(shared) {
                    // The others let go meanwhile: this was the last handle.
                    Some(shared) => Library(Arc::new(shared)).close(),
                    None => Err(Error::InUse { path, others }),
                }
            }
        }
    }
}

/// For each path given to the dynamic loader, the files (by identity) that
/// were loaded through it, in order: generations of a file rebuilt in place.
static GENERATIONS: Mutex<Vec<(PathBuf, Vec<FileKey>)>> = Mutex::new(Vec::new());

/// The name to hand the dynamic loader for the file `key` at `path`.
///
/// A bare file name would make the loader search the system
/// (`LD_LIBRARY_PATH`, its cache, ...), so relative paths are anchored with
/// `./`. And glibc's loader reuses an already loaded library whose *name*
/// matches before it looks at the file: a plugin rebuilt at the same path
/// (a new file) would silently get the old code, which stays mapped by
/// default. Each new file seen at a path therefore gets a name of its own,
/// with one more `./` in it: the same file, spelled differently.
fn loader_name(path: &Path, key: &FileKey) -> PathBuf {
    let anchored = if path.is_relative() {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    };
    let mut generations = GENERATIONS.lock().unwrap_or_else(|p| p.into_inner());
    let index = match generations.iter_mut().find(|(p, _)| *p == anchored) {
        Some((_, keys)) => match keys.iter().position(|k| k == key) {
            Some(index) => index,
            None => {
                keys.push(key.clone());
                keys.len() - 1
            }
        },
        None => {
            generations.push((anchored.clone(), vec![key.clone()]));
            0
        }
    };
    if index == 0 {
        return anchored;
    }
    let (Some(dir), Some(file)) = (anchored.parent(), anchored.file_name()) else {
        return anchored;
    };
    let mut name = dir.to_path_buf();
    for _ in 0..index {
        name.push(".");
    }
    name.push(file);
    name
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(own) = &self.key {
            registry().retain(|(key, weak)| key != own || weak.strong_count() > 0);
        }
        if let Some(raw) = self.raw.take() {
            if self.unload_when_unused.load(Ordering::Relaxed) {
                // Nobody is left to hear about a failure: the library then
                // simply stays mapped.
                let _ = raw.close();
            } else {
                raw.leak();
            }
        }
    }
}
