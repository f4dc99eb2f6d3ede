//! The ELF header and the program headers: what the dynamic loader reads
//! first and maps the file by.
//!
//! The checks, and what each prevents:
//! - the header is a 64-bit shared library for this machine, byte order and
//!   ABI, with program headers of the right size in a sane number (glibc
//!   copies them to its stack: a huge count overflows it);
//! - every `PT_LOAD` has its file bytes inside the file (a mapping past
//!   the end of the file is SIGBUS at first touch), `p_filesz <= p_memsz`
//!   (glibc zeroes `memsz - filesz` bytes: the other way round it writes
//!   over the heap), a power-of-two alignment of at least a page with
//!   offset and address congruent (else `mmap` maps other bytes), and
//!   the segments sorted by address without sharing a page (glibc maps the
//!   first segment over the whole span and the others over it, with
//!   `MAP_FIXED`: unsorted or overlapping segments map over each other);
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

use super::read::{Source, u16_at, u32_at, u64_at};

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

/// The page size dynplug assumes segments are aligned to, at least.
pub(crate) const PAGE: u64 = 4096;
const PHDR_SIZE: usize = 56;
/// No library has more program headers (ld makes about 10).
const MAX_PHDRS: u16 = 256;
/// TLS blocks larger than this are refused: every thread gets a copy.
const MAX_TLS: u64 = 256 << 20;
const MAX_TLS_ALIGN: u64 = 1 << 20;

/// This machine's `e_machine`.
pub(crate) const MACHINE: u16 = if cfg!(target_arch = "x86_64") {
    62
} else if cfg!(target_arch = "aarch64") {
    183
} else if cfg!(target_arch = "riscv64") {
    243
} else if cfg!(target_arch = "loongarch64") {
    258
} else if cfg!(target_arch = "powerpc64") {
    21
} else if cfg!(target_arch = "s390x") {
    22
} else if cfg!(target_arch = "sparc64") {
    43
} else if cfg!(target_arch = "mips64") {
    8
} else {
    0
};

fn machine_name(machine: u16) -> String {
    match machine {
        3 => "x86".to_owned(),
        8 => "mips".to_owned(),
        20 => "powerpc".to_owned(),
        21 => "powerpc64".to_owned(),
        22 => "s390x".to_owned(),
        40 => "arm".to_owned(),
        43 => "sparc64".to_owned(),
        62 => "x86_64".to_owned(),
        183 => "aarch64".to_owned(),
        243 => "riscv".to_owned(),
        258 => "loongarch".to_owned(),
        other => format!("machine {other}"),
    }
}

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
    fn parse(index: usize, ph: &[u8]) -> Segment {
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
}

