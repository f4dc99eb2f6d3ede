//! Pre-flight: what dynplug reads from a library file before the dynamic
//! loader runs any of its code. Is it a regular file of sane size (a FIFO
//! would block the open, a device or a huge file the read), is it a shared
//! library for this platform whose structure the loader can map without
//! crashing (on ELF platforms the `elf` module checks every structure the
//! loader interprets), and which dynplug interfaces does it carry. A
//! catalogue's scan asks only what listing the interfaces takes
//! ([`Depth::Listing`]); a load always runs the full pre-flight.
//!
//! The file's kind is told from its first bytes before anything else is
//! read, and nothing is read whole: ELF files through the `elf` module's
//! bounded reads, Mach-O and PE files through `object` over a read cache
//! of the open file (`other`).

#[cfg(not(all(unix, not(target_vendor = "apple"))))]
mod other;

#[cfg(all(unix, not(target_vendor = "apple")))]
use std::cell::OnceCell;
use std::collections::HashSet;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use object::FileKind;

use crate::Error;
use crate::meta::{self, InterfaceMeta, MetaError};

pub(crate) use dynplug_rules::symbol::{META_PREFIX, PACKAGE_PREFIX, VTABLE_PREFIX};

/// Returns the quick pre-flight's record and table size for `interface` in
/// the file at `path`, or `None` where it leaves the file to the full
/// pre-flight. Only for dynplug's own tests (`__private::quick_preflight`).
pub fn quick_preflight(path: &Path, interface: &str) -> Option<(Vec<u8>, u64)> {
    let opened = open(path).ok()?;
    let found = quick(
        path,
        &opened,
        &format!("{META_PREFIX}{interface}"),
        &format!("{VTABLE_PREFIX}{interface}"),
        None,
    )
    .ok()??;
    Some((found.record, found.vtable_size))
}

#[cfg(unix)]
pub(crate) mod checked;

/// Forgets that the file of `metadata` passed pre-flight: its library was
/// unloaded, or never mapped (`checked::forget`).
pub(crate) fn forget_file(metadata: &std::fs::Metadata) {
    #[cfg(unix)]
    checked::forget(metadata);
    #[cfg(not(unix))]
    let _ = metadata;
}

/// Records larger than this are refused rather than read (a real one is a
/// few hundred bytes per method).
pub(crate) const MAX_RECORD: usize = 16 << 20;

/// A set of symbol names, hashed with FNV-1a: the names are short and not
/// chosen by an attacker who could exploit collisions (a plugin's own
/// symbols, read from its own file), so SipHash's cost buys nothing here.
pub(crate) type SymbolSet = HashSet<String, BuildHasherDefault<Fnv>>;

/// FNV-1a, for [`SymbolSet`].
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// What pre-flight found in a file.
#[derive(Debug)]
pub(crate) struct FileReport {
    /// Every dynplug interface the file exports, in symbol order.
    pub interfaces: Vec<FileInterface>,
    /// Every dynplug symbol (`__dynplug_...`) the file itself exports: a
    /// symbol `dlsym` finds elsewhere (in a dependency) is not the file's.
    pub symbols: SymbolSet,
    /// The size in bytes of each table of functions (`VTABLE_PREFIX`
    /// symbols) the file exports, as the symbol the dynamic loader finds
    /// gives it, where the format records sizes (ELF; elsewhere empty): a
    /// load reads exactly as many entries as the export's record has
    /// methods, so the table must be that long.
    pub table_sizes: std::collections::HashMap<String, u64, BuildHasherDefault<Fnv>>,
    /// Every name the file exports, for C-library bindings (empty in a
    /// listing's report, which no binding uses).
    pub exports: HashSet<String>,
}

/// One interface's metadata as it lies in the file.
#[derive(Debug)]
pub(crate) struct FileInterface {
    /// The interface's name, from the record's symbol.
    pub name: String,
    /// The export's name, for one of several exports of the interface
    /// (`#[plugin_export(name = "fast")]`): what follows
    /// `dynplug_rules::symbol::EXPORT_SEPARATOR` in the symbol.
    pub export: Option<String>,
    /// The record's bytes, or why they could not be read.
    pub record: Result<Vec<u8>, MetaError>,
    /// The package record's bytes (or why they could not be read); `None`
    /// if the file has none for this interface.
    pub package: Option<Result<Vec<u8>, MetaError>>,
}

