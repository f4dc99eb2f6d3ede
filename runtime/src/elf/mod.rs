//! The ELF validator: everything dynplug checks in a library file before
//! the dynamic loader sees it, on ELF platforms. Both pre-flights call it
//! (the quick one of a plugin whose record is the host's, and the full one
//! of `inspect`, mismatches and C libraries), so both apply the same rules.
//!
//! The rule is: the loader is never handed a file whose structure it
//! would misread. glibc's loader trusts the file: it maps segments where
//! the program headers say, follows the dynamic section's addresses, walks
//! hash chains and version chains until they end, writes where
//! relocations say and calls what the initialiser arrays hold. A file
//! that lies in any of these crashes the process inside `dlopen` (SIGSEGV,
//! SIGBUS, SIGFPE, a heap overwrite, or a failed assertion that exits with
//! 127), or hangs it. So every structure the loader interprets is checked
//! first, in this order, each module saying what it checks and which crash
//! each check prevents:
//!
//! - `headers`: the ELF header;
//! - `segments`: the program headers;
//! - `dynamic`: the dynamic section and its strings;
//! - `hash`: the hash tables and the symbol count they imply;
//! - `symbols`: the symbols;
//! - `versions`: the symbol version tables;
//! - `relocs`: the relocation tables and the initialiser arrays;
//! - `slots`: dynplug's tables of functions, once found (the host calls
//!   through them);
//! - `sections`: the section headers, where present, against the rest.
//!
//! Every read is bounded by the file and capped (`read`): pre-flight reads
//! the headers and exactly the tables named above, never the whole file.
//!
//! A catalogue's scan asks for a listing (`Depth::Listing`): `headers`,
//! `dynamic`, `hash` and `symbols` only, then dynplug's records. That is
//! what listing the exports takes, every read as bounded as above; the
//! rest protects `dlopen` and the calls, and the load that maps the file
//! runs the full check first.
//!
//! # What no structure check can catch
//!
//! The contents the structures point to: a flipped byte in code (`.text`),
//! in data (`.rodata`, `.data`), in unwind tables (`.eh_frame`), in a
//! relocation's addend (a relative relocation that makes a data pointer
//! point elsewhere), a relocation that names another valid symbol, or a
//! `DT_INIT`/`DT_FINI` moved to another place in the code (a library may
//! name any function there) leaves a file whose every structure is
//! consistent. The
//! loader maps and relocates it faithfully, and the damage shows when the
//! code runs: in the library's initialisers during `dlopen`, or in a call.
//! Only a signature of the contents could tell; dynplug checks the
//! structure, and trusts the contents of a file the user chose to load.

mod dynamic;
mod hash;
mod headers;
mod machine;
mod read;
mod relocs;
mod sections;
mod segments;
mod slots;
mod symbols;
mod versions;

use std::fs::File;

use crate::meta::{self, HEADER_LEN};
use crate::preflight::{MAX_RECORD, META_PREFIX, PACKAGE_PREFIX};

pub(crate) use crate::preflight::Depth;

pub(crate) use headers::NOT_ELF;
pub(crate) use symbols::Symbol;

/// A library file whose structure passed the checks of its depth.
pub(crate) struct Elf {
    layout: segments::Layout,
    symbols: symbols::Symbols,
    /// The relocation tables, checked (`None` for a listing, which reads
    /// none).
    relocations: Option<relocs::Relocations>,
    /// The bytes the checks read that later reads may reuse.
    kept: read::Kept,
}