impl Layout {
    /// The loadable segment whose memory holds `size` bytes at `vaddr`.
    pub fn segment(&self, vaddr: u64, size: u64) -> Option<&Segment> {
        self.loads.iter().find(|s| s.holds(vaddr, size))
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

/// Checks the ELF header and program headers of `source`.
pub(crate) fn check(source: &Source<'_>) -> Result<Layout, String> {
    let head = source.head();
    if head.len() < 64 || &head[..4] != b"\x7fELF" {
        return Err(format!(
            "it is not an ELF shared library (the file is {} bytes long, shorter than an ELF \
             header, or does not start with one)",
            source.len
        ));
    }
    ident(head)?;
    let kind = u16_at(head, 16);
    match kind {
        3 => {}
        2 => return Err("it is an executable, not a shared library".to_owned()),
        1 => return Err("it is an object file (.o), not a shared library".to_owned()),
        _ => {
            return Err(format!(
                "it is not a shared library (its ELF type is {kind})"
            ));
        }
    }
    let machine = u16_at(head, 18);
    if machine != MACHINE {
        return Err(format!(
            "it is built for {}, and this process runs on {}",
            machine_name(machine),
            machine_name(MACHINE)
        ));
    }
    if u32_at(head, 20) != 1 {
        return Err("its ELF version is not 1".to_owned());
    }
    let phoff = u64_at(head, 32);
    let (phentsize, phnum) = (u16_at(head, 54), u16_at(head, 56));
    if usize::from(phentsize) != PHDR_SIZE {
        return Err(format!(
            "its program headers are {phentsize} bytes each; 64-bit ELF's are {PHDR_SIZE}"
        ));
    }
    if phnum == 0 || phnum > MAX_PHDRS {
        return Err(format!(
            "it has {phnum} program headers (a library has between 1 and {MAX_PHDRS})"
        ));
    }
    let sections = section_headers(source, head)?;
    let phdrs = source.read(
        phoff,
        u64::from(phnum) * PHDR_SIZE as u64,
        "program headers",
    )?;
    let segments: Vec<Segment> = phdrs
        .chunks_exact(PHDR_SIZE)
        .enumerate()
        .map(|(i, ph)| Segment::parse(i, ph))
        .collect();
    let loads = loads(source, &segments)?;
    let mut layout = Layout {
        loads,
        dynamic: segments[0],
        tls: None,
        relro: None,
        sections,
    };
    let mut dynamic = None;
    for s in &segments {
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
                if s.offset != phoff || s.filesz < phdrs.len() as u64 || load.offset > phoff {
                    return Err(format!(
                        "its program header segment (PT_PHDR) is at file offset {:#x}, \
                         {} bytes, and the program headers at {phoff:#x}, {} bytes",
                        s.offset,
                        s.filesz,
                        phdrs.len()
                    ));
                }
            }
            PT_TLS => {
                if layout.tls.replace(*s).is_some() {
                    return Err("it has two thread-local segments (PT_TLS)".to_owned());
                }
                tls(&layout, s)?;
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
    Ok(layout)
}

/// `e_ident`: 64-bit, this byte order, ELF version 1, the System V or GNU
/// ABI, zero padding (as glibc requires).
fn ident(head: &[u8]) -> Result<(), String> {
    match head[4] {
        2 => {}
        1 => {
            return Err(
                "it is a 32-bit ELF file, and this process is 64-bit (dynplug's pre-flight \
                 reads 64-bit ELF)"
                    .to_owned(),
            );
        }
        other => return Err(format!("its ELF class is {other}, neither 32 nor 64-bit")),
    }
    let native = if cfg!(target_endian = "little") { 1 } else { 2 };
    if head[5] != native {
        return Err("its byte order differs from this process's".to_owned());
    }
    if head[6] != 1 {
        return Err("its ELF version is not 1".to_owned());
    }
    let (osabi, abiversion) = (head[7], head[8]);
    if !matches!(osabi, 0 | 3) || (osabi == 0 && abiversion != 0) || abiversion > 4 {
        return Err(format!(
            "its OS ABI ({osabi}, version {abiversion}) is not System V or GNU"
        ));
    }
    if head[9..16].iter().any(|&b| b != 0) {
        return Err("its ELF identification has non-zero padding".to_owned());
    }
    Ok(())
}

/// `(e_shoff, e_shnum, e_shstrndx)`, if the file has section headers; they
/// must then lie inside the file.
fn section_headers(source: &Source<'_>, head: &[u8]) -> Result<Option<(u64, u16, u16)>, String> {
    let shoff = u64_at(head, 40);
    let (shentsize, shnum, shstrndx) = (u16_at(head, 58), u16_at(head, 60), u16_at(head, 62));
    if shoff == 0 {
        return Ok(None);
    }
    if shentsize != 64 {
        return Err(format!(
            "its section headers are {shentsize} bytes each; 64-bit ELF's are 64"
        ));
    }
    if shnum == 0 || shstrndx >= shnum {
        return Err(format!(
            "its section header count ({shnum}) or name table index ({shstrndx}) is invalid"
        ));
    }
    let size = u64::from(shnum) * 64;
    if shoff.checked_add(size).is_none_or(|end| end > source.len) {
        return Err(format!(
            "its section headers ({size} bytes at file offset {shoff:#x}) run past the end of \
             the file ({} bytes): the file is truncated",
            source.len
        ));
    }
    Ok(Some((shoff, shnum, shstrndx)))
}

/// The `PT_LOAD` segments of `segments`, checked.
fn loads(source: &Source<'_>, segments: &[Segment]) -> Result<Vec<Segment>, String> {
    let mut loads: Vec<Segment> = Vec::new();
    for s in segments.iter().filter(|s| s.kind == PT_LOAD) {
        let i = s.index;
        if s.filesz > s.memsz {
            return Err(format!(
                "its loadable segment {i} has more bytes in the file ({}) than in memory ({})",
                s.filesz, s.memsz
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