impl FileInterface {
    /// The decoded record, without its parameters' types
    /// (`meta::decode_summary`: what `inspect` lists).
    pub fn summary(&self) -> Result<InterfaceMeta, MetaError> {
        meta::decode_summary(self.record.as_ref().map_err(Clone::clone)?)
    }

    /// The decoded package record, if the file has one.
    pub fn package(&self) -> Option<Result<crate::Package, MetaError>> {
        let record = self.package.as_ref()?;
        Some(
            record
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|r| meta::decode_package(r)),
        )
    }
}

/// Gives each export the package record found under its symbol's name.
fn attach_packages(
    interfaces: &mut [FileInterface],
    packages: Vec<(String, Result<Vec<u8>, MetaError>)>,
) {
    for (id, record) in packages {
        let (name, export) = split_export(&id);
        if let Some(interface) = interfaces
            .iter_mut()
            .find(|i| i.name == name && i.export.as_deref() == export)
        {
            interface.package = Some(record);
        }
    }
}

/// `Greeter.fast` as the interface `Greeter` and the export `fast`;
/// `Greeter` as the interface's unnamed export.
pub(crate) fn split_export(id: &str) -> (&str, Option<&str>) {
    match id.split_once(dynplug_rules::symbol::EXPORT_SEPARATOR) {
        Some((name, export)) => (name, Some(export)),
        None => (id, None),
    }
}

/// The symbols of an export: `META_PREFIX` and `VTABLE_PREFIX` followed by
/// the interface's name and, for a named export, the separator and its name.
pub(crate) fn export_symbols(interface: &str, export: Option<&str>) -> (String, String) {
    let id = match export {
        Some(name) => format!(
            "{interface}{}{name}",
            dynplug_rules::symbol::EXPORT_SEPARATOR
        ),
        None => interface.to_owned(),
    };
    (format!("{META_PREFIX}{id}"), format!("{VTABLE_PREFIX}{id}"))
}

impl FileReport {
    /// The export of interface `name` named `export` (`None`: the unnamed
    /// one).
    pub fn export(&self, name: &str, export: Option<&str>) -> Option<&FileInterface> {
        self.interfaces
            .iter()
            .find(|i| i.name == name && i.export.as_deref() == export)
    }

    /// The names of the named exports of interface `name`, sorted.
    pub fn export_names(&self, name: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .interfaces
            .iter()
            .filter(|i| i.name == name)
            .filter_map(|i| i.export.clone())
            .collect();
        names.sort_unstable();
        names
    }

    /// The interfaces the file exports, each once.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for i in &self.interfaces {
            if !names.contains(&i.name) {
                names.push(i.name.clone());
            }
        }
        names
    }
}

/// Files larger than this are refused before anything is read: no shared
/// library is this large, and pre-flight must answer in milliseconds.
pub(crate) const MAX_FILE: u64 = 8 << 30;

/// How much of a file pre-flight checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Every structure the dynamic loader interprets: what a load, and
    /// `inspect`, check before `dlopen`.
    Full,
    /// What listing the file's exports and reading dynplug's records take,
    /// with every bounds check of those reads (a default `Catalog::scan`):
    /// the checks that only protect `dlopen` (relocations, initialiser
    /// arrays, version tables, section headers) are left to the load,
    /// which runs them all first. On platforms other than ELF ones, a
    /// listing is a full check.
    Listing,
}

/// A library file, open for pre-flight.
pub(crate) struct Opened {
    pub(crate) file: File,
    /// Its metadata, from the open file.
    pub metadata: std::fs::Metadata,
    /// When the library is to be loaded from a private copy of the file
    /// (`copy::copied`): what it is a copy of.
    pub(crate) copy_of: Option<crate::copy::CopyOf>,
    /// The ELF validator's full verdict, once asked (both pre-flights of a
    /// load use it).
    #[cfg(all(unix, not(target_vendor = "apple")))]
    elf: OnceCell<Result<crate::elf::Elf, String>>,
}

/// Opens the file at `path`: it must be a regular file of sane size.
///
/// Nothing can block: the open does not wait (`O_NONBLOCK`: a FIFO without
/// a writer opens at once, a terminal does not become the process's), and
/// the open file's kind is checked before anything is read from it.
pub(crate) fn open(path: &Path) -> Result<Opened, Error> {
    open_as(path, crate::os::open_file)
}

