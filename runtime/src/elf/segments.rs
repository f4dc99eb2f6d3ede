//! The program headers: the segments the dynamic loader maps, and the
//! others it or the unwinder reads.
//!
//! The checks, and what each prevents:
//! - every `PT_LOAD` has its file bytes inside the file (a mapping past
//!   the end of the file is SIGBUS at first touch), is readable,
//!   `p_filesz <= p_memsz` (glibc zeroes `memsz - filesz` bytes: the other
//!   way round it writes over the heap), a power-of-two alignment of at
//!   least a page with offset and address congruent (else `mmap` maps
//!   other bytes), and the segments sorted by address without sharing a
//!   page (glibc maps the first segment over the whole span and the others
//!   over it, with `MAP_FIXED`: unsorted or overlapping segments map over
//!   each other);
//! - `PT_DYNAMIC` lies in a writable segment's file bytes (glibc reads it
//!   until `DT_NULL` and, on most machines, relocates it in place);
//! - `PT_PHDR`, `PT_TLS`, `PT_GNU_RELRO`, `PT_GNU_EH_FRAME`, `PT_NOTE`,
//!   `PT_GNU_PROPERTY` and `PT_INTERP` lie where the loader or the unwinder
//!   reads them, with offsets that agree with their addresses; notes are
//!   walked as glibc walks them (a note's size past its segment is a read
//!   past the mapping); the TLS block is of sane size and alignment (glibc
//!   aborts when it cannot allocate a thread's block); `PT_GNU_RELRO`
//!   lies in a writable segment (glibc makes it read-only after relocation:
//!   over code it would remove the execute right).

use super::read::{Source, u32_at, u64_at};

pub(crate) const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const PT_NOTE: u32 = 4;
const PT_PHDR: u32 = 6;
const PT_TLS: u32 = 7;
const PT_GNU_EH_FRAME: u32 = 0x6474_e550;
const PT_GNU_RELRO: u32 = 0x6474_e552;
const PT_GNU_PROPERTY: u32 = 0x6474_e553;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;

/// The page size dynplug assumes segments are aligned to, at least.
pub(crate) const PAGE: u64 = 4096;
/// The size of a 64-bit program header.
pub(crate) const PHDR_SIZE: usize = 56;
/// TLS blocks larger than this are refused: every thread gets a copy.
const MAX_TLS: u64 = 256 << 20;
const MAX_TLS_ALIGN: u64 = 1 << 20;

/// A program header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    /// Its index among the program headers.
    pub index: usize,
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl Segment {
    pub(crate) fn parse(index: usize, ph: &[u8]) -> Segment {
        Segment {
            index,
            kind: u32_at(ph, 0),
            flags: u32_at(ph, 4),
            offset: u64_at(ph, 8),
            vaddr: u64_at(ph, 16),
            filesz: u64_at(ph, 32),
            memsz: u64_at(ph, 40),
            align: u64_at(ph, 48),
        }
    }

    pub fn writable(&self) -> bool {
        self.flags & PF_W != 0
    }

    pub fn executable(&self) -> bool {
        self.flags & PF_X != 0
    }

    /// Whether `size` bytes at `vaddr` lie in its memory.
    pub fn holds(&self, vaddr: u64, size: u64) -> bool {
        vaddr >= self.vaddr
            && vaddr
                .checked_add(size)
                .is_some_and(|end| end <= self.vaddr + self.memsz)
    }

    /// The file offset of `size` bytes at `vaddr`, if they lie in its file
    /// bytes.
    pub fn file_offset(&self, vaddr: u64, size: u64) -> Option<u64> {
        let within = vaddr.checked_sub(self.vaddr)?;
        (within.checked_add(size)? <= self.filesz).then(|| self.offset + within)
    }
}