/// Checks the library open as `file`, `len` bytes long, to `depth`; the
/// error is the reason, for `Error::InvalidLibrary`.
///
/// `Depth::Full` checks every structure the loader interprets (the list in
/// this module's docs). `Depth::Listing` reads and checks what listing the
/// file's exports and reading dynplug's records take: the ELF header, the
/// program headers, the dynamic section and its strings, the hash and
/// symbol tables (every bounds check those reads need); it leaves the
/// version tables, the relocations, the initialiser arrays and the section
/// headers, which only protect `dlopen`, to the full check that every load
/// runs first.
pub(crate) fn check(file: &File, len: u64, depth: Depth) -> Result<Elf, String> {
    let full = depth == Depth::Full;
    let head = if full { read::HEAD } else { read::LISTING_HEAD };
    let mut source = read::Source::new(file, len, head)?;
    let mut layout = headers::check(&source)?;
    if full {
        // The section headers, read twice (the code ranges now, the checks
        // at the end), in one read.
        if let Some((shoff, shnum, _)) = layout.sections {
            let end = shoff.saturating_add(u64::from(shnum) * 64);
            source.read_ahead(shoff, end, read::MAX_SEGMENT);
        }
        layout.code = sections::code(&source, &layout);
        // The dynamic section's segment, when small, in one read: the
        // table of functions and the initialiser arrays lie there too.
        if let Some(s) = layout
            .loads
            .iter()
            .find(|s| s.holds(layout.dynamic.vaddr, 1))
        {
            let end = s.offset.saturating_add(s.filesz);
            source.read_ahead(s.offset, end, read::MAX_SEGMENT);
        }
    }
    let (dynamic, strtab) = dynamic::check(&source, &layout)?;
    prefetch_tables(&mut source, &layout, &dynamic, depth);
    let symbols = symbols::check(&source, &layout, &dynamic, strtab)?;
    let relocations = if full {
        versions::check(&source, &layout, &dynamic, &symbols.strtab, symbols.count)?;
        let relocations = relocs::check(&source, &layout, &dynamic, &symbols)?;
        sections::check(&source, &layout, &dynamic, symbols.count, &relocations.got)?;
        Some(relocations)
    } else {
        None
    };
    prefetch_records(&mut source, &layout, &symbols);
    Ok(Elf {
        layout,
        symbols,
        relocations,
        kept: source.keep(),
    })
}

/// Reads ahead, in one piece, the span of the file that holds the tables
/// the dynamic section names that `depth` reads (symbols, strings, hash
/// tables; for a full check, version and relocation tables too): a linker
/// puts them next to each other.
fn prefetch_tables(
    source: &mut read::Source<'_>,
    layout: &segments::Layout,
    d: &dynamic::Dynamic,
    depth: Depth,
) {
    let full = depth == Depth::Full;
    let starts = [Some(d.symtab), Some(d.strtab), d.hash, d.gnu_hash];
    let versions = [d.versym, d.verneed.map(|v| v.0), d.verdef.map(|v| v.0)];
    let relocations = [d.rela, d.rel, d.relr, d.jmprel.map(|j| j.0)];
    let offsets = starts
        .into_iter()
        .chain(versions.into_iter().filter(|_| full))
        .flatten()
        .map(|v| (v, 0))
        .chain(Some((d.strtab, d.strsz)))
        .chain(relocations.into_iter().filter(|_| full).flatten())
        .filter_map(|(v, size)| Some((layout.file_offset(v, size)?, size)));
    let (mut start, mut end) = (u64::MAX, 0);
    for (offset, size) in offsets {
        start = start.min(offset);
        end = end.max(offset + size);
    }
    source.read_ahead(start, end, read::MAX_WINDOW);
}

/// Reads ahead, in one piece, the span of the file that holds dynplug's
/// records (interface metadata and package records, which a build puts
/// next to each other in its read-only data), where it is small: each is
/// then served from it instead of taking a read or two of its own.
fn prefetch_records(
    source: &mut read::Source<'_>,
    layout: &segments::Layout,
    symbols: &symbols::Symbols,
) {
    let (mut start, mut end) = (u64::MAX, 0);
    for (_, symbol) in symbols.iter() {
        if !symbol.exported() || !symbol.data() {
            continue;
        }
        let name = symbols.name(&symbol);
        if !(name.starts_with(META_PREFIX.as_bytes())
            || name.starts_with(PACKAGE_PREFIX.as_bytes()))
        {
            continue;
        }
        // A symbol whose size does not fit its segment is left to the
        // record's own read, which says why.
        let Some(offset) = layout.file_offset(symbol.value, symbol.size) else {
            continue;
        };
        start = start.min(offset);
        end = end.max(offset + symbol.size);
    }
    source.read_ahead(start, end, read::MAX_SEGMENT);
}

/// What the quick pre-flight found for one interface.
pub(crate) struct Found {
    /// The metadata record's bytes (header checked, length as it says).
    pub record: Vec<u8>,
    /// The size of the table's symbol, in bytes.
    pub vtable_size: u64,
}

impl Elf {
    /// The exported symbol the loader finds for `name`.
    pub fn lookup(&self, name: &[u8]) -> Option<Symbol> {
        self.symbols.lookup(name)
    }

