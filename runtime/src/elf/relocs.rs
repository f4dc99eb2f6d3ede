//! Relocations, and the initialiser and finaliser arrays they fill.
//!
//! glibc applies every relocation of `DT_RELA`, `DT_REL`, `DT_JMPREL` and
//! `DT_RELR` before any code of the library runs, writing at the load
//! address plus each entry's offset, and then calls every slot of
//! `DT_INIT_ARRAY` (and, at unload or exit, `DT_FINI_ARRAY`). The checks,
//! and what each prevents:
//! - every table inside a segment's file bytes, a whole number of entries;
//! - every relocation of a type linkers emit for a shared library on this
//!   machine (x86-64, AArch64 and RISC-V lists; not copy relocations, which
//!   make glibc copy a symbol's size of bytes, nor PC32/SIZE types, which
//!   only text relocations have and which write half a pointer);
//! - every target, with the bytes its type writes, inside a writable
//!   segment (`PT_GNU_RELRO` lies in one: else a write to read-only or
//!   unmapped memory, SIGSEGV), word-aligned for pointer-sized types, and
//!   no word written by two relocations; relative relocations and jump
//!   slots in the order linkers write them (by target), jump slots inside
//!   the PLT's part of the offset table and one per symbol: a damaged
//!   target otherwise overwrites another pointer and leaves its own word
//!   unrelocated, which crashes at the first use;
//! - no target inside the dynamic section or the offset table's reserved
//!   words (`DT_PLTGOT` and the next ones, which the loader fills itself):
//!   linkers never relocate these, so a target there is a damaged one;
//! - every offset-table type (`GLOB_DAT`, `JUMP_SLOT`, TLS) targeting the
//!   offset table (`.got`, `.got.plt`; checked with the section headers,
//!   `elf::sections`), and the second word of a TLS module pair written by
//!   nothing or by a TLS offset relocation: a slot moved to another word
//!   leaves its own word unrelocated, which crashes at the first use;
//! - every symbol index below the symbol count (the loader indexes the
//!   symbol and version tables with it), and a symbol for every slot
//!   relocation (`GLOB_DAT`, `JUMP_SLOT`);
//! - the first `DT_RELACOUNT`/`DT_RELCOUNT` entries relative ones (glibc
//!   applies them as relative without looking at their type, and asserts
//!   it);
//! - an `IRELATIVE` resolver in code (it is called): an executable
//!   section of an executable segment (`Layout::is_code`);
//! - a `DT_RELR` bitmap only after an address entry (glibc would write
//!   through a null pointer);
//! - every slot of the initialiser and finaliser arrays (and
//!   `DT_PREINIT_ARRAY`) relocated, to an address inside an executable
//!   segment: these are called.

use super::dynamic::{Dynamic, REL_SIZE, RELA_SIZE, Table};
use super::machine::{Kind, MACHINE, RELATIVE, is_slot, is_tls_module, is_tls_offset, kind};
use std::borrow::Cow;

use super::read::{Kept, Source, u64_at};
use super::segments::Layout;
use super::symbols::Symbols;

/// No library has more initialisers and finalisers than this.
const MAX_SLOTS: u64 = 1 << 16;

/// The slots of one initialiser or finaliser array, and which are filled.
struct Array {
    name: &'static str,
    at: u64,
    filled: Vec<bool>,
}