/// Opens the file at `path` as [`open`] does, to be loaded: on Windows so
/// that nobody can change it until it is mapped (`os::open_file_to_load`).
pub(crate) fn open_to_load(path: &Path) -> Result<Opened, Error> {
    open_as(path, crate::os::open_file_to_load)
}

fn open_as(path: &Path, open_file: fn(&Path) -> std::io::Result<File>) -> Result<Opened, Error> {
    let open_error = |source: std::io::Error| Error::io(path, source);
    let invalid = |reason: String| Error::InvalidLibrary {
        path: path.to_path_buf(),
        reason,
    };
    let file = match open_file(path) {
        Ok(file) => file,
        // A socket cannot be opened (ENXIO): say what the path is, where
        // that is the reason.
        Err(err) => {
            return Err(match std::fs::metadata(path).map(|m| regular(&m)) {
                Ok(Err(reason)) => invalid(reason),
                _ => open_error(err),
            });
        }
    };
    let metadata = file.metadata().map_err(open_error)?;
    regular(&metadata).map_err(invalid)?;
    if metadata.len() > MAX_FILE {
        return Err(invalid(format!(
            "it is {} bytes long, larger than any shared library (dynplug reads files up to {} \
             GiB)",
            metadata.len(),
            MAX_FILE >> 30
        )));
    }
    Ok(Opened::new(file, metadata))
}

impl Opened {
    /// The open `file`, of `metadata`, not yet read.
    pub(crate) fn new(file: File, metadata: std::fs::Metadata) -> Opened {
        Opened {
            file,
            metadata,
            copy_of: None,
            #[cfg(all(unix, not(target_vendor = "apple")))]
            elf: OnceCell::new(),
        }
    }

    /// Whether the library is to be loaded from a private copy
    /// (pre-flight's cache of checked files is for files loaded at their
    /// paths only).
    pub(crate) fn is_copy(&self) -> bool {
        self.copy_of.is_some()
    }
}

/// Whether `metadata` is a regular file's; else what it is.
fn regular(metadata: &std::fs::Metadata) -> Result<(), String> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        return Err("it is a directory".to_owned());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if kind.is_fifo() {
            "a named pipe (FIFO)"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_block_device() || kind.is_char_device() {
            "a device"
        } else {
            "not a regular file"
        };
        Err(format!("it is {what}, not a library file"))
    }
    #[cfg(not(unix))]
    Err("it is not a regular file".to_owned())
}

impl Opened {
    /// The file's kind, checked from its first bytes, then (on ELF
    /// platforms) its structure, once.
    #[cfg(all(unix, not(target_vendor = "apple")))]
    fn elf(&self, path: &Path) -> Result<&crate::elf::Elf, Error> {
        let checked = self.elf.get_or_init(|| self.check_elf(Depth::Full));
        checked.as_ref().map_err(|reason| Error::InvalidLibrary {
            path: path.to_path_buf(),
            reason: reason.clone(),
        })
    }

    /// The file's kind, checked from its first bytes, then (on ELF
    /// platforms) its structure to `depth`, not kept.
    #[cfg(all(unix, not(target_vendor = "apple")))]
    fn check_elf(&self, depth: Depth) -> Result<crate::elf::Elf, String> {
        if self.metadata.len() == 0 {
            return Err("the file is empty".to_owned());
        }
        // The validator reads the first bytes first; for a file that is
        // no ELF file, say what it is instead.
        crate::elf::check(&self.file, self.metadata.len(), depth).map_err(|reason| {
            if reason.starts_with(crate::elf::NOT_ELF) {
                self.kind().err().unwrap_or(reason)
            } else {
                reason
            }
        })
    }

    /// Refuses an empty file, or one whose first bytes are not this
    /// platform's kind of library.
    fn kind(&self) -> Result<(), String> {
        if self.metadata.len() == 0 {
            return Err("the file is empty".to_owned());
        }
        check_kind(&object::ReadCache::new(&self.file))
    }
}

