//! Pre-flight: what dynplug reads from a library file before the dynamic
//! loader runs any of its code. Is it a shared library for this platform,
//! does every loadable segment lie inside the file (glibc's loader dies of
//! SIGBUS on a truncated one), and which dynplug interfaces does it carry.
//!
//! Parsing is done by the `object` crate, reading only the parts it needs.

use std::collections::HashSet;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use object::{Architecture, FileKind, Object, ObjectKind, ObjectSegment, ReadRef};

use crate::Error;
use crate::meta::{self, HEADER_LEN, InterfaceMeta, MetaError};

/// The prefix of a metadata record's symbol; the interface's name follows.
pub(crate) const META_PREFIX: &str = "__dynplug_meta__";
/// The prefix of an interface's table of functions (`crate::vtable`).
pub(crate) const VTABLE_PREFIX: &str = "__dynplug_vtable__";

/// Returns the quick pre-flight's record and table size for `interface` in
/// the file at `path`, or `None` where it leaves the file to the full
/// pre-flight. Only for dynplug's own tests (`__private::quick_preflight`).
pub fn quick_preflight(path: &Path, interface: &str) -> Option<(Vec<u8>, u64)> {
    let opened = open(path).ok()?;
    let found = quick(
        &opened,
        &format!("{META_PREFIX}{interface}"),
        &format!("{VTABLE_PREFIX}{interface}"),
    )?;
    Some((found.record, found.vtable_size))
}

/// Files that passed the quick pre-flight for an interface, by what
/// identifies their contents: loading one of them again (another instance
/// of a plugin, a reload) skips reading it, unless it changed since.
///
/// A file is the same while its device, inode, size, modification and
/// change times are: writing to a file or replacing it changes its change
/// time, which no program can set back. What a repeated load still checks
/// is everything after `dlopen`: the record in memory must equal the
/// host's.
#[cfg(unix)]
pub(crate) mod checked {
    use std::fs::Metadata;
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
    /// interface's `META`).
    static CHECKED: Mutex<Vec<(Stamp, usize)>> = Mutex::new(Vec::new());

    fn list() -> std::sync::MutexGuard<'static, Vec<(Stamp, usize)>> {
        // Every change is one insert or truncate: a poisoned list is whole.
        CHECKED.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the file of `metadata` passed for the interface of `meta`.
    pub(crate) fn contains(metadata: &Metadata, meta: &'static [u8]) -> bool {
        let entry = (Stamp::of(metadata), meta.as_ptr() as usize);
        list().contains(&entry)
    }

    /// Remembers that the file of `metadata` passed for `meta`.
    pub(crate) fn insert(metadata: &Metadata, meta: &'static [u8]) {
        let entry = (Stamp::of(metadata), meta.as_ptr() as usize);
        let mut list = list();
        if !list.contains(&entry) {
            list.insert(0, entry);
            list.truncate(KEEP);
        }
    }

    /// Forgets every file: the next load of each reads it again. For
    /// dynplug's benchmarks and tests (`__private::forget_checked_files`).
    pub fn clear() {
        list().clear();
    }

    /// Forgets the file of `metadata`: its library was unloaded, so its
    /// inode number may go to another file, which could then match its
    /// stamp (file times are only as fine as the kernel's clock tick).
    /// While a library is mapped, its file's inode cannot be reused.
    pub(crate) fn forget(metadata: &Metadata) {
        let (dev, ino) = (metadata.dev(), metadata.ino());
        list().retain(|(stamp, _)| (stamp.dev, stamp.ino) != (dev, ino));
    }
}

/// Forgets that the file of `metadata` passed pre-flight: its library was
/// unloaded (`checked::forget`).
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
    /// Every name the file exports, for C-library bindings.
    pub exports: HashSet<String>,
}

/// One interface's metadata as it lies in the file.
#[derive(Debug)]
pub(crate) struct FileInterface {
    /// The name from the record's symbol.
    pub name: String,
    /// The record's bytes, or why they could not be read.
    pub record: Result<Vec<u8>, MetaError>,
}

impl FileInterface {
    /// The decoded record.
    pub fn meta(&self) -> Result<InterfaceMeta, MetaError> {
        meta::decode(self.record.as_ref().map_err(Clone::clone)?)
    }
}