/// Checks every relocation table and the arrays of functions they fill.
pub(crate) fn check(
    source: &Source<'_>,
    layout: &Layout,
    dynamic: &Dynamic,
    symbols: &Symbols,
) -> Result<Relocations, String> {
    let mut arrays = Vec::new();
    for (name, table) in [
        ("DT_INIT_ARRAY", dynamic.init_array),
        ("DT_FINI_ARRAY", dynamic.fini_array),
        ("DT_PREINIT_ARRAY", dynamic.preinit_array),
    ] {
        let Some((at, size)) = table else { continue };
        if size / 8 > MAX_SLOTS || !layout.segment(at, size).is_some_and(|s| s.writable()) {
            return Err(format!(
                "its {name} ({size} bytes at {at:#x}) is not inside a writable segment, or too long"
            ));
        }
        arrays.push(Array {
            name,
            at,
            filled: vec![false; (size / 8) as usize],
        });
    }
    let slots_span = arrays.iter().fold((u64::MAX, 0), |(lo, hi), a| {
        (lo.min(a.at), hi.max(a.at + a.filled.len() as u64 * 8))
    });
    let mut checker = Checker {
        slots_span,
        dynamic: (
            layout.dynamic.vaddr,
            layout.dynamic.vaddr.saturating_add(layout.dynamic.memsz),
        ),
        tls_modules: Vec::new(),
        tls_offsets: Vec::new(),
        layout,
        symbols,
        arrays,
        source,
        pltgot: dynamic.pltgot,
        written: Written::new(layout),
        kept: Relocations::default(),
        slot_symbols: if dynamic.jmprel.is_some() {
            vec![false; symbols.count as usize]
        } else {
            Vec::new()
        },
    };
    if let Some(table) = dynamic.rela {
        checker.table(table, true, "DT_RELA", dynamic.relacount)?;
    }
    if let Some(table) = dynamic.rel {
        checker.table(table, false, "DT_REL", dynamic.relcount)?;
    }
    if let Some((table, rela)) = dynamic.jmprel {
        checker.table(table, rela, "DT_JMPREL", 0)?;
    }
    if let Some(table) = dynamic.relr {
        checker.relr(table)?;
    }
    checker.tls_offsets.sort_unstable();
    for &module in &checker.tls_modules {
        let second = module.wrapping_add(8);
        if checker.written.is_marked(second) && checker.tls_offsets.binary_search(&second).is_err()
        {
            return Err(format!(
                "the TLS module relocation at {module:#x} is followed by a relocation of                  another kind at {second:#x}, where the variable's offset belongs: a damaged                  target, whose own word is left unrelocated"
            ));
        }
    }
    for array in &checker.arrays {
        if let Some(slot) = array.filled.iter().position(|f| !f) {
            return Err(format!(
                "slot {slot} of its {} (at {:#x}) is not relocated: the loader would call an \
                 unrelocated address",
                array.name,
                array.at + slot as u64 * 8
            ));
        }
    }
    Ok(checker.kept)
}

struct Checker<'a, 's> {
    layout: &'a Layout,
    symbols: &'a Symbols,
    arrays: Vec<Array>,
    source: &'a Source<'s>,
    /// `DT_PLTGOT`.
    pltgot: Option<u64>,
    /// Which symbols a jump slot names so far.
    slot_symbols: Vec<bool>,
    /// Which words of the writable segments a relocation writes so far.
    written: Written,
    /// The tables read, kept for later checks of function tables.
    kept: Relocations,
    /// The addresses the arrays span, to skip the others quickly.
    slots_span: (u64, u64),
    /// The addresses `PT_DYNAMIC` spans.
    dynamic: (u64, u64),
    /// The targets of TLS module and offset relocations.
    tls_modules: Vec<u64>,
    tls_offsets: Vec<u64>,
}

/// The words at `DT_PLTGOT` that the loader fills itself (the address of
/// the dynamic section, the library's handle, the lazy resolver).
const RESERVED: u64 = if MACHINE == 243 { 16 } else { 24 };

/// A relocation of a type that writes the offset table: where, how many
/// bytes, and which one it is (for errors).
pub(crate) struct GotTarget {
    pub offset: u64,
    pub width: u64,
    pub index: usize,
    pub table: &'static str,
}

/// The relocation tables of a checked library: `(bytes, is Rela)` of each
/// `Rela`/`Rel` table, and the `DT_RELR` table.
#[derive(Default)]
pub(crate) struct Relocations {
    pub tables: Vec<(TableBytes, bool)>,
    pub relr: TableBytes,
    /// The offset-table relocations, checked against the section headers.
    pub got: Vec<GotTarget>,
}

/// The bytes of a relocation table: where the file holds them, when a
/// read that pre-flight keeps has them (no copy), or else a copy.
pub(crate) enum TableBytes {
    Kept { offset: u64, len: u64 },
    Owned(Vec<u8>),
}

impl Default for TableBytes {
    fn default() -> TableBytes {
        TableBytes::Owned(Vec::new())
    }
}

impl TableBytes {
    /// The table read at file offset `offset` (where known) as `bytes`.
    fn of(bytes: Cow<'_, [u8]>, offset: Option<u64>) -> TableBytes {
        match (bytes, offset) {
            (Cow::Borrowed(b), Some(offset)) => TableBytes::Kept {
                offset,
                len: b.len() as u64,
            },
            (bytes, _) => TableBytes::Owned(bytes.into_owned()),
        }
    }

    /// The table's bytes, from `kept` where they lie there.
    pub fn bytes<'a>(&'a self, kept: &'a Kept) -> Result<&'a [u8], String> {
        match self {
            TableBytes::Kept { offset, len } => kept.get(*offset, *len).ok_or_else(|| {
                format!("its relocation table at file offset {offset:#x} was not kept")
            }),
            TableBytes::Owned(v) => Ok(v),
        }
    }
}