/// The quick pre-flight of a plugin load: the record of `meta_symbol` and
/// the size of `vtable_symbol`, if the file is a plain case for it;
/// `Ok(None)` leaves the decision to [`check_opened`]. On ELF platforms
/// the file's structure is checked first, as for the full pre-flight, and
/// the table's entries when it is `vtable_size` bytes long.
pub(crate) fn quick(
    path: &Path,
    opened: &Opened,
    meta_symbol: &str,
    vtable_symbol: &str,
    vtable_size: Option<u64>,
) -> Result<Option<Quick>, Error> {
    #[cfg(all(unix, not(target_vendor = "apple")))]
    {
        let elf = opened.elf(path)?;
        elf.find(&opened.file, meta_symbol, vtable_symbol, vtable_size)
            .map_err(|reason| Error::InvalidLibrary {
                path: path.to_path_buf(),
                reason,
            })
    }
    #[cfg(not(all(unix, not(target_vendor = "apple"))))]
    {
        let _ = (path, opened, meta_symbol, vtable_symbol, vtable_size);
        Ok(None)
    }
}

#[cfg(all(unix, not(target_vendor = "apple")))]
pub(crate) use crate::elf::Found as Quick;

/// What the quick pre-flight finds, on platforms that have none.
#[cfg(not(all(unix, not(target_vendor = "apple"))))]
pub(crate) struct Quick {
    pub record: Vec<u8>,
    pub vtable_size: u64,
}

/// Checks the file at `path` and reads its interfaces, running none of its
/// code.
pub(crate) fn check(path: &Path) -> Result<FileReport, Error> {
    check_opened(path, &open(path)?)
}

/// [`check`], of a file already open.
pub(crate) fn check_opened(path: &Path, opened: &Opened) -> Result<FileReport, Error> {
    check_opened_to(path, opened, Depth::Full)
}

/// [`check_opened`] to `depth`: a listing's report serves to list and
/// compare exports (`Catalog`), never to map the file.
pub(crate) fn check_opened_to(
    path: &Path,
    opened: &Opened,
    depth: Depth,
) -> Result<FileReport, Error> {
    let invalid = |reason| Error::InvalidLibrary {
        path: path.to_path_buf(),
        reason,
    };
    #[cfg(all(unix, not(target_vendor = "apple")))]
    {
        match depth {
            Depth::Full => elf_report(opened.elf(path)?, &opened.file, depth),
            Depth::Listing => {
                let elf = opened.check_elf(Depth::Listing).map_err(invalid)?;
                elf_report(&elf, &opened.file, depth)
            }
        }
        .map_err(invalid)
    }
    #[cfg(not(all(unix, not(target_vendor = "apple"))))]
    {
        let _ = depth;
        opened.kind().map_err(invalid)?;
        other::check(path, &opened.file, opened.metadata.len())
    }
}

/// Every interface, dynplug symbol and export of a checked ELF file (for
/// a listing, not the exports other than dynplug's).
#[cfg(all(unix, not(target_vendor = "apple")))]
fn elf_report(elf: &crate::elf::Elf, file: &File, depth: Depth) -> Result<FileReport, String> {
    let mut report = FileReport {
        interfaces: Vec::new(),
        symbols: SymbolSet::default(),
        table_sizes: Default::default(),
        exports: HashSet::new(),
    };
    let mut packages = Vec::new();
    for (name, symbol) in elf.exports() {
        let Ok(text) = std::str::from_utf8(name) else {
            continue;
        };
        // A dynplug symbol is data at an address in the file: one that is
        // not (a function, an IFUNC resolver, thread-local or absolute) is
        // not the file's table or record.
        if !text.starts_with("__dynplug_") {
            if depth == Depth::Full {
                report.exports.insert(text.to_owned());
            }
        } else if symbol.data() {
            if text.starts_with(VTABLE_PREFIX) {
                // (Not checked by a listing, which read no relocations.)
                elf.check_functions(file, text, &symbol)?;
                // The table `dlsym` returns is the one the symbols' hash
                // table finds (which a crafted file may name twice).
                let found = elf.lookup(name).filter(|s| s.data()).unwrap_or(symbol);
                report.table_sizes.insert(text.to_owned(), found.size);
            }
            report.symbols.insert(text.to_owned());
        }
        let read = || {
            if symbol.data() {
                elf.read_record(file, symbol.value)
            } else {
                Err(MetaError::Malformed("the record's symbol has no address"))
            }
        };
        if let Some(interface) = text.strip_prefix(PACKAGE_PREFIX) {
            packages.push((interface.to_owned(), read()));
        }
        let Some(id) = text.strip_prefix(META_PREFIX) else {
            continue;
        };
        let (name, export) = split_export(id);
        report.interfaces.push(FileInterface {
            name: name.to_owned(),
            export: export.map(str::to_owned),
            record: read(),
            package: None,
        });
    }
    attach_packages(&mut report.interfaces, packages);
    Ok(report)
}

