//! `dynplug::Catalog`: the plugins in a folder, found by reading each
//! library file as `inspect` does, so that none of their code runs.

use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::inspect::{InterfaceInfo, LibraryInfo};
use crate::plugin::{Interface, Plugin, checked_layout};
use crate::preflight::{self, Depth, FileReport};
use crate::{Error, LoadOptions};

/// The plugins in a folder, read without running any of their code.
///
/// [`Catalog::scan`] reads every file of the folder whose name ends in the
/// platform's library suffix (`.so`, `.dylib`, `.dll`) through pre-flight
/// (no file is mapped, no initialiser runs; a large folder is read on
/// several threads), and sorts each one into the libraries it could read
/// or the [problems](Catalog::problems): a file that is not a valid
/// library, a library that exports no dynplug interface, a file that could
/// not be read. One bad file never spoils the scan, and none is skipped in
/// silence.
///
/// A scan reads what listing a file's exports takes, not every structure
/// the dynamic loader interprets: see [`scan`](Catalog::scan). Each entry's
/// [`load`](Entry::load) runs the whole pre-flight of `load` before the
/// file is mapped.
///
/// [`find`](Catalog::find) then lists the exports a host can load for one
/// of its interfaces, by the rules `load` applies (same ABI version, no
/// method whose signature differs; methods with a default body may be
/// missing on either side), and each entry loads with
/// [`Entry::load`](Entry::load).
///
/// ```no_run
/// # #[dynplug::plugin_interface]
/// # pub trait Greeter { fn greet(&self, name: &str) -> String; }
/// let catalog = dynplug::Catalog::scan("plugins")?;
/// for entry in catalog.find::<dyn Greeter>() {
///     let plugin: GreeterPlugin = entry.load()?;
///     println!("{}: {}", entry.path().display(), plugin.greet("world"));
/// }
/// for problem in catalog.problems() {
///     eprintln!("skipped: {problem}");
/// }
/// # Ok::<(), dynplug::Error>(())
/// ```
///
/// A scan is a snapshot: a file changed afterwards is checked again, in
/// full, when an entry is loaded.
pub struct Catalog {
    libraries: Vec<Scanned>,
    problems: Vec<Error>,
    signed_by: Option<crate::PublicKey>,
}

/// How [`Catalog::scan_with`] reads a folder.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    recursive: bool,
    signed_by: Option<crate::PublicKey>,
    thorough: bool,
}

impl ScanOptions {
    /// The defaults: the folder's own files, signed or not, read as far as
    /// listing their exports takes (see [`thorough`](ScanOptions::thorough)).
    pub fn new() -> ScanOptions {
        ScanOptions::default()
    }

    /// Whether to read the subfolders too, at any depth (default `false`).
    /// Symbolic links to folders are not followed.
    pub fn recursive(mut self, recursive: bool) -> ScanOptions {
        self.recursive = recursive;
        self
    }

    /// Requires every library to be signed with `key`, as
    /// [`LoadOptions::require_signature`] does for a load: a file whose
    /// signature is missing or wrong is a problem
    /// ([`Error::Untrusted`]), read no further; the entries load with the
    /// signature required again.
    pub fn require_signature(mut self, key: crate::PublicKey) -> ScanOptions {
        self.signed_by = Some(key);
        self
    }

    /// Whether to run every pre-flight check on each file at scan time, as
    /// `load` and [`inspect`](crate::inspect) do (default `false`).
    ///
    /// By default a scan reads and checks what listing a file's exports
    /// takes (the ELF headers, the dynamic section, the symbol and hash
    /// tables, dynplug's records, each read bounded and checked) and
    /// leaves the checks that only protect the dynamic loader (the
    /// relocations, the initialiser arrays, the version tables, the section
    /// headers, the entries of the table of functions) to
    /// [`Entry::load`], which runs them all before it maps the file. A
    /// file damaged only there is then listed, and its load fails with
    /// [`Error::InvalidLibrary`] saying why; a thorough scan makes it a
    /// [problem](Catalog::problems) instead, for about three times the
    /// processor time of a scan. Only ELF platforms (Linux, the BSDs) make the distinction:
    /// elsewhere every scan is thorough.
    pub fn thorough(mut self, thorough: bool) -> ScanOptions {
        self.thorough = thorough;
        self
    }
}

/// A library the scan could read.
struct Scanned {
    info: LibraryInfo,
    report: FileReport,
}

