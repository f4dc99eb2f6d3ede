//! The quick pre-flight of a plugin load on ELF platforms: the few reads
//! that find one interface's metadata record and table in a shared
//! library, with the checks that keep the dynamic loader from crashing on
//! the file (a shared library for this machine, every loadable segment
//! inside the file).
//!
//! It answers only for the plain case, a 64-bit little-endian library of
//! this machine with both symbols in its hash table; anything else,
//! malformed or merely unusual, is `None`, and the full pre-flight
//! (`preflight::check`, which parses the whole file with `object`) decides
//! and words the error. It reads the ELF header and program headers, the
//! dynamic section, the dynamic symbol and string tables with their hash
//! table, and the record: a few reads of a few kilobytes, where the full
//! pre-flight reads the whole file and indexes every exported symbol.
//!
//! Every read is bounded by the file and every table access by the bytes
//! read: the file is untrusted.

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::meta::{self, HEADER_LEN};
use crate::preflight::MAX_RECORD;

/// What the quick pre-flight found for one interface.
pub(crate) struct Found {
    /// The metadata record's bytes (header checked, length as it says).
    pub record: Vec<u8>,
    /// The size of the table's symbol, in bytes.
    pub vtable_size: u64,
}

/// This machine's `e_machine`, for the architectures the quick path knows.
const MACHINE: Option<u16> = if cfg!(target_arch = "x86_64") {
    Some(62)
} else if cfg!(target_arch = "aarch64") {
    Some(183)
} else if cfg!(target_arch = "riscv64") {
    Some(243)
} else if cfg!(target_arch = "loongarch64") {
    Some(258)
} else {
    None
};

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const DT_NULL: u64 = 0;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_SYMENT: u64 = 11;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
const SYM_SIZE: u64 = 24;
/// The first read: enough for the headers and, in a small or middling
/// library, its symbol tables.
const HEAD: u64 = 8 << 10;
/// Reads of tables larger than this are left to the full pre-flight.
const MAX_TABLES: u64 = 64 << 20;

/// Finds the symbols `meta` and `vtable` in the library open as `file`
/// (`len` bytes long) and reads the record; `None` when the file is not a
/// plain case or lacks either symbol.
pub(crate) fn find(file: &File, len: u64, meta_symbol: &str, vtable_symbol: &str) -> Option<Found> {
    let machine = MACHINE?;
    if !cfg!(all(target_pointer_width = "64", target_endian = "little")) {
        return None;
    }
    // The ELF header, the program headers and, for all but large
    // libraries, the symbol tables: one read instead of two.
    let head = read(file, 0, len.min(HEAD))?;
    if head.get(..7)? != b"\x7fELF\x02\x01\x01"
        || u16_at(&head, 16)? != 3 // ET_DYN
        || u16_at(&head, 18)? != machine
        || u16_at(&head, 54)? != 56
    {
        return None;
    }
    let phoff = u64_at(&head, 32)?;
    let phnum = u16_at(&head, 56)?;
    if phnum == 0 || phnum == u16::MAX {
        return None;
    }
    // The loader needs no section headers, but the full pre-flight (and
    // `inspect`) refuses a file cut short in them: so does this one.
    let (shoff, shentsize, shnum) = (u64_at(&head, 40)?, u16_at(&head, 58)?, u16_at(&head, 60)?);
    let shstrndx = u16_at(&head, 62)?;
    if shoff != 0
        && (shnum == 0
            || shentsize != 64
            || shstrndx >= shnum
            || shoff.checked_add(u64::from(shentsize) * u64::from(shnum))? > len)
    {
        return None;
    }
    let phsize = u64::from(phnum) * 56;
    let phdrs = match usize::try_from(phoff.checked_add(phsize)?) {
        Ok(end) if end <= head.len() => head[phoff as usize..end].to_vec(),
        _ => read(file, phoff, phsize).filter(|_| phoff + phsize <= len)?,
    };
    let mut loads = Vec::new();
    let mut dynamic = None;
    for ph in phdrs.chunks_exact(56) {
        let (offset, filesz) = (u64_at(ph, 8)?, u64_at(ph, 32)?);
        match u32_at(ph, 0)? {
            PT_LOAD => {
                // A segment past the end of the file makes the loader die
                // of SIGBUS; the full pre-flight words the error.
                if offset.checked_add(filesz)? > len {
                    return None;
                }
                loads.push(Segment {
                    offset,
                    vaddr: u64_at(ph, 16)?,
                    filesz,
                });
            }
            PT_DYNAMIC => dynamic = Some((offset, filesz)),
            _ => {}
        }
    }
    let (dyn_offset, dyn_size) = dynamic?;
    if loads.is_empty() || dyn_offset.checked_add(dyn_size)? > len || dyn_size > 1 << 16 {
        return None;
    }
    let dynamic = read(file, dyn_offset, dyn_size)?;
    let tables = Tables::read(file, len, &loads, &dynamic, &head)?;
    let meta = tables.lookup(meta_symbol.as_bytes())?;
    let vtable = tables.lookup(vtable_symbol.as_bytes())?;
    let size = usize::try_from(meta.size).ok()?;
    if !(HEADER_LEN..=MAX_RECORD).contains(&size) {
        return None;
    }
    let offset = file_range(&loads, meta.value, meta.size)?;
    let record = read(file, offset, meta.size)?;
    match meta::read_header(&record) {
        Ok((total, _)) if total == size => Some(Found {
            record,
            vtable_size: vtable.size,
        }),
        _ => None,
    }
}