/// The words of the writable segments that relocations write, one bit
/// each: linkers never make two relocations write one word, so a second
/// one is a damaged target (whose own word is left unrelocated).
struct Written {
    /// For each writable segment, its address and its bits.
    segments: Vec<(u64, Vec<u64>)>,
    /// The index of the segment marked last.
    last: usize,
}

impl Written {
    fn new(layout: &Layout) -> Written {
        let segments = layout
            .loads
            .iter()
            .filter(|s| s.writable())
            // Relocations write the file-backed part of a segment (and
            // the words right after): the bitmap covers that much, so
            // that no `p_memsz` makes it large. Targets past it are not
            // checked for being written twice.
            .map(|s| {
                let covered = s.memsz.min(s.filesz + 4096);
                (s.vaddr, vec![0u64; (covered / 8 / 64 + 1) as usize])
            })
            .collect();
        Written { segments, last: 0 }
    }

    /// Marks the word where an 8-byte or wider write at `offset`, inside
    /// `segment`, starts; `Err` if it was marked.
    /// Whether a relocation writes the word at `address`.
    fn is_marked(&self, address: u64) -> bool {
        self.segments.iter().any(|(vaddr, bits)| {
            address.checked_sub(*vaddr).is_some_and(|within| {
                let word = (within / 8) as usize;
                bits.get(word / 64)
                    .is_some_and(|cell| cell >> (word % 64) & 1 == 1)
            })
        })
    }