    /// Every exported symbol (defined, global or weak, visible), with its
    /// name, in symbol table order.
    pub fn exports(&self) -> impl Iterator<Item = (&[u8], Symbol)> + '_ {
        self.symbols
            .iter()
            .map(|(_, s)| s)
            .filter(Symbol::exported)
            .map(|s| (self.symbols.name(&s), s))
    }

    /// The file offset and the number of file bytes from virtual address
    /// `vaddr` to the end of its segment's file bytes.
    fn file_bytes(&self, vaddr: u64) -> Option<(u64, u64)> {
        self.layout.loads.iter().find_map(|s| {
            let within = vaddr.checked_sub(s.vaddr)?;
            (within < s.filesz).then(|| (s.offset + within, s.filesz - within))
        })
    }

    /// The metadata record at `vaddr` in `file`: its header, then as many
    /// bytes as the header says, never past its segment's file bytes.
    pub fn read_record(&self, file: &File, vaddr: u64) -> Result<Vec<u8>, meta::MetaError> {
        self.read_record_sized(file, vaddr, None)
    }

    /// [`read_record`](Elf::read_record), in one read when its symbol's
    /// `size` is known (the header must then say the same length).
    fn read_record_sized(
        &self,
        file: &File,
        vaddr: u64,
        size: Option<usize>,
    ) -> Result<Vec<u8>, meta::MetaError> {
        let (offset, available) = self.file_bytes(vaddr).ok_or(meta::MetaError::Malformed(
            "the record is not in the file's segments",
        ))?;
        // `len` bytes at `offset`, from the bytes the checks kept or read.
        let bytes = |len: usize| match self.kept.get(offset, len as u64) {
            Some(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            None => crate::os::read_at(file, offset, len)
                .map(std::borrow::Cow::Owned)
                .map_err(|_| meta::MetaError::Malformed("the record cannot be read")),
        };
        if let Some(size) = size.filter(|&s| (HEADER_LEN..=MAX_RECORD).contains(&s)) {
            if size as u64 <= available {
                let record = bytes(size)?;
                let (total, _) = meta::read_header(&record)?;
                return match total == size {
                    true => Ok(record.into_owned()),
                    false => Err(meta::MetaError::Malformed(
                        "the record's length differs from its symbol's size",
                    )),
                };
            }
        }
        let header = bytes(HEADER_LEN.min(available as usize))?;
        let (total, _) = meta::read_header(&header)?;
        if total > MAX_RECORD || total as u64 > available {
            return Err(meta::MetaError::Malformed(
                "the record runs past its segment",
            ));
        }
        bytes(total).map(std::borrow::Cow::into_owned)
    }

    /// Checks the table of functions of data symbol `name`: every entry
    /// code once relocated, or null (`slots`).
    ///
    /// A listing (`Depth::Listing`) read no relocations, and leaves the
    /// table to the full check of the load: it is not checked then.
    pub fn check_functions(&self, file: &File, name: &str, symbol: &Symbol) -> Result<(), String> {
        let Some(relocations) = &self.relocations else {
            return Ok(());
        };
        slots::check(
            &self.layout,
            &self.symbols,
            relocations,
            (file, &self.kept),
            (name, symbol.value, symbol.size),
        )
    }

    /// The quick pre-flight's answer: the record of `meta_symbol` and the
    /// size of `vtable_symbol`, where both are data symbols of the file and
    /// the record is whole; when the table is of the `expected` size, its
    /// entries are checked to be code (of another size, the caller refuses
    /// it for that). `Ok(None)` leaves the decision (and the wording of the
    /// error) to the full pre-flight.
    pub fn find(
        &self,
        file: &File,
        meta_symbol: &str,
        vtable_symbol: &str,
        expected: Option<u64>,
    ) -> Result<Option<Found>, String> {
        debug_assert!(
            self.relocations.is_some(),
            "the quick pre-flight of a load runs on a full check"
        );
        let (Some(meta), Some(vtable)) = (
            self.lookup(meta_symbol.as_bytes()).filter(Symbol::data),
            self.lookup(vtable_symbol.as_bytes()).filter(Symbol::data),
        ) else {
            return Ok(None);
        };
        let size = meta.size as usize;
        if !(HEADER_LEN..=MAX_RECORD).contains(&size) {
            return Ok(None);
        }
        let Some(record) = self.read_record_sized(file, meta.value, Some(size)).ok() else {
            return Ok(None);
        };
        if record.len() != size {
            return Ok(None);
        }
        if expected == Some(vtable.size) {
            self.check_functions(file, vtable_symbol, &vtable)?;
        }
        Ok(Some(Found {
            record,
            vtable_size: vtable.size,
        }))
    }
}