impl Catalog {
    /// Reads the library files directly in `dir` (not in its subfolders;
    /// see [`scan_recursive`](Catalog::scan_recursive)), in name order.
    ///
    /// Each file is read as far as listing its exports takes: on ELF
    /// platforms the ELF header, the program headers, the dynamic section
    /// and its strings, the hash and symbol tables and dynplug's records,
    /// each read bounded and checked, so that no file can crash, hang or
    /// exhaust the scan. The checks that only protect the dynamic loader
    /// (relocations, initialiser arrays, version tables, section headers,
    /// the entries of the plugin's table of functions) are left to
    /// [`Entry::load`], which runs every check of `load` before it maps the
    /// file: a file damaged only there is listed, and its load fails with
    /// [`Error::InvalidLibrary`] giving the reason [`inspect`](crate::inspect)
    /// gives, before any of its code runs. This makes a scan about three
    /// times cheaper; [`ScanOptions::thorough`] runs every check at scan
    /// time instead. (On other platforms every scan is thorough.)
    ///
    /// # Errors
    ///
    /// [`Error::Open`] if `dir` itself cannot be read. Each file that
    /// cannot be read is one of [`problems`](Catalog::problems) instead.
    pub fn scan(dir: impl AsRef<Path>) -> Result<Catalog, Error> {
        Catalog::scan_with(dir, &ScanOptions::new())
    }

    /// Like [`scan`](Catalog::scan), and the subfolders too, at any depth.
    /// Symbolic links to folders are not followed (a link to a library file
    /// is read as the file).
    ///
    /// # Errors
    ///
    /// As for [`scan`](Catalog::scan): only if `dir` itself cannot be read.
    pub fn scan_recursive(dir: impl AsRef<Path>) -> Result<Catalog, Error> {
        Catalog::scan_with(dir, &ScanOptions::new().recursive(true))
    }

    /// Like [`scan`](Catalog::scan), with options: subfolders, signatures.
    ///
    /// # Errors
    ///
    /// As for [`scan`](Catalog::scan): only if `dir` itself cannot be read.
    pub fn scan_with(dir: impl AsRef<Path>, options: &ScanOptions) -> Result<Catalog, Error> {
        let dir = dir.as_ref();
        let mut files = Vec::new();
        let mut problems = Vec::new();
        list(dir, options.recursive, &mut files, &mut problems).map_err(|source| Error::Open {
            path: dir.to_path_buf(),
            reason: format!("cannot read the folder: {source}"),
            source: Box::new(source),
        })?;
        debug_assert!(files.is_sorted(), "`list` gives the files in path order");
        let mut libraries = Vec::new();
        for result in read_all(&files, options) {
            match result {
                Ok(scanned) => libraries.push(scanned),
                Err(error) => problems.push(error),
            }
        }
        problems.sort_by(|a, b| a.path().cmp(b.path()));
        Ok(Catalog {
            libraries,
            problems,
            signed_by: options.signed_by.clone(),
        })
    }

    /// Every library the scan read, with the interfaces it exports, in path
    /// order: the ones a host can load and the ones it cannot (another ABI
    /// version, another version of an interface) alike.
    pub fn libraries(&self) -> impl ExactSizeIterator<Item = &LibraryInfo> {
        self.libraries.iter().map(|l| &l.info)
    }

    /// Each file the scan could not use, with why, in path order: not a
    /// valid library for this platform ([`Error::InvalidLibrary`]), a
    /// library that exports no dynplug interface ([`Error::NoInterface`]),
    /// a file that could not be read ([`Error::Open`]).
    pub fn problems(&self) -> &[Error] {
        &self.problems
    }