    fn mark(&mut self, segment: &super::segments::Segment, offset: u64) -> Result<(), ()> {
        let bits = match self.segments.get_mut(self.last) {
            Some((v, bits)) if *v == segment.vaddr => bits,
            _ => {
                let Some(i) = self.segments.iter().position(|(v, _)| *v == segment.vaddr) else {
                    return Ok(());
                };
                self.last = i;
                &mut self.segments[i].1
            }
        };
        let word = ((offset - segment.vaddr) / 8) as usize;
        let (cell, bit) = (word / 64, 1u64 << (word % 64));
        match bits.get_mut(cell) {
            Some(c) if *c & bit != 0 => Err(()),
            Some(c) => {
                *c |= bit;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl Checker<'_, '_> {
    /// One `Rela` (`rela`) or `Rel` table, whose first `relative` entries
    /// glibc applies as relative ones.
    fn table(
        &mut self,
        (at, size): Table,
        rela: bool,
        name: &'static str,
        relative: u64,
    ) -> Result<(), String> {
        let entry = if rela { RELA_SIZE } else { REL_SIZE };
        let what = match name {
            "DT_RELA" => "relocation table DT_RELA",
            "DT_REL" => "relocation table DT_REL",
            _ => "relocation table DT_JMPREL",
        };
        let bytes = self.layout.read(self.source, at, size, what)?;
        if relative > size / entry {
            return Err(format!(
                "its {name} has {} entries, and its count of relative ones says {relative}",
                size / entry
            ));
        }
        let mut last: Option<&super::segments::Segment> = None;
        let mut previous: Option<u64> = None;
        let plt = name == "DT_JMPREL";
        // `info` of a relative relocation as linkers write it (symbol 0).
        let relative_info = RELATIVE.map(u64::from);
        for (i, r) in bytes.chunks_exact(entry as usize).enumerate() {
            let (offset, info) = (u64_at(r, 0), u64_at(r, 8));
            // Most relocations of a library are relative ones, counted
            // first and sorted by target: one that is aligned, after the
            // previous one, in the previous one's segment and no array
            // slot, dynamic section or reserved word needs only its word
            // marked. Any other goes through every check below, which
            // says what is wrong.
            if (i as u64) < relative
                && Some(info) == relative_info
                && offset % 8 == 0
                && previous.is_some_and(|p| p < offset)
                && self.plain(offset)
            {
                if let Some(segment) = last.filter(|s| s.holds(offset, 8)) {
                    if self.written.mark(segment, offset).is_ok() {
                        previous = Some(offset);
                        continue;
                    }
                }
            }
            let addend = if rela { u64_at(r, 16) } else { 0 };
            let (sym, kind_number) = (info >> 32, info as u32);
            let Some(kind) = kind(kind_number) else {
                return Err(format!(
                    "relocation {i} of its {name} has type {kind_number}, not a dynamic \
                     relocation type of a shared library on this machine"
                ));
            };
            if (i as u64) < relative && kind != Kind::Relative {
                return Err(format!(
                    "relocation {i} of its {name} is counted as relative but has type {kind_number}"
                ));
            }
            if sym >= self.symbols.count {
                return Err(format!(
                    "relocation {i} of its {name} names symbol {sym}, past the symbol count ({})",
                    self.symbols.count
                ));
            }
            let width = match kind {
                Kind::None => continue,
                Kind::Copy => {
                    return Err(format!(
                        "relocation {i} of its {name} is a copy relocation, which a shared \
                         library never has"
                    ));
                }
                Kind::Other(width) => width,
                Kind::Got(width) if offset % 8 != 0 => {
                    return Err(format!(
                        "relocation {i} of its {name} targets {offset:#x}, which is not aligned \
                         as the entries of the offset table it writes ({width} bytes) are"
                    ));
                }
                Kind::Got(width) => width,
                Kind::Relative | Kind::Absolute if offset % 8 != 0 => {
                    return Err(format!(
                        "relocation {i} of its {name} targets {offset:#x}, an address not \
                         aligned to a word"
                    ));
                }
                _ => 8,
            };
            if offset < self.dynamic.1 && offset.saturating_add(width) > self.dynamic.0 {
                return Err(format!(
                    "relocation {i} of its {name} targets {offset:#x}, inside its dynamic \
                     section, which no linker relocates: a damaged target, whose own word is \
                     left unrelocated"
                ));
            }
            if let Some(got) = self.pltgot.filter(|&g| {
                offset < g.saturating_add(RESERVED) && offset.saturating_add(width) > g
            }) {
                return Err(format!(
                    "relocation {i} of its {name} targets {offset:#x}, one of the words at \
                     DT_PLTGOT ({got:#x}) that the loader fills itself: a damaged target, whose \
                     own word is left unrelocated"
                ));
            }
            if let Kind::Got(width) = kind {
                self.kept.got.push(GotTarget {
                    offset,
                    width,
                    index: i,
                    table: name,
                });
                if is_tls_module(kind_number) {
                    self.tls_modules.push(offset);
                } else if is_tls_offset(kind_number) {
                    self.tls_offsets.push(offset);
                }
            }
            // Linkers sort relative relocations, and those of the PLT
            // (jump slots; IRELATIVE and TLS descriptors go last), by
            // target: a target out of order is a damaged one, which would
            // leave its own word unrelocated.
            let sorted = (i as u64) < relative || (plt && kind == Kind::Got(8));
            if sorted && previous.is_some_and(|p| p >= offset) {
                return Err(format!(
                    "relocation {i} of its {name} targets {offset:#x}, out of order after \
                     {:#x}: the {} relocations are sorted by target",
                    previous.unwrap_or(0),
                    if plt { "PLT" } else { "relative" }
                ));
            }
            if sorted {
                previous = Some(offset);
            }
            if plt && kind == Kind::Got(8) {
                self.jump_slot(i, offset, sym, size / entry)?;
            }
            if sym == 0 && is_slot(kind_number) {
                return Err(format!(
                    "relocation {i} of its {name} binds a slot to no symbol (symbol 0)"
                ));
            }
            // Most targets lie in the segment of the one before.
            let segment = match last.filter(|s| s.holds(offset, width)) {
                Some(s) => s,
                None => self
                    .layout
                    .segment(offset, width)
                    .filter(|s| s.writable())
                    .ok_or_else(|| {
                        format!(
                            "relocation {i} of its {name} targets {offset:#x} ({width} bytes), \
                             outside every writable segment"
                        )
                    })?,
            };
            last = Some(segment);
            if width >= 8 {
                self.written.mark(segment, offset).map_err(|()| {
                    format!(
                        "relocation {i} of its {name} targets {offset:#x}, a word another \
                         relocation writes too"
                    )
                })?;
            }
            if kind == Kind::Irelative && rela && !self.executable(addend) {
                return Err(format!(
                    "relocation {i} of its {name} calls a resolver at {addend:#x}, outside {}",
                    self.layout.code_place()
                ));
            }
            if let Some(slot) = self.slot(offset) {
                let target = match kind {
                    Kind::Relative if rela => Some(addend),
                    Kind::Absolute => {
                        let s = self.symbols.get(sym);
                        // A symbol of another library: not checkable here.
                        (s.shndx != 0).then(|| s.value.wrapping_add(addend))
                    }
                    _ => {
                        return Err(format!(
                            "relocation {i} of its {name} fills {slot} with a type ({kind_number}) \
                             that is not a function address"
                        ));
                    }
                };
                self.fill(offset, target, &slot)?;
            }
        }
        let offset = self.layout.file_offset(at, size);
        self.kept.tables.push((TableBytes::of(bytes, offset), rela));
        Ok(())
    }

    /// Jump slot `i` (of `count` PLT relocations), writing `offset` with
    /// the address of symbol `sym`: each lies in the PLT's part of the
    /// offset table, after its reserved words, and names a symbol no other
    /// jump slot names (a slot moved or renamed leaves its own call
    /// unrelocated or bound to another function).
    fn jump_slot(&mut self, i: usize, offset: u64, sym: u64, count: u64) -> Result<(), String> {
        if let Some(got) = self.pltgot {
            let (first, end) = (got + RESERVED, got + RESERVED + count * 8);
            if offset < first || offset >= end {
                return Err(format!(
                    "jump slot relocation {i} targets {offset:#x}, outside the PLT's slots of \
                     the offset table ({first:#x}..{end:#x})"
                ));
            }
        }
        let Some(seen) = self.slot_symbols.get_mut(sym as usize) else {
            return Ok(());
        };
        if std::mem::replace(seen, true) {
            return Err(format!(
                "jump slot relocation {i} names symbol {sym}, which another jump slot names"
            ));
        }
        Ok(())
    }

    /// `DT_RELR`: addresses, each followed by bitmaps of the next words.
    fn relr(&mut self, (at, size): Table) -> Result<(), String> {
        let bytes = self
            .layout
            .read(self.source, at, size, "relocation table DT_RELR")?;
        let mut next: Option<u64> = None;
        for (i, e) in bytes.chunks_exact(8).enumerate() {
            let entry = u64_at(e, 0);
            if entry & 1 == 0 {
                self.relative_word(entry, i)?;
                next = Some(entry.wrapping_add(8));
                continue;
            }
            let Some(base) = next else {
                return Err(format!(
                    "entry {i} of its DT_RELR is a bitmap with no address before it"
                ));
            };
            for bit in 1..64 {
                if entry >> bit & 1 == 1 {
                    self.relative_word(base.wrapping_add((bit - 1) * 8), i)?;
                }
            }
            next = Some(base.wrapping_add(63 * 8));
        }
        let offset = self.layout.file_offset(at, size);
        self.kept.relr = TableBytes::of(bytes, offset);
        Ok(())
    }

    /// A word `DT_RELR` relocates, at `address`: the file holds its addend.
    fn relative_word(&mut self, address: u64, i: usize) -> Result<(), String> {
        let Some(segment) = self.layout.segment(address, 8).filter(|s| s.writable()) else {
            return Err(format!(
                "entry {i} of its DT_RELR relocates {address:#x}, outside every writable segment"
            ));
        };
        self.written.mark(segment, address).map_err(|()| {
            format!("entry {i} of its DT_RELR relocates {address:#x}, a word another relocation writes too")
        })?;
        if let Some(slot) = self.slot(address) {
            let word =
                self.layout
                    .read(self.source, address, 8, "initialiser or finaliser array")?;
            self.fill(address, Some(u64_at(&word, 0)), &slot)?;
        }
        Ok(())
    }

    /// Whether the word at `address` is outside the spans that need more
    /// than a mark: the array slots, the dynamic section and the words at
    /// `DT_PLTGOT` that the loader fills.
    fn plain(&self, address: u64) -> bool {
        let outside =
            |(start, end): (u64, u64)| address >= end || address.saturating_add(8) <= start;
        outside(self.slots_span)
            && outside(self.dynamic)
            && self
                .pltgot
                .is_none_or(|g| outside((g, g.saturating_add(RESERVED))))
    }

    fn executable(&self, address: u64) -> bool {
        self.layout.is_code(address)
    }

    /// The name of the array slot at `address`, if it is one.
    fn slot(&self, address: u64) -> Option<String> {
        if address < self.slots_span.0 || address >= self.slots_span.1 {
            return None;
        }
        self.arrays.iter().find_map(|a| {
            let within = address.checked_sub(a.at)?;
            let slot = within / 8;
            (within % 8 == 0 && slot < a.filled.len() as u64)
                .then(|| format!("slot {slot} of its {}", a.name))
        })
    }

    /// Marks the slot at `address` filled with `target` (`None`: a
    /// function of another library), which must be code.
    fn fill(&mut self, address: u64, target: Option<u64>, slot: &str) -> Result<(), String> {
        if let Some(target) = target.filter(|&t| !self.executable(t)) {
            return Err(format!(
                "{slot} is relocated to {target:#x}, outside {}",
                self.layout.code_place()
            ));
        }
        for a in &mut self.arrays {
            if let Some(within) = address.checked_sub(a.at) {
                if let Some(f) = a.filled.get_mut((within / 8) as usize) {
                    *f = true;
                }
            }
        }
        Ok(())
    }
}