impl FileReport {
    pub fn interface(&self, name: &str) -> Option<&FileInterface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    pub fn names(&self) -> Vec<String> {
        self.interfaces.iter().map(|i| i.name.clone()).collect()
    }
}

/// A library file, open for pre-flight.
pub(crate) struct Opened {
    file: File,
    /// Its metadata, from the open file.
    pub metadata: std::fs::Metadata,
}

/// Opens the file at `path`: it must be a regular file.
pub(crate) fn open(path: &Path) -> Result<Opened, Error> {
    let file = File::open(path).map_err(|source| Error::io(path, source))?;
    let metadata = file.metadata().map_err(|source| Error::io(path, source))?;
    let refused = if metadata.is_dir() {
        "it is a directory"
    } else if !metadata.is_file() {
        "it is not a regular file"
    } else {
        return Ok(Opened { file, metadata });
    };
    Err(Error::InvalidLibrary {
        path: path.to_path_buf(),
        reason: refused.to_owned(),
    })
}

/// The quick pre-flight of a plugin load (the `elf` module): the record of
/// `meta_symbol` and the size of `vtable_symbol`, if the file is a plain
/// case for it; `None` leaves the decision to [`check`].
pub(crate) fn quick(opened: &Opened, meta_symbol: &str, vtable_symbol: &str) -> Option<Quick> {
    #[cfg(all(unix, not(target_vendor = "apple")))]
    {
        crate::elf::find(
            &opened.file,
            opened.metadata.len(),
            meta_symbol,
            vtable_symbol,
        )
    }
    #[cfg(not(all(unix, not(target_vendor = "apple"))))]
    {
        let _ = (opened, meta_symbol, vtable_symbol);
        None
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
    let invalid = |reason: String| Error::InvalidLibrary {
        path: path.to_path_buf(),
        reason,
    };
    // One read of the whole file: parsing from memory costs far less than
    // the many small reads a lazy reader makes for the symbol tables.
    let mut bytes = Vec::with_capacity(opened.metadata.len() as usize);
    std::io::Read::read_to_end(&mut &opened.file, &mut bytes)
        .map_err(|source| Error::io(path, source))?;
    let len = bytes.len() as u64;
    if len == 0 {
        return Err(invalid("the file is empty".to_owned()));
    }
    let data: &[u8] = &bytes;
    check_kind(data).map_err(invalid)?;
    let object = object::File::parse(data)
        .map_err(|e| invalid(format!("it is a malformed {}: {e}", platform::FORMAT_NAME)))?;
    check_object(&object, len).map_err(invalid)?;
    let (interfaces, symbols, exports) = interfaces(&object, data).map_err(invalid)?;
    Ok(FileReport {
        interfaces,
        symbols,
        exports,
    })
}

/// The file's magic must be this platform's kind of shared library.
fn check_kind<'a, R: ReadRef<'a>>(data: R) -> Result<(), String> {
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

/// Architecture, word size, byte order, type, and every loadable segment
/// inside the file.
fn check_object<'a, R: ReadRef<'a>>(object: &object::File<'a, R>, len: u64) -> Result<(), String> {
    let arch = object.architecture();
    if arch != platform::ARCH {
        return Err(format!(
            "it is built for {}, and this process runs on {}",
            arch_name(arch),
            arch_name(platform::ARCH)
        ));
    }
    if object.is_64() != cfg!(target_pointer_width = "64") {
        return Err("its word size differs from this process's".to_owned());
    }
    if object.is_little_endian() != cfg!(target_endian = "little") {
        return Err("its byte order differs from this process's".to_owned());
    }
    match object.kind() {
        ObjectKind::Dynamic => {}
        ObjectKind::Executable => {
            return Err("it is an executable, not a shared library".to_owned());
        }
        ObjectKind::Relocatable => {
            return Err("it is an object file (.o), not a shared library".to_owned());
        }
        _ => return Err("it is not a shared library".to_owned()),
    }
    let mut segments = 0;
    for segment in object.segments() {
        segments += 1;
        let (offset, size) = segment.file_range();
        if offset.checked_add(size).is_none_or(|end| end > len) {
            return Err(format!(
                "a loadable segment (file offset {offset:#x}, {size} bytes) runs past the end \
                 of the file ({len} bytes): the file is truncated"
            ));
        }
    }
    if segments == 0 {
        return Err("it has no loadable segment".to_owned());
    }
    Ok(())
}

fn arch_name(arch: Architecture) -> String {
    format!("{arch:?}").to_lowercase()
}

/// Every exported metadata record, read from the file, and the names of
/// all exported dynplug symbols.
#[allow(clippy::type_complexity, reason = "private, used once")]
fn interfaces<'a, R: ReadRef<'a>>(
    object: &object::File<'a, R>,
    data: R,
) -> Result<(Vec<FileInterface>, SymbolSet, HashSet<String>), String> {
    let exports = object
        .exports()
        .map_err(|e| format!("its export table cannot be read: {e}"))?;
    let mut found = Vec::new();
    let mut symbols = SymbolSet::default();
    let mut names = HashSet::new();
    for export in exports {
        let export = export.map_err(|e| format!("its export table cannot be read: {e}"))?;
        let object::NameOrOrdinal::Name(name) = export.name() else {
            continue;
        };
        let name = name
            .strip_prefix(platform::SYMBOL_PREFIX.as_bytes())
            .unwrap_or(name);
        let at_address = matches!(export.target(), object::ExportTarget::Address { .. });
        if let Ok(text) = std::str::from_utf8(name) {
            // A dynplug symbol is data at an address in the file: one with
            // none (an IFUNC resolver, thread-local or absolute) is not the
            // file's table or record.
            if name.starts_with(b"__dynplug_") {
                if at_address {
                    symbols.insert(text.to_owned());
                }
            } else {
                names.insert(text.to_owned());
            }
        }
        let Some(interface) = name.strip_prefix(META_PREFIX.as_bytes()) else {
            continue;
        };
        let interface = String::from_utf8_lossy(interface).into_owned();
        let record = match export.target() {
            object::ExportTarget::Address { address } => read_record(object, data, address),
            _ => Err(MetaError::Malformed("the record's symbol has no address")),
        };
        found.push(FileInterface {
            name: interface,
            record,
        });
    }
    Ok((found, symbols, names))
}

/// Reads the record at virtual `address`: finds the segment that holds it,
/// reads the header, then as many bytes as the header says, never past
/// the segment's bytes in the file.
fn read_record<'a, R: ReadRef<'a>>(
    object: &object::File<'a, R>,
    data: R,
    address: u64,
) -> Result<Vec<u8>, MetaError> {
    let (offset, available) = object
        .segments()
        .find_map(|segment| {
            let start = segment.address();
            let (file_offset, file_size) = segment.file_range();
            let within = address.checked_sub(start)?;
            (within < file_size).then(|| (file_offset + within, file_size - within))
        })
        .ok_or(MetaError::Malformed(
            "the record is not in the file's segments",
        ))?;
    let header = data
        .read_bytes_at(offset, HEADER_LEN.min(available as usize) as u64)
        .map_err(|()| MetaError::Malformed("the record cannot be read"))?;
    let (total, _) = meta::read_header(header)?;
    if total > MAX_RECORD || total as u64 > available {
        return Err(MetaError::Malformed("the record runs past its segment"));
    }
    let bytes = data
        .read_bytes_at(offset, total as u64)
        .map_err(|()| MetaError::Malformed("the record cannot be read"))?;
    Ok(bytes.to_vec())
}

/// What this platform loads.
mod platform {
    use object::{Architecture, FileKind};

    #[cfg(all(unix, not(target_vendor = "apple")))]
    pub const FORMAT: &str = "an ELF shared library";
    #[cfg(all(unix, not(target_vendor = "apple")))]
    pub const FORMAT_NAME: &str = "ELF file";
    #[cfg(all(unix, not(target_vendor = "apple")))]
    pub const KINDS: &[FileKind] = &[FileKind::Elf32, FileKind::Elf64];
    #[cfg(all(unix, not(target_vendor = "apple")))]
    pub const SYMBOL_PREFIX: &str = "";

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