/// A loadable segment: where its bytes lie in the file and in memory.
struct Segment {
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

/// The file offset of the `size` bytes at virtual address `vaddr`, if they
/// lie in the file's part of one loadable segment.
fn file_range(loads: &[Segment], vaddr: u64, size: u64) -> Option<u64> {
    loads.iter().find_map(|s| {
        let within = vaddr.checked_sub(s.vaddr)?;
        (within.checked_add(size)? <= s.filesz).then(|| s.offset + within)
    })
}

/// The dynamic symbol table, its strings and its hash table, read from the
/// file in one piece (a linker puts them next to each other).
struct Tables {
    /// The file's bytes from offset `start`.
    bytes: Vec<u8>,
    start: u64,
    hash: Hash,
    symtab: u64,
    strtab: u64,
    strsz: u64,
}

#[derive(Clone, Copy)]
enum Hash {
    /// `DT_GNU_HASH`, at this file offset.
    Gnu(u64),
    /// `DT_HASH`, at this file offset.
    SysV(u64),
}

/// A symbol's value and size.
struct Symbol {
    value: u64,
    size: u64,
}

impl Tables {
    /// The tables the `dynamic` section points to, from `head` (the
    /// file's first bytes) if they lie in it, else read from `file`.
    fn read(
        file: &File,
        len: u64,
        loads: &[Segment],
        dynamic: &[u8],
        head: &[u8],
    ) -> Option<Tables> {
        let (mut gnu, mut sysv, mut symtab, mut strtab, mut strsz) = (None, None, None, None, None);
        for entry in dynamic.chunks_exact(16) {
            let value = u64_at(entry, 8)?;
            match u64_at(entry, 0)? {
                DT_NULL => break,
                DT_GNU_HASH => gnu = Some(value),
                DT_HASH => sysv = Some(value),
                DT_SYMTAB => symtab = Some(value),
                DT_STRTAB => strtab = Some(value),
                DT_STRSZ => strsz = Some(value),
                DT_SYMENT if value != SYM_SIZE => return None,
                _ => {}
            }
        }
        let at = |vaddr: u64| file_range(loads, vaddr, 1);
        let hash = match (gnu, sysv) {
            (Some(vaddr), _) => Hash::Gnu(at(vaddr)?),
            (None, Some(vaddr)) => Hash::SysV(at(vaddr)?),
            (None, None) => return None,
        };
        let strsz = strsz?;
        let (symtab, strtab) = (at(symtab?)?, at(strtab?)?);
        let end = strtab.checked_add(strsz)?;
        let hash_at = match hash {
            Hash::Gnu(offset) | Hash::SysV(offset) => offset,
        };
        let start = hash_at.min(symtab).min(strtab);
        if end > len || hash_at >= end || symtab >= end || end - start > MAX_TABLES {
            return None;
        }
        let bytes = match head.get(start as usize..end as usize) {
            Some(bytes) => bytes.to_vec(),
            None => read(file, start, end - start)?,
        };
        Some(Tables {
            bytes,
            start,
            hash,
            symtab,
            strtab,
            strsz,
        })
    }