/// The file's kind, told from its first bytes (and for a PE file, the
/// headers its DOS header points to), must be this platform's kind of
/// shared library.
fn check_kind<'a, R: object::ReadRef<'a>>(data: R) -> Result<(), String> {
    // `ar`'s magic: a Rust `rlib` (or `staticlib`), or a C `.a`.
    if data
        .read_bytes_at(0, 8)
        .is_ok_and(|head| head == b"!<arch>\n")
    {
        return Err(format!(
            "it is a static archive (a Rust `.rlib`, or a `.a`), which is linked into a \
             program, not loaded: a plugin crate needs `crate-type = [\"cdylib\"]` in the \
             `[lib]` of its Cargo.toml, and the host loads the `{}` cargo then builds",
            libloading::library_filename("<crate>").to_string_lossy()
        ));
    }
    let kind = FileKind::parse(data).map_err(|_| {
        format!(
            "it is not {} (its first bytes are no object file's)",
            platform::FORMAT
        )
    })?;
    if platform::KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(format!(
            "it is {}, and this platform loads {}",
            kind_name(kind),
            platform::FORMAT
        ))
    }
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Elf32 => "a 32-bit ELF file",
        FileKind::Elf64 => "a 64-bit ELF file",
        FileKind::MachO32 => "a 32-bit Mach-O file",
        FileKind::MachO64 => "a 64-bit Mach-O file",
        FileKind::MachOFat32 | FileKind::MachOFat64 => "a universal (fat) Mach-O file",
        FileKind::Pe32 => "a 32-bit PE file",
        FileKind::Pe64 => "a 64-bit PE file",
        _ => "another kind of object file",
    }
}

/// What this platform loads.
mod platform {
    #[cfg(not(all(unix, not(target_vendor = "apple"))))]
    pub use arch::ARCH;
    use object::FileKind;

    #[cfg(all(unix, not(target_vendor = "apple")))]
    pub const FORMAT: &str = "an ELF shared library";
    #[cfg(all(unix, not(target_vendor = "apple")))]
    pub const KINDS: &[FileKind] = &[FileKind::Elf32, FileKind::Elf64];

    #[cfg(target_vendor = "apple")]
    pub const FORMAT: &str = "a Mach-O dynamic library";
    #[cfg(target_vendor = "apple")]
    pub const FORMAT_NAME: &str = "Mach-O file";
    #[cfg(target_vendor = "apple")]
    pub const KINDS: &[FileKind] = &[FileKind::MachO32, FileKind::MachO64];
    #[cfg(target_vendor = "apple")]
    pub const SYMBOL_PREFIX: &str = "_";

    #[cfg(windows)]
    pub const FORMAT: &str = "a PE dynamic-link library";
    #[cfg(windows)]
    pub const FORMAT_NAME: &str = "PE file";
    #[cfg(windows)]
    pub const KINDS: &[FileKind] = &[FileKind::Pe32, FileKind::Pe64];
    #[cfg(windows)]
    pub const SYMBOL_PREFIX: &str = "";

    /// This process's architecture (Mach-O and PE pre-flight).
    #[cfg(not(all(unix, not(target_vendor = "apple"))))]
    mod arch {
        use object::Architecture;

        #[cfg(target_arch = "x86_64")]
        pub const ARCH: Architecture = Architecture::X86_64;
        #[cfg(target_arch = "x86")]
        pub const ARCH: Architecture = Architecture::I386;
        #[cfg(target_arch = "aarch64")]
        pub const ARCH: Architecture = Architecture::Aarch64;
        #[cfg(target_arch = "arm")]
        pub const ARCH: Architecture = Architecture::Arm;
        #[cfg(target_arch = "riscv64")]
        pub const ARCH: Architecture = Architecture::Riscv64;
        #[cfg(target_arch = "powerpc64")]
        pub const ARCH: Architecture = Architecture::PowerPc64;
        #[cfg(target_arch = "s390x")]
        pub const ARCH: Architecture = Architecture::S390x;
        #[cfg(target_arch = "loongarch64")]
        pub const ARCH: Architecture = Architecture::LoongArch64;
    }
}