/// The file's header fields and segments, checked.
pub(crate) struct Layout {
    /// The `PT_LOAD` segments, sorted by address.
    pub loads: Vec<Segment>,
    /// `PT_DYNAMIC`.
    pub dynamic: Segment,
    pub tls: Option<Segment>,
    pub relro: Option<Segment>,
    /// `(e_shoff, e_shnum, e_shstrndx)`, if the file has section headers.
    pub sections: Option<(u64, u16, u16)>,
    /// The address ranges of the executable sections (`.init`, `.plt`,
    /// `.text`...), if the file has section headers; empty otherwise.
    pub code: Vec<(u64, u64)>,
}

impl Layout {
    /// The loadable segment whose memory holds `size` bytes at `vaddr`.
    pub fn segment(&self, vaddr: u64, size: u64) -> Option<&Segment> {
        self.loads.iter().find(|s| s.holds(vaddr, size))
    }

    /// Whether `address` may be code that the loader or the host calls: in
    /// an executable segment and, where the file has section headers, in
    /// an executable section. The segment alone is too coarse where the
    /// linker puts the headers, the symbol tables and the read-only data
    /// in the code segment (GNU ld on aarch64, lld): a pointer damaged to
    /// point at them would be called.
    pub fn is_code(&self, address: u64) -> bool {
        self.segment(address, 1).is_some_and(Segment::executable)
            && (self.code.is_empty()
                || self
                    .code
                    .iter()
                    .any(|&(start, end)| address >= start && address < end))
    }

    /// Where code must lie, for errors: "every executable section" or
    /// "every executable segment".
    pub fn code_place(&self) -> &'static str {
        if self.code.is_empty() {
            "every executable segment"
        } else {
            "every executable section"
        }
    }

    /// The file offset of `size` bytes at `vaddr`, where they lie in one
    /// loadable segment's file bytes.
    pub fn file_offset(&self, vaddr: u64, size: u64) -> Option<u64> {
        self.loads.iter().find_map(|s| s.file_offset(vaddr, size))
    }

    /// `size` bytes at `vaddr`, from the file bytes of the segment that
    /// maps them; `what` names them in errors.
    pub fn read<'s>(
        &self,
        source: &'s Source<'_>,
        vaddr: u64,
        size: u64,
        what: &str,
    ) -> Result<std::borrow::Cow<'s, [u8]>, String> {
        let offset = self.file_offset(vaddr, size).ok_or_else(|| {
            format!(
                "its {what} ({size} bytes at address {vaddr:#x}) lies in no loadable \
                 segment's file bytes"
            )
        })?;
        source.read(offset, size, what)
    }

    /// Checks that segment `s`, named `what`, lies in one loadable
    /// segment's file bytes (its first `filesz` bytes) at the offset its
    /// address maps to, and returns that segment.
    fn place(&self, s: &Segment, what: &str) -> Result<&Segment, String> {
        let load = self
            .loads
            .iter()
            .find(|l| l.file_offset(s.vaddr, s.filesz.max(1)).is_some())
            .ok_or_else(|| {
                format!(
                    "its {what} (program header {}, {} bytes at address {:#x}) lies in no \
                     loadable segment's file bytes",
                    s.index, s.filesz, s.vaddr
                )
            })?;
        if load.file_offset(s.vaddr, 0) != Some(s.offset) {
            return Err(format!(
                "its {what} (program header {}) is at file offset {:#x}, but its address \
                 {:#x} maps to file offset {:#x} through segment {}",
                s.index,
                s.offset,
                s.vaddr,
                load.offset + (s.vaddr - load.vaddr),
                load.index
            ));
        }
        Ok(load)
    }
}

