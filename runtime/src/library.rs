//! The shared handle to an open library, and the registry that makes every
//! loader of one file share one handle.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::error::OsText;
use crate::os::{FileKey, RawLibrary, file_key, path_key};
use crate::{Error, LoadOptions};

/// A shared handle to an open library. Cloning it shares the library; the
/// library is released when the last clone goes (and, by default, stays
/// mapped: see [`LoadOptions::unload_when_unused`]).
#[derive(Clone)]
pub(crate) struct Library {
    shared: Arc<Shared>,
    /// Whether this handle (and its clones) was opened asking to keep the
    /// library mapped: counted in [`Shared::keepers`].
    keeps: bool,
}

struct Shared {
    /// `Some` until the library is released.
    raw: Option<RawLibrary>,
    path: PathBuf,
    /// `None` for a library opened by name (the system found the file).
    key: Option<FileKey>,
    /// The generation slot its name takes at its path, freed when the
    /// library is really unloaded.
    slot: Option<Slot>,
    /// An address inside the library (its dynamic section, or else the
    /// first symbol found in it), to ask the system after closing whether
    /// it still maps the library; 0 while unknown.
    anchor: AtomicUsize,
    /// The name the dynamic loader knows the library by, where it can be
    /// asked: what is found at `anchor` after closing must bear it.
    loaded_name: Box<[u8]>,
    /// How many handles (not counting clones) were opened asking to keep
    /// the library mapped, ever: unloading is allowed only if none did,
    /// and a forced unload ([`Library::unload`]) only if none other than
    /// the unloading one did. A loader that kept the library mapped
    /// promised its user that nothing of the plugin's would dangle, even
    /// after it is gone.
    keepers: AtomicUsize,
    /// Set when the first object that holds no handle is made
    /// ([`Library::hold`]): from then on the library is never unloaded,
    /// not even by a forced unload.
    pinned: OnceLock<&'static Pinned>,
    /// For a signed file on Linux, a descriptor of its sealed copy, which
    /// the loader knows the library by (`/proc/self/fd/N`, [`pinned_name`]): closed once the
    /// library is really unloaded, never while the loader may know its
    /// name.
    #[cfg(target_os = "linux")]
    pinned_fd: Option<std::os::fd::RawFd>,
}

