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
use crate::preflight::MAX_RECORD;

pub(crate) use headers::NOT_ELF;
pub(crate) use symbols::Symbol;

/// A library file whose structure passed every check.
pub(crate) struct Elf {
    layout: segments::Layout,
    symbols: symbols::Symbols,
    relocations: relocs::Relocations,
    /// The bytes the checks read that later reads may reuse.
    kept: read::Kept,
}

/// Checks the library open as `file`, `len` bytes long; the error is the
/// reason, for `Error::InvalidLibrary`.
pub(crate) fn check(file: &File, len: u64) -> Result<Elf, String> {
    let mut source = read::Source::new(file, len)?;
    let mut layout = headers::check(&source)?;
    layout.code = sections::code(&source, &layout);
    // The dynamic section's segment, when small, in one read: the table
    // of functions and the initialiser arrays lie there too.
    if let Some(s) = layout
        .loads
        .iter()
        .find(|s| s.holds(layout.dynamic.vaddr, 1))
    {
        source.read_segment(s.offset, s.offset.saturating_add(s.filesz));
    }
    let (dynamic, strtab) = dynamic::check(&source, &layout)?;
    prefetch_tables(&mut source, &layout, &dynamic);
    let symbols = symbols::check(&source, &layout, &dynamic, strtab)?;
    versions::check(&source, &layout, &dynamic, &symbols.strtab, symbols.count)?;
    let relocations = relocs::check(&source, &layout, &dynamic, &symbols)?;
    sections::check(&source, &layout, &dynamic, symbols.count, &relocations.got)?;
    Ok(Elf {
        layout,
        symbols,
        relocations,
        kept: source.keep(),
    })
}

/// Reads ahead, in one piece, the span of the file that holds the tables
/// the dynamic section names (symbols, strings, hash and version tables,
/// relocations): a linker puts them next to each other.
fn prefetch_tables(source: &mut read::Source<'_>, layout: &segments::Layout, d: &dynamic::Dynamic) {
    let starts = [
        Some(d.symtab),
        Some(d.strtab),
        d.hash,
        d.gnu_hash,
        d.versym,
        d.verneed.map(|v| v.0),
        d.verdef.map(|v| v.0),
    ];
    let sized = [
        Some((d.strtab, d.strsz)),
        d.rela,
        d.rel,
        d.relr,
        d.jmprel.map(|j| j.0),
    ];
    let offsets = starts
        .into_iter()
        .flatten()
        .map(|v| (v, 0))
        .chain(sized.into_iter().flatten())
        .filter_map(|(v, size)| Some((layout.file_offset(v, size)?, size)));
    let (mut start, mut end) = (u64::MAX, 0);
    for (offset, size) in offsets {
        start = start.min(offset);
        end = end.max(offset + size);
    }
    source.prefetch(start, end);
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
        let unreadable = meta::MetaError::Malformed("the record cannot be read");
        let (offset, available) = self.file_bytes(vaddr).ok_or(meta::MetaError::Malformed(
            "the record is not in the file's segments",
        ))?;
        if let Some(size) = size.filter(|&s| (HEADER_LEN..=MAX_RECORD).contains(&s)) {
            if size as u64 <= available {
                if let Some(bytes) = self.kept.get(offset, size as u64) {
                    let (total, _) = meta::read_header(bytes)?;
                    return match total == size {
                        true => Ok(bytes.to_vec()),
                        false => Err(meta::MetaError::Malformed(
                            "the record's length differs from its symbol's size",
                        )),
                    };
                }
                let record =
                    crate::os::read_at(file, offset, size).map_err(|_| unreadable.clone())?;
                let (total, _) = meta::read_header(&record)?;
                return match total == size {
                    true => Ok(record),
                    false => Err(meta::MetaError::Malformed(
                        "the record's length differs from its symbol's size",
                    )),
                };
            }
        }
        let header = crate::os::read_at(file, offset, HEADER_LEN.min(available as usize))
            .map_err(|_| unreadable.clone())?;
        let (total, _) = meta::read_header(&header)?;
        if total > MAX_RECORD || total as u64 > available {
            return Err(meta::MetaError::Malformed(
                "the record runs past its segment",
            ));
        }
        crate::os::read_at(file, offset, total).map_err(|_| unreadable)
    }

    /// Checks the table of functions of data symbol `name`: every entry
    /// code once relocated, or null (`slots`).
    pub fn check_functions(&self, file: &File, name: &str, symbol: &Symbol) -> Result<(), String> {
        slots::check(
            &self.layout,
            &self.symbols,
            &self.relocations,
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