    /// The exports of interface `I` that this host can load, in path order:
    /// built with the same ABI version, against a compatible version of
    /// `I` (what `load` checks before it maps a file). Interfaces that `I`'s
    /// methods reach (objects) are checked when an entry is loaded, since
    /// their records are handed over by the plugin's code. A plugin built
    /// to abort on panic is listed ([`InterfaceInfo::aborts_on_panic`]);
    /// loading it needs [`LoadOptions::allow_abort_on_panic`].
    pub fn find<I: Interface + ?Sized>(&self) -> Vec<Entry<'_, I>> {
        self.exports_of::<I>()
            .filter(|(l, i)| {
                checked_layout(&l.info.path, I::DESC, &l.report, i.export.as_deref()).is_ok()
            })
            .map(|(l, interface)| Entry {
                signed_by: self.signed_by.as_ref(),
                library: &l.info,
                interface,
                _interface: PhantomData,
            })
            .collect()
    }

    /// Every export of `I` the scan read, with its library, in path order
    /// (and in a library, in symbol order).
    fn exports_of<I: Interface + ?Sized>(
        &self,
    ) -> impl Iterator<Item = (&Scanned, &InterfaceInfo)> {
        self.libraries.iter().flat_map(|l| {
            l.info
                .interfaces
                .iter()
                .filter(|i| i.name == I::DESC.name)
                .map(move |i| (l, i))
        })
    }

    /// Like [`find`](Catalog::find), with one entry per package and export
    /// name: of the files of one package (two versions of a plugin side by
    /// side), only the export of the highest version, by
    /// semantic-versioning order (the first in path order among equal
    /// versions; a version that is not one ranks lowest). Exports without a
    /// package record, or whose record names no package, are each their own.
    pub fn newest<I: Interface + ?Sized>(&self) -> Vec<Entry<'_, I>> {
        let mut newest: Vec<Entry<'_, I>> = Vec::new();
        for entry in self.find::<I>() {
            let Some(package) = entry.package().filter(|p| !p.name.is_empty()) else {
                newest.push(entry);
                continue;
            };
            let same = newest.iter_mut().find(|e| {
                e.export() == entry.export() && e.package().is_some_and(|p| p.name == package.name)
            });
            match same {
                Some(kept) => {
                    let version = |e: &Entry<'_, I>| e.package().and_then(crate::Package::semver);
                    if version(&entry) > version(kept) {
                        *kept = entry;
                    }
                }
                None => newest.push(entry),
            }
        }
        newest
    }

    /// The exports of interface `I` that this host cannot load, each with
    /// the error `load` would give: [`Error::AbiMismatch`],
    /// [`Error::InterfaceMismatch`] (naming each method that differs, with
    /// both signatures), [`Error::MissingSymbols`] or
    /// [`Error::InvalidLibrary`] (a malformed record).
    pub fn mismatches<I: Interface + ?Sized>(&self) -> Vec<Error> {
        self.exports_of::<I>()
            .filter_map(|(l, i)| {
                checked_layout(&l.info.path, I::DESC, &l.report, i.export.as_deref()).err()
            })
            .collect()
    }
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("libraries", &self.libraries().collect::<Vec<_>>())
            .field("problems", &self.problems)
            .finish()
    }
}

/// The library files under `dir` (by the platform's suffix), in path
/// order, and the entries that could not be listed as problems; an error
/// only if `dir` itself cannot be read.
///
/// Each folder's entries are taken in name order, a subfolder's files where
/// its name falls: since the paths of one folder differ in their last
/// component alone, that is the order of the whole paths (`Path`'s, which
/// compares component by component), without comparing them, which costs
/// more than reading a small plugin.
fn list(
    dir: &Path,
    recursive: bool,
    files: &mut Vec<PathBuf>,
    problems: &mut Vec<Error>,
) -> std::io::Result<()> {
    // Each entry's name, and whether it is a folder: its own type, a
    // symbolic link is not followed here.
    let mut entries: Vec<(std::ffi::OsString, bool)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        match entry {
            Ok(entry) => {
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                entries.push((entry.file_name(), is_dir));
            }
            Err(source) => problems.push(Error::Open {
                path: dir.to_path_buf(),
                reason: format!("cannot list an entry of the folder: {source}"),
                source: Box::new(source),
            }),
        }
    }
    entries.sort_unstable();
    for (name, is_dir) in entries {
        let path = dir.join(name);
        if is_dir {
            if !recursive {
                continue;
            }
            if let Err(source) = list(&path, true, files, problems) {
                problems.push(Error::Open {
                    path: path.clone(),
                    reason: format!("cannot read the folder: {source}"),
                    source: Box::new(source),
                });
            }
        } else if is_library_name(&path) {
            files.push(path);
        }
    }
    Ok(())
}

/// Whether the file's name ends in the platform's library suffix, whether
/// or not the rest of it is UTF-8 (a Unix name may be any bytes).
fn is_library_name(path: &Path) -> bool {
    let suffix = std::env::consts::DLL_SUFFIX.as_bytes();
    path.file_name()
        .map(|name| name.as_encoded_bytes())
        .is_some_and(|name| name.len() > suffix.len() && name.ends_with(suffix))
}