/// Checks the program headers other than `PT_LOAD` (`segments`, the
/// program headers at `phoff`, `phsize` bytes), filling in `layout`.
pub(crate) fn special(
    source: &Source<'_>,
    layout: &mut Layout,
    segments: &[Segment],
    phoff: u64,
    phsize: u64,
) -> Result<(), String> {
    let mut dynamic = None;
    for s in segments {
        match s.kind {
            PT_DYNAMIC => {
                if dynamic.replace(*s).is_some() {
                    return Err("it has two dynamic segments (PT_DYNAMIC)".to_owned());
                }
                let load = layout.place(s, "dynamic segment")?;
                if s.filesz < 16 || s.filesz != s.memsz {
                    return Err(format!(
                        "its dynamic segment is {} bytes in the file and {} in memory",
                        s.filesz, s.memsz
                    ));
                }
                if !load.writable() {
                    return Err(format!(
                        "its dynamic segment lies in segment {}, which is not writable (the \
                         loader relocates it in place)",
                        load.index
                    ));
                }
            }
            PT_PHDR => {
                let load = layout.place(s, "program header segment (PT_PHDR)")?;
                if s.offset != phoff || s.filesz < phsize || load.offset > phoff {
                    return Err(format!(
                        "its program header segment (PT_PHDR) is at file offset {:#x}, \
                         {} bytes, and the program headers at {phoff:#x}, {} bytes",
                        s.offset, s.filesz, phsize
                    ));
                }
            }
            PT_TLS => {
                if layout.tls.replace(*s).is_some() {
                    return Err("it has two thread-local segments (PT_TLS)".to_owned());
                }
                tls(layout, s)?;
            }
            PT_GNU_RELRO => {
                if layout.relro.replace(*s).is_some() {
                    return Err("it has two PT_GNU_RELRO segments".to_owned());
                }
                // Only its address and size in memory matter to glibc.
                let load = layout
                    .loads
                    .iter()
                    .find(|l| l.holds(s.vaddr, 1) && l.offset + (s.vaddr - l.vaddr) == s.offset)
                    .ok_or(());
                // glibc protects whole pages, the end rounded down: the
                // segment may run to the end of its load's last page.
                let inside = |l: &Segment| {
                    let end = (l.vaddr + l.memsz).div_ceil(PAGE) * PAGE;
                    l.writable() && s.vaddr.checked_add(s.memsz).is_some_and(|e| e <= end)
                };
                if !load.is_ok_and(inside) {
                    return Err(format!(
                        "its read-only-after-relocation segment (PT_GNU_RELRO, program header \
                         {}, {:#x}..{:#x}) is not inside one writable loadable segment",
                        s.index,
                        s.vaddr,
                        s.vaddr.saturating_add(s.memsz)
                    ));
                }
            }
            PT_GNU_EH_FRAME => {
                layout.place(s, "unwind table header (PT_GNU_EH_FRAME)")?;
            }
            PT_NOTE | PT_GNU_PROPERTY => {
                layout.place(s, "note segment")?;
                let notes = source.read(s.offset, s.filesz, "notes")?;
                notes_check(&notes, s)?;
            }
            PT_INTERP => {
                let interp = source.read(s.offset, s.filesz, "interpreter name (PT_INTERP)")?;
                if interp.last() != Some(&0) {
                    return Err("its interpreter name (PT_INTERP) does not end in NUL".to_owned());
                }
            }
            _ => {}
        }
    }
    layout.dynamic = dynamic.ok_or("it has no dynamic segment (PT_DYNAMIC)")?;
    Ok(())
}