    fn u32(&self, offset: u64) -> Option<u32> {
        u32_at(
            &self.bytes,
            usize::try_from(offset.checked_sub(self.start)?).ok()?,
        )
    }

    /// The exported definition of `name`, found through the hash table as
    /// the dynamic loader finds it.
    fn lookup(&self, name: &[u8]) -> Option<Symbol> {
        // No chain is longer than the table: bounds a malformed one.
        let limit = self.bytes.len() / 4;
        match self.hash {
            Hash::Gnu(at) => {
                let hash = name.iter().fold(5381u32, |h, &c| {
                    h.wrapping_mul(33).wrapping_add(u32::from(c))
                });
                let buckets = self.u32(at)?;
                let first = u64::from(self.u32(at + 4)?);
                let bloom_words = u64::from(self.u32(at + 8)?);
                let buckets_at = at + 16 + bloom_words.checked_mul(8)?;
                let chains_at = buckets_at + u64::from(buckets) * 4;
                let bucket = u64::from(hash.checked_rem(buckets)?);
                let start = u64::from(self.u32(buckets_at + bucket * 4)?);
                if start < first {
                    return None;
                }
                // The chain runs from `start` until an entry's low bit ends it.
                for index in (start..).take(limit) {
                    let chain =
                        self.u32(chains_at.checked_add((index - first).checked_mul(4)?)?)?;
                    if chain | 1 == hash | 1 {
                        if let Some(symbol) = self.symbol(index, name) {
                            return Some(symbol);
                        }
                    }
                    if chain & 1 == 1 {
                        return None;
                    }
                }
                None
            }
            Hash::SysV(at) => {
                let hash = name.iter().fold(0u32, |h, &c| {
                    let h = (h << 4).wrapping_add(u32::from(c));
                    let high = h & 0xf000_0000;
                    (h ^ (high >> 24)) & !high
                });
                let buckets = self.u32(at)?;
                let bucket = u64::from(hash.checked_rem(buckets)?);
                let chains_at = at + 8 + u64::from(buckets) * 4;
                let mut index = u64::from(self.u32(at + 8 + bucket * 4)?);
                for _ in 0..limit {
                    if index == 0 {
                        return None;
                    }
                    if let Some(symbol) = self.symbol(index, name) {
                        return Some(symbol);
                    }
                    index = u64::from(self.u32(chains_at.checked_add(index.checked_mul(4)?)?)?);
                }
                None
            }
        }
    }

    /// Symbol `index`, if it is named `name` and an exported definition
    /// (global or weak, default or protected visibility).
    fn symbol(&self, index: u64, name: &[u8]) -> Option<Symbol> {
        let entry = self.symtab.checked_add(index.checked_mul(SYM_SIZE)?)?;
        let from = usize::try_from(entry.checked_sub(self.start)?).ok()?;
        let sym = self.bytes.get(from..from.checked_add(SYM_SIZE as usize)?)?;
        let name_at = u64::from(u32_at(sym, 0)?);
        let name_end = name_at.checked_add(name.len() as u64)?;
        if name_end >= self.strsz {
            return None;
        }
        let text = usize::try_from(self.strtab + name_at - self.start).ok()?;
        let (stored, nul) = self
            .bytes
            .get(text..text + name.len() + 1)?
            .split_at(name.len());
        if stored != name || nul != b"\0" {
            return None;
        }
        let (info, other, section) = (sym[4], sym[5], u16_at(sym, 6)?);
        // Global, weak or unique; default or protected visibility; a data
        // object (not a function, an IFUNC resolver `dlsym` would call, or
        // thread-local) in a section of the file (not undefined, absolute
        // or common).
        let (bind, kind) = (info >> 4, info & 0xf);
        let exported = matches!(bind, 1 | 2 | 10)
            && matches!(other & 3, 0 | 3)
            && kind == 1
            && section != 0
            && section < 0xff00;
        exported.then(|| Symbol {
            value: u64_at(sym, 8).unwrap_or(0),
            size: u64_at(sym, 16).unwrap_or(0),
        })
    }
}

/// `len` bytes of `file` from `offset`, if it has them.
fn read(file: &File, offset: u64, len: u64) -> Option<Vec<u8>> {
    let mut buf = vec![0; usize::try_from(len).ok()?];
    file.read_exact_at(&mut buf, offset).ok()?;
    Some(buf)
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        bytes.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}