/// What keeps the code of an object of a plugin's loaded, and names the
/// plugin in its panics: a handle, counted like a loader's; or, for a
/// library that is never unloaded, a pointer to what is left of it then.
#[derive(Clone)]
pub(crate) enum Hold {
    /// A handle: the library is unloaded after its last loader and object
    /// (`LoadOptions::unload_when_unused`).
    Counted(Library),
    /// A library that stays mapped for the rest of the process: nothing to
    /// count, so making and dropping the object touches no shared counter.
    Pinned(&'static Pinned),
}

/// A library that stays mapped for the rest of the process, as its objects
/// that hold no handle see it. Made once per library, never freed (the
/// library is never unmapped either).
pub(crate) struct Pinned {
    path: PathBuf,
    /// An address inside the library (0: unknown), to find it from an
    /// object's table ([`Library::owning`]) after its handles are gone.
    inside: usize,
}

/// Every pinned library: found from an address after its handles are gone.
static PINNED: Mutex<Vec<&'static Pinned>> = Mutex::new(Vec::new());

fn pinned() -> std::sync::MutexGuard<'static, Vec<&'static Pinned>> {
    // Every change is one push: a poisoned lock is fine.
    PINNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Hold {
    /// The path the library was first opened with.
    pub(crate) fn path(&self) -> &Path {
        match self {
            Hold::Counted(lib) => lib.path(),
            Hold::Pinned(pinned) => &pinned.path,
        }
    }
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

/// Every open library filed under `key`.
fn candidates(entries: &[(FileKey, Weak<Shared>)], key: &FileKey) -> Vec<Arc<Shared>> {
    entries
        .iter()
        .filter(|(k, _)| k == key)
        .filter_map(|(_, weak)| weak.upgrade())
        .collect()
}

/// Of `candidates`, libraries loaded from a private copy of a file under
/// the same identity and version, the one whose copy holds the very bytes
/// of `copy`. The version (the change time) does not tell every change: a
/// file written through a shared mapping keeps its change time once its
/// pages are writable, so a load that checked other bytes (or none: a
/// signed load after an unsigned one) must not be handed that library.
/// Where the loaded copy is not kept to compare (every platform but
/// Linux), none: there every copy has a key of its own (`os::copy_key`),
/// so there are no candidates either.
fn same_copy(candidates: Vec<Arc<Shared>>, copy: &std::fs::File) -> Option<Arc<Shared>> {
    #[cfg(target_os = "linux")]
    {
        candidates.into_iter().find(|shared| {
            shared
                .pinned_fd
                .is_some_and(|fd| crate::os::same_bytes(copy, fd).unwrap_or(false))
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (candidates, copy);
        None
    }
}

impl Library {
    /// Opens the library at `path`, as pre-flight `opened` it (the file
    /// itself, or the private copy of it a signed load maps), or shares
    /// the handle of a loader that already opened the same file.
    ///
    /// # Safety
    ///
    /// Opening a library runs its initialisers: the caller trusts the file.
    pub(crate) unsafe fn open(
        path: &Path,
        opened: &crate::preflight::Opened,
        options: &LoadOptions,
    ) -> Result<Library, Error> {
        let (file, metadata) = (&opened.file, &opened.metadata);
        let copy_of = opened.copy_of.as_ref();
        let key = match copy_of {
            Some(copy) => crate::os::copy_key(file, metadata, copy),
            None => file_key(file, metadata),
        }
        .map_err(|err| Error::io(path, err))?;
        let found = match copy_of {
            None => find(&registry(), &key),
            // Outside the registry's lock: it reads both copies.
            Some(_) => same_copy(candidates(&registry(), &key), file),
        };
        if let Some(shared) = found {
            return Ok(Library::share(shared, options));
        }

        let (name, slot) =
            generations::name(path, &key, file, copy_of.is_some()).map_err(|err| {
                // Only where a new generation loads from a copy (Windows).
                let mut error = Error::io(path, err);
                if let Error::Open { reason, .. } = &mut error {
                    *reason = format!(
                        "another file from this path is already loaded, and the copy its new \
                     file must be loaded from cannot be made: {reason}"
                    );
                }
                error
            })?;
        // A private copy of a verified file is mapped by a name of its own,
        // whatever is at the path by now.
        #[cfg(target_os = "linux")]
        let (name, pinned_fd) = match copy_of.is_some() {
            true => pinned_name(file)
                .map(|(name, fd)| (name, Some(fd)))
                .map_err(|err| {
                    generations::release(&slot);
                    Error::io(path, err)
                })?,
            false => (name, None),
        };
        #[cfg(all(unix, not(target_os = "linux")))]
        let name = match copy_of {
            Some(copy) => copy.private.path.clone(),
            None => name,
        };
        #[cfg(target_os = "linux")]
        let kept_fd;
        // SAFETY: the caller trusts the library's initialisers.
        let raw = match unsafe { RawLibrary::open(&name) } {
            // The loader knows a library by the name now (even one it gives
            // back below): its descriptor is closed only once that library
            // is really unloaded (`Shared::unloaded`), else never.
            Ok(raw) => {
                #[cfg(target_os = "linux")]
                {
                    kept_fd = pinned_fd.map(std::os::fd::IntoRawFd::into_raw_fd);
                }
                raw
            }
            // The loader mapped nothing under the name: its descriptor (if
            // any) is closed as `pinned_fd` goes.
            Err(err) => {
                generations::release(&slot);
                // Pre-flight passed the file, which is not mapped: once it
                // is deleted, its inode number may go to another file.
                crate::preflight::forget_file(metadata);
                let mut error = Error::loader(path, &name, &err);
                if let Error::Open { reason, .. } = &mut error {
                    if slot.index > 0 && reason == "the name is too long" {
                        // The path is not too long: the name of its new
                        // generation is (see `generations`).
                        *reason = format!(
                            "another file from this path is already loaded, and the name \
                             its new file needs (the path with `./` added, {} bytes) is \
                             longer than the system takes",
                            name.as_os_str().len()
                        );
                    }
                }
                return Err(error);
            }
        };

        // The loader opened whatever file was at the path then (or, for a
        // name it knows, the library it has under that name, which is the
        // file of `key`). If the path is no longer that file, the library
        // may be another file's: filing it under `key` would give it to a
        // later file that gets this file's inode number once it is freed.
        // It stays mapped (its initialisers ran), its name taken for ever.
        // (A private copy of a verified file is what was loaded, whatever
        // is at the path now.)
        if copy_of.is_none() && path_key(path).ok().as_ref() != Some(&key) {
            raw.leak();
            generations::poison(&slot);
            crate::preflight::forget_file(metadata);
            return Err(Error::InvalidLibrary {
                path: path.to_path_buf(),
                reason: "the file changed while it was being loaded (another file was put \
                         at its path); load it again"
                    .to_owned(),
            });
        }

        let mut entries = registry();
        let found = match copy_of {
            None => find(&entries, &key),
            Some(_) => same_copy(candidates(&entries, &key), file),
        };
        if let Some(shared) = found {
            // Another thread opened the same file meanwhile: use its handle
            // and give back ours (the loader's reference count keeps the
            // library mapped for the other handle, which holds the slot too).
            drop(entries);
            let _ = raw.close();
            generations::release(&slot);
            return Ok(Library::share(shared, options));
        }
        let inside = raw.inside();
        let loaded_name = raw.loaded_name();
        let shared = Arc::new(Shared {
            raw: Some(raw),
            path: path.to_path_buf(),
            key: Some(key.clone()),
            slot: Some(slot),
            anchor: AtomicUsize::new(inside),
            loaded_name,
            keepers: AtomicUsize::new(usize::from(!options.unload_when_unused)),
            pinned: OnceLock::new(),
            #[cfg(target_os = "linux")]
            pinned_fd: kept_fd,
        });
        entries.retain(|(_, weak)| weak.strong_count() > 0);
        entries.push((key, Arc::downgrade(&shared)));
        Ok(Library {
            shared,
            keeps: !options.unload_when_unused,
        })
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
        let inside = raw.inside();
        let loaded_name = raw.loaded_name();
        Ok(Library {
            shared: Arc::new(Shared {
                raw: Some(raw),
                path: PathBuf::from(name),
                key: None,
                slot: None,
                anchor: AtomicUsize::new(inside),
                loaded_name,
                keepers: AtomicUsize::new(usize::from(!options.unload_when_unused)),
                pinned: OnceLock::new(),
                #[cfg(target_os = "linux")]
                pinned_fd: None,
            }),
            keeps: !options.unload_when_unused,
        })
    }

    fn share(shared: Arc<Shared>, options: &LoadOptions) -> Library {
        let keeps = !options.unload_when_unused;
        if keeps {
            shared.keepers.fetch_add(1, Ordering::Relaxed);
        }
        Library { shared, keeps }
    }

    /// A handle to the open library that maps `address`, if dynplug opened
    /// one: the owner of an object whose table is at `address` and whose
    /// call gave no library (a plugin's object handed to the host's own
    /// object, or lent to it). `None` for the host's own code. The handle
    /// does not ask to keep the library mapped: it is released as the
    /// loaders' handles are.
    ///
    /// A pinned library ([`Library::hold`]) is found after its handles are
    /// gone, too.
    pub(crate) fn owning(address: usize) -> Option<Hold> {
        if registry().is_empty() && pinned().is_empty() {
            return None;
        }
        let module = RawLibrary::module_of(address)?;
        let inside = |at: usize| at != 0 && RawLibrary::module_of(at) == Some(module);
        // The handles are tried outside the registry's lock: one of them may
        // be the last (its loader dropped meanwhile), and dropping it then
        // runs the library's release, which takes that lock.
        let handles: Vec<std::sync::Weak<Shared>> =
            registry().iter().map(|(_, weak)| weak.clone()).collect();
        let open = handles.iter().find_map(|weak| {
            let shared = weak.upgrade()?;
            let at = match shared.anchor.load(Ordering::Relaxed) {
                0 => shared.raw.as_ref()?.inside(),
                anchor => anchor,
            };
            inside(at).then_some(Library {
                shared,
                keeps: false,
            })
        });
        // The locks are released: `hold` may pin.
        match open {
            Some(lib) => Some(lib.hold()),
            None => pinned()
                .iter()
                .find(|p| inside(p.inside))
                .map(|p| Hold::Pinned(p)),
        }
    }

    /// What an object of this library holds to keep its code loaded. A
    /// library that a handle asked to keep mapped is never unloaded (that
    /// count never goes down, see [`Shared::keepers`]): it is pinned, once,
    /// and its objects hold no handle, so that making and dropping one
    /// touches no shared counter. Otherwise a handle, counted like a
    /// loader's: the library is unloaded after its last loader and object.
    #[inline]
    pub(crate) fn hold(&self) -> Hold {
        if let Some(pinned) = self.shared.pinned.get() {
            return Hold::Pinned(pinned);
        }
        if self.shared.keepers.load(Ordering::Relaxed) == 0 {
            return Hold::Counted(self.clone());
        }
        Hold::Pinned(self.pin())
    }

    /// Pins the library (see [`hold`](Library::hold)).
    #[cold]
    #[inline(never)]
    fn pin(&self) -> &'static Pinned {
        self.shared.pinned.get_or_init(|| {
            let inside = match self.shared.anchor.load(Ordering::Relaxed) {
                0 => self.shared.raw.as_ref().map_or(0, RawLibrary::inside),
                anchor => anchor,
            };
            let new: &'static Pinned = Box::leak(Box::new(Pinned {
                path: self.shared.path.clone(),
                inside,
            }));
            pinned().push(new);
            new
        })
    }

    /// The path the library was first opened with.
    pub(crate) fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The address of `symbol`, if the library exports it.
    pub(crate) fn symbol(&self, symbol: &str) -> Option<*const c_void> {
        let found = self.shared.raw.as_ref()?.symbol(symbol)?;
        if self.shared.anchor.load(Ordering::Relaxed) == 0 {
            self.shared.anchor.store(found as usize, Ordering::Relaxed);
        }
        Some(found)
    }

    /// Releases this handle: when it is the last one, unloads the library
    /// if unloading is allowed (and says whether the system unmapped it),
    /// else keeps it mapped. While other handles use the library,
    /// [`Error::InUse`].
    pub(crate) fn close(self) -> Result<Closed, Error> {
        self.close_last(false)
    }

    /// Unloads the library now, whether or not this handle allowed
    /// unloading when it was opened, unless another handle still uses it
    /// or another handle that asked to keep it mapped ever shared it (its
    /// loader promised that nothing of the plugin's would dangle), or it is
    /// pinned (objects of it that hold no handle may live: [`Library::hold`]).
    ///
    /// # Safety
    ///
    /// Nothing of the library's (code, data, a thread, a callback) may be
    /// used or run afterwards.
    pub(crate) unsafe fn unload(self) -> Result<Closed, Error> {
        self.close_last(true)
    }

    /// [`close`](Library::close), unloading if `force` or allowed.
    fn close_last(self, force: bool) -> Result<Closed, Error> {
        let keeps = self.keeps;
        let shared = match Arc::try_unwrap(self.shared) {
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
        let keepers = shared.keepers.load(Ordering::Relaxed);
        // Objects that hold no handle may still use a pinned library.
        let unload = shared.pinned.get().is_none()
            && if force {
                keepers == usize::from(keeps)
            } else {
                keepers == 0
            };
        shared.release(unload)
    }
}

impl Shared {
    /// The library is gone: its name's slot is free. (The checked-files
    /// cache keeps its own descriptor of a file it remembers, so the
    /// file's inode number cannot go to another file meanwhile.)
    fn unloaded(&mut self) {
        if let Some(slot) = self.slot.take() {
            generations::release(&slot);
        }
        #[cfg(target_os = "linux")]
        if let Some(fd) = self.pinned_fd.take() {
            // SAFETY: `fd` is the duplicate `pinned_name` made for this
            // library alone, which nothing else closes; the loader no longer
            // knows the library, so no name of it refers to the descriptor.
            drop(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        }
    }

    /// After closing: whether the system still maps the library, as far
    /// as can be told (without an address inside it, assumed so).
    fn still_mapped(&self) -> bool {
        match self.anchor.load(Ordering::Relaxed) {
            0 => true,
            address => RawLibrary::maps(address, &self.loaded_name),
        }
    }

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
        if self.still_mapped() {
            Ok(Closed::StillMapped)
        } else {
            self.unloaded();
            Ok(Closed::Unloaded)
        }
    }
}

/// A generation's slot at a path: see [`generations`].
pub(crate) struct Slot {
    anchored: PathBuf,
    index: usize,
}

/// A name under which the dynamic loader opens `file` itself, whatever is
/// at its path by then: `/proc/self/fd/N` of a duplicate of it, returned
/// with the name. Once the loader has opened a library by the name, the
/// duplicate is never closed, so that no later library opened through this
/// route has the same name (glibc hands back an open library whose name
/// matches, without opening the file): one descriptor per verified file
/// loaded, which stays mapped in any case unless unloading was allowed. If
/// the loader fails, the name is no library's, and the duplicate is closed.
///
/// Other code may have loaded a library as `/proc/self/fd/N` and closed
/// that descriptor (loading from memory does): the loader would hand that
/// library back for the name, so a number whose name it already has is
/// passed over (the duplicates that bear one are closed once a free one is
/// found).
#[cfg(target_os = "linux")]
fn pinned_name(file: &std::fs::File) -> std::io::Result<(PathBuf, std::os::fd::OwnedFd)> {
    use std::os::fd::AsRawFd;
    let mut taken = Vec::new();
    loop {
        let fd = std::os::fd::OwnedFd::from(file.try_clone()?);
        let name = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        if !RawLibrary::name_in_use(&name) {
            return Ok((name, fd));
        }
        taken.push(fd);
    }
}

/// The names handed to the dynamic loader for the files found at a path:
/// each file loaded at a path takes a slot there, and the platform layer
/// (`os::generation_name`) gives each slot a name the loader has for no
/// other library. On Unix (below) the path spelled another way; on
/// Windows, whose loader knows modules by full path, the path itself for
/// the first slot and a private copy of the file for the others.
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
/// again by the next new file. A slot whose name the loader already gives
/// to a library it found otherwise (searching for a bare name, as a
/// dependency, opened by other code) is passed over.
///
/// A slot counts its holders: every handle opened under its name until
/// its library is known to be unloaded (a leaked one holds it for ever).
/// So a slot is never given to another file while the dynamic loader may
/// still know its name, even when one thread unloads a file as another
/// opens it again.
mod generations {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use super::Slot;
    use crate::os::{self, FileKey};

    /// For each anchored path, the file holding each slot, how many
    /// handles hold it and the name it was given (`None`: free). A slot
    /// held by no file (`None` as its key) is taken for ever: the loader
    /// gives its name to a library whose file is unknown ([`poison`]).
    type Slots = Vec<(PathBuf, Vec<Option<(Option<FileKey>, usize, PathBuf)>>)>;
    static SLOTS: Mutex<Slots> = Mutex::new(Vec::new());

    fn slots() -> std::sync::MutexGuard<'static, Slots> {
        // Every change is one assignment or push: a poisoned list is whole.
        SLOTS.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The name for the file `key` at `path`, open as `file` (to be loaded
    /// from a private copy if `copy`), and the slot it holds.
    pub(super) fn name(
        path: &Path,
        key: &FileKey,
        file: &std::fs::File,
        copy: bool,
    ) -> std::io::Result<(PathBuf, Slot)> {
        // Spelled by its components: paths equal as `Path`s (`dir/./x.so`,
        // `dir//x.so`, `dir/x.so`) share one list of slots, so they must
        // also make the same names, or one spelling's slot `n` would be
        // another's slot `m` to the dynamic loader, which compares names
        // as strings.
        let anchored: PathBuf = if path.is_relative() {
            Path::new(".").join(path)
        } else {
            path.to_path_buf()
        }
        .components()
        .collect();
        let mut all = slots();
        let at = match all.iter().position(|(p, _)| *p == anchored) {
            Some(at) => at,
            None => {
                all.push((anchored.clone(), Vec::new()));
                all.len() - 1
            }
        };
        let slots = &mut all[at].1;
        let held = slots.iter_mut().enumerate().find_map(|(i, s)| {
            s.as_mut()
                .filter(|(k, _, _)| k.as_ref() == Some(key))
                .map(|s| (i, s))
        });
        let (index, name) = if let Some((index, (_, holders, name))) = held {
            *holders += 1;
            (index, name.clone())
        } else {
            // The first free slot whose name the dynamic loader does not
            // already give to a library found otherwise (by a search for a
            // bare name, as a dependency, by other code).
            let mut index = 0;
            while slots.get(index).is_some_and(Option::is_some) || os::name_taken(&anchored, index)
            {
                index += 1;
            }
            let name = os::generation_name(&anchored, index, file, copy)?;
            if index >= slots.len() {
                slots.resize(index + 1, None);
            }
            slots[index] = Some((Some(key.clone()), 1, name.clone()));
            (index, name)
        };
        drop(all);
        Ok((name, Slot { anchored, index }))
    }

    /// Lets go of `slot`: this holder's library was unloaded, or never
    /// opened. The last holder frees it.
    pub(super) fn release(slot: &Slot) {
        let mut all = slots();
        if let Some((_, slots)) = all.iter_mut().find(|(p, _)| *p == slot.anchored) {
            if let Some(entry) = slots.get_mut(slot.index) {
                match entry {
                    Some((None, _, _)) => {}
                    Some((_, holders, _)) if *holders > 1 => *holders -= 1,
                    Some((_, _, name)) => {
                        os::generation_gone(name);
                        *entry = None;
                    }
                    None => {}
                }
            }
        }
    }

    /// Takes `slot` for ever from every file: the dynamic loader gave its
    /// name to a library that may not be the slot's file (the file at the
    /// path changed while it was being opened), and a later file given
    /// that file's inode number must not get that library by the name.
    pub(super) fn poison(slot: &Slot) {
        let mut all = slots();
        if let Some((_, slots)) = all.iter_mut().find(|(p, _)| *p == slot.anchored) {
            if let Some(Some((key, _, _))) = slots.get_mut(slot.index) {
                *key = None;
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(own) = &self.key {
            registry().retain(|(key, weak)| key != own || weak.strong_count() > 0);
        }
        if let Some(raw) = self.raw.take() {
            if self.keepers.load(Ordering::Relaxed) == 0 {
                // Nobody is left to hear about a failure: the library then
                // simply stays mapped, and keeps its name's slot.
                if raw.close().is_ok() && !self.still_mapped() {
                    self.unloaded();
                }
            } else {
                raw.leak();
            }
        }
    }
}