/// Reads `files`, in their order, on as many threads as the machine runs at
/// once (up to 8; one for a handful of files): each file is read and
/// checked on its own, and a folder of plugins is read at startup. The
/// threads take the next few files from a shared counter rather than a
/// fixed share each, so that a thread the system holds back (another
/// program on its core) leaves its files to the others.
fn read_all(files: &[PathBuf], options: &ScanOptions) -> Vec<Result<Scanned, Error>> {
    const PER_THREAD: usize = 16;
    /// How many files a thread takes at once.
    const BATCH: usize = 8;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8)
        .min(files.len().div_ceil(PER_THREAD));
    if threads <= 1 {
        return files.iter().map(|path| read(path, options)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= files.len() {
                return done;
            }
            let batch = &files[start..(start + BATCH).min(files.len())];
            done.push((
                start,
                batch.iter().map(|path| read(path, options)).collect(),
            ));
        }
    };
    let mut batches: Vec<(usize, Vec<Result<Scanned, Error>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(batches) => batches,
                // Reading a file panics nowhere; if it did, the scan says so.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    batches.sort_unstable_by_key(|(start, _)| *start);
    batches
        .into_iter()
        .flat_map(|(_, results)| results)
        .collect()
}

/// Reads one library file, once its signature (when one is required) is
/// checked: as far as listing its exports takes, or (thorough) as
/// `inspect` does.
fn read(path: &Path, options: &ScanOptions) -> Result<Scanned, Error> {
    let opened = preflight::open(path)?;
    if let Some(key) = &options.signed_by {
        crate::signature::verify(path, &opened.file, opened.metadata.len(), key)?;
    }
    let depth = match options.thorough {
        true => Depth::Full,
        false => Depth::Listing,
    };
    let report = preflight::check_opened_to(path, &opened, depth)?;
    let info = crate::inspect::info(path, &report)?;
    if info.interfaces.is_empty() {
        return Err(Error::NoInterface {
            path: path.to_path_buf(),
        });
    }
    Ok(Scanned { info, report })
}

/// One export of interface `I` in a [`Catalog`], which this host can load.
pub struct Entry<'c, I: ?Sized> {
    signed_by: Option<&'c crate::PublicKey>,
    library: &'c LibraryInfo,
    interface: &'c InterfaceInfo,
    _interface: PhantomData<fn() -> *const I>,
}

impl<'c, I: Interface + ?Sized> Entry<'c, I> {
    /// The library file.
    pub fn path(&self) -> &'c Path {
        &self.library.path
    }

    /// The interface as the plugin was built against it: its methods'
    /// signatures, whether it aborts on panic, ...
    pub fn interface(&self) -> &'c InterfaceInfo {
        self.interface
    }

    /// The export's name, for a named export (`#[plugin_export(name =
    /// "fast")]`); `None` for the interface's unnamed export.
    pub fn export(&self) -> Option<&'c str> {
        self.interface.export.as_deref()
    }

    /// The package the export was built from (`None` if the plugin was
    /// built with a dynplug that did not record it).
    pub fn package(&self) -> Option<&'c crate::Package> {
        self.interface.package.as_ref()
    }

    /// Everything the library exports.
    pub fn library(&self) -> &'c LibraryInfo {
        self.library
    }

    /// Loads the plugin with the loader `P` of interface `I`
    /// (`GreeterPlugin` for `dyn Greeter`): every check of `load` runs on
    /// the file as it is now, the whole pre-flight (which a scan that was
    /// not [thorough](ScanOptions::thorough) ran only in part) and its
    /// signature too, if the catalogue required one.
    ///
    /// # Errors
    ///
    /// As for `P::load`.
    pub fn load<P: Plugin<Interface = I>>(&self) -> Result<P, Error> {
        self.load_with(&LoadOptions::new())
    }

    /// Like [`load`](Entry::load), with options; the entry's export is
    /// loaded, and with a catalogue that required signatures, the
    /// signature is required again.
    ///
    /// # Errors
    ///
    /// As for `P::load_with`.
    pub fn load_with<P: Plugin<Interface = I>>(&self, options: &LoadOptions) -> Result<P, Error> {
        let mut options = options.clone();
        // The entry's export, named or not, whatever `options` names.
        options.export = self.export().map(str::to_owned);
        if let Some(key) = self.signed_by {
            options = options.require_signature(key.clone());
        }
        P::load_with(self.path(), &options)
    }
}

impl<I: ?Sized> Clone for Entry<'_, I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: ?Sized> Copy for Entry<'_, I> {}

impl<I: ?Sized> fmt::Debug for Entry<'_, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("path", &self.library.path)
            .field("interface", &self.interface.name)
            .field("export", &self.interface.export)
            .finish()
    }
}