/// The `PT_LOAD` segments of `segments`, checked.
pub(crate) fn loads(source: &Source<'_>, segments: &[Segment]) -> Result<Vec<Segment>, String> {
    let mut loads: Vec<Segment> = Vec::new();
    for s in segments.iter().filter(|s| s.kind == PT_LOAD) {
        let i = s.index;
        if s.filesz > s.memsz {
            return Err(format!(
                "its loadable segment {i} has more bytes in the file ({}) than in memory ({})",
                s.filesz, s.memsz
            ));
        }
        if s.flags & PF_R == 0 && s.memsz > 0 {
            return Err(format!(
                "its loadable segment {i} is not readable (flags {:#x})",
                s.flags
            ));
        }
        if s.offset
            .checked_add(s.filesz)
            .is_none_or(|e| e > source.len)
        {
            return Err(format!(
                "its loadable segment {i} (file offset {:#x}, {} bytes) runs past the end of the \
                 file ({} bytes): the file is truncated",
                s.offset, s.filesz, source.len
            ));
        }
        if s.vaddr.checked_add(s.memsz).is_none_or(|e| e > 1 << 47) {
            return Err(format!(
                "its loadable segment {i} ({:#x}, {} bytes) lies past any address space",
                s.vaddr, s.memsz
            ));
        }
        if !s.align.is_power_of_two() || s.align < PAGE {
            return Err(format!(
                "its loadable segment {i} is aligned to {:#x}, not a power of two of at least a \
                 page",
                s.align
            ));
        }
        if s.offset % s.align != s.vaddr % s.align {
            return Err(format!(
                "its loadable segment {i} has file offset {:#x} and address {:#x}, which differ \
                 modulo its alignment {:#x}",
                s.offset, s.vaddr, s.align
            ));
        }
        if let Some(prev) = loads.last() {
            let prev_end = (prev.vaddr + prev.memsz).div_ceil(PAGE) * PAGE;
            if s.vaddr < prev.vaddr {
                return Err(format!(
                    "its loadable segments are not sorted by address: segment {i} (address \
                     {:#x}) comes after segment {} (address {:#x})",
                    s.vaddr, prev.index, prev.vaddr
                ));
            }
            if s.vaddr / PAGE * PAGE < prev_end {
                return Err(format!(
                    "its loadable segments overlap: segment {i} (address {:#x}) starts inside \
                     the pages of segment {} ({:#x}..{:#x})",
                    s.vaddr,
                    prev.index,
                    prev.vaddr,
                    prev.vaddr + prev.memsz
                ));
            }
        }
        loads.push(*s);
    }
    if loads.is_empty() {
        return Err("it has no loadable segment".to_owned());
    }
    Ok(loads)
}

/// `PT_TLS`: the initial image in a loaded segment's file bytes, a sane
/// block size and alignment.
fn tls(layout: &Layout, s: &Segment) -> Result<(), String> {
    if s.filesz > s.memsz || s.memsz > MAX_TLS {
        return Err(format!(
            "its thread-local segment is {} bytes in the file and {} in memory (at most {MAX_TLS})",
            s.filesz, s.memsz
        ));
    }
    if s.align > MAX_TLS_ALIGN || !(s.align == 0 || s.align.is_power_of_two()) {
        return Err(format!(
            "its thread-local segment is aligned to {:#x}, not a power of two up to {MAX_TLS_ALIGN:#x}",
            s.align
        ));
    }
    if s.filesz > 0 {
        layout.place(s, "thread-local segment (PT_TLS)")?;
    }
    Ok(())
}

/// Walks the notes of segment `s` as glibc does (GNU property notes are
/// read from memory, up to each note's stated sizes): every note must
/// end inside the segment.
fn notes_check(notes: &[u8], s: &Segment) -> Result<(), String> {
    let align = if s.align == 8 { 8 } else { 4 };
    let mut at = 0usize;
    while at + 12 <= notes.len() {
        let (namesz, descsz) = (u32_at(notes, at) as usize, u32_at(notes, at + 4) as usize);
        let name_end = (at + 12).checked_add(namesz);
        let end = name_end
            .map(|n| n.div_ceil(align) * align)
            .and_then(|d| d.checked_add(descsz))
            .map(|e| e.div_ceil(align) * align);
        match end {
            Some(end) if end <= notes.len().div_ceil(align) * align => at = end,
            _ => {
                return Err(format!(
                    "a note in its note segment (program header {}) at offset {at} runs past \
                     the segment ({} bytes)",
                    s.index,
                    notes.len()
                ));
            }
        }
    }
    Ok(())
}
