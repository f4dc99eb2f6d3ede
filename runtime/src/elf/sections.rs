//! Section headers, where the file has them: the loader never reads them,
//! but they are the only second account of where each part of the file
//! belongs. A flipped `p_offset` or `p_vaddr` that still lies inside the
//! file gives a consistent-looking segment that maps other bytes as code
//! or data; only the sections tell.
//!
//! The checks: every section's bytes inside the file; every allocated
//! section inside one loadable segment, at the file offset its address
//! maps to through that segment (in memory only, and past the segment's
//! file bytes, for `.bss`-like sections); and the sections the dynamic section points to (`.dynamic`,
//! `.dynsym` and its string table, the hash and version tables, the
//! initialiser and finaliser arrays, every allocated relocation section) at
//! the addresses and sizes the dynamic section gives: a flipped tag or
//! address there would make the loader skip or misread a table. Every
//! relocation of an offset-table type targets the offset table (`.got`,
//! `.got.plt`): linkers emit them for nothing else, and one moved elsewhere
//! leaves its own slot unrelocated.

use super::dynamic::{Dynamic, SYM_SIZE};
use super::read::{Source, u32_at, u64_at};
use super::relocs::GotTarget;
use super::segments::Layout;

const SHT_NOBITS: u32 = 8;
const SHT_RELA: u32 = 4;
const SHT_REL: u32 = 9;
const SHT_RELR: u32 = 19;
const SHT_DYNSYM: u32 = 11;
const SHT_DYNAMIC: u32 = 6;
const SHT_HASH: u32 = 5;
const SHT_INIT_ARRAY: u32 = 14;
const SHT_FINI_ARRAY: u32 = 15;
const SHT_GNU_HASH: u32 = 0x6fff_fff6;
const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
const SHT_GNU_VERDEF: u32 = 0x6fff_fffd;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
const SHF_TLS: u64 = 0x400;

/// The address ranges of the allocated executable sections, for the
/// checks of code pointers (`Layout::is_code`), read before the section
/// headers are checked: empty if the file has none or they cannot be
/// read (`check` then says why). A damaged header only makes a range
/// wrong, and `check` refuses the file for it.
pub(crate) fn code(source: &Source<'_>, layout: &Layout) -> Vec<(u64, u64)> {
    let Some((shoff, shnum, _)) = layout.sections else {
        return Vec::new();
    };
    let Ok(headers) = source.read(shoff, u64::from(shnum) * 64, "section headers") else {
        return Vec::new();
    };
    headers
        .chunks_exact(64)
        .skip(1)
        .filter(|sh| {
            let flags = u64_at(sh, 8);
            flags & SHF_ALLOC != 0 && flags & SHF_EXECINSTR != 0 && u32_at(sh, 4) != SHT_NOBITS
        })
        .map(|sh| {
            let addr = u64_at(sh, 16);
            (addr, addr.saturating_add(u64_at(sh, 32)))
        })
        .collect()
}

/// Checks the section headers, if any, against the segments, the
/// dynamic section of a library with `symbols` symbols and the targets of
/// its offset-table relocations.
pub(crate) fn check(
    source: &Source<'_>,
    layout: &Layout,
    dynamic: &Dynamic,
    symbols: u64,
    got: &[GotTarget],
) -> Result<(), String> {
    let Some((shoff, shnum, shstrndx)) = layout.sections else {
        return Ok(());
    };
    let headers = source.read(shoff, u64::from(shnum) * 64, "section headers")?;
    // Names are needed only where `DT_INIT` or `DT_FINI` lies strictly
    // inside an executable section (`.init`, `.fini`?): read lazily.
    let names = std::cell::OnceCell::new();
    let names = || -> Result<&Vec<u8>, String> {
        if let Some(n) = names.get() {
            return Ok(n);
        }
        let n = section_names(source, &headers, usize::from(shstrndx))?;
        Ok(names.get_or_init(|| n))
    };
    for (i, sh) in headers.chunks_exact(64).enumerate().skip(1) {
        let (kind, flags, addr, offset, size) = (
            u32_at(sh, 4),
            u64_at(sh, 8),
            u64_at(sh, 16),
            u64_at(sh, 24),
            u64_at(sh, 32),
        );
        if kind != SHT_NOBITS && offset.checked_add(size).is_none_or(|e| e > source.len) {
            return Err(format!(
                "its section {i} ({size} bytes at file offset {offset:#x}) runs past the end of \
                 the file ({} bytes): the file is truncated",
                source.len
            ));
        }
        if flags & SHF_ALLOC == 0 || size == 0 {
            continue;
        }
        if kind == SHT_NOBITS {
            if flags & SHF_TLS == 0 {
                let Some(segment) = layout.segment(addr, size) else {
                    return Err(format!(
                        "its section {i} ({addr:#x}, {size} bytes) lies in no loadable segment"
                    ));
                };
                // A zero-filled section (`.bss`) starts where its segment's
                // file bytes end: a larger `p_filesz` would fill it with
                // whatever follows in the file instead of zeros.
                if addr < segment.vaddr.saturating_add(segment.filesz) {
                    return Err(format!(
                        "its zero-filled section {i} ({addr:#x}, {size} bytes) lies inside \
                         segment {}'s file bytes, which end at {:#x}: the segment's file size \
                         is wrong",
                        segment.index,
                        segment.vaddr.saturating_add(segment.filesz)
                    ));
                }
            }
        } else {
            let Some(segment) = layout
                .loads
                .iter()
                .find(|l| l.file_offset(addr, size).is_some())
            else {
                return Err(format!(
                    "its section {i} ({addr:#x}, {size} bytes) lies in no loadable segment's \
                     file bytes"
                ));
            };
            let mapped = segment.offset + (addr - segment.vaddr);
            if mapped != offset {
                return Err(format!(
                    "its section {i} is at file offset {offset:#x}, but segment {} maps its \
                     address {addr:#x} to file offset {mapped:#x}",
                    segment.index
                ));
            }
        }
        // `DT_INIT` and `DT_FINI` usually name the start of `.init` and
        // `.fini`; they may name another function (an `-init` option, a
        // post-link optimiser's hook), but never the middle of these.
        let inside = |at: Option<u64>| at.is_some_and(|at| at > addr && at - addr < size);
        if inside(dynamic.init) || inside(dynamic.fini) {
            let name = name_of(names()?, sh);
            let called = match name {
                b".init" => Some(("DT_INIT", dynamic.init)),
                b".fini" => Some(("DT_FINI", dynamic.fini)),
                _ => None,
            };
            if let Some((tag, Some(at))) = called.filter(|(_, at)| inside(*at)) {
                return Err(format!(
                    "its {tag} ({at:#x}) points into the middle of its section {i} ({}, \
                     {addr:#x}, {size} bytes)",
                    String::from_utf8_lossy(name)
                ));
            }
        }
        if matches!(kind, SHT_RELA | SHT_REL | SHT_RELR) {
            // Each allocated relocation section is applied: it lies in one
            // of the tables the dynamic section names.
            let tables = [
                dynamic.rela,
                dynamic.rel,
                dynamic.relr,
                dynamic.jmprel.map(|(t, _)| t),
            ];
            let covered = tables.iter().flatten().any(|&(at, len)| {
                addr >= at && addr.checked_add(size).is_some_and(|e| e <= at + len)
            });
            if !covered {
                return Err(format!(
                    "its relocation section {i} ({addr:#x}, {size} bytes) is in none of the \
                     relocation tables of its dynamic section: the loader would skip it"
                ));
            }
        }
        let expected = match kind {
            SHT_DYNAMIC => Some((
                "PT_DYNAMIC",
                layout.dynamic.vaddr,
                Some(layout.dynamic.filesz),
            )),
            SHT_DYNSYM => Some(("DT_SYMTAB", dynamic.symtab, Some(symbols * SYM_SIZE))),
            SHT_HASH => dynamic.hash.map(|a| ("DT_HASH", a, None)),
            SHT_GNU_HASH => dynamic.gnu_hash.map(|a| ("DT_GNU_HASH", a, None)),
            SHT_GNU_VERSYM => dynamic.versym.map(|a| ("DT_VERSYM", a, Some(symbols * 2))),
            SHT_GNU_VERNEED => dynamic.verneed.map(|(a, _)| ("DT_VERNEED", a, None)),
            SHT_GNU_VERDEF => dynamic.verdef.map(|(a, _)| ("DT_VERDEF", a, None)),
            SHT_INIT_ARRAY => dynamic
                .init_array
                .map(|(a, s)| ("DT_INIT_ARRAY", a, Some(s))),
            SHT_FINI_ARRAY => dynamic
                .fini_array
                .map(|(a, s)| ("DT_FINI_ARRAY", a, Some(s))),
            _ => None,
        };
        let required = match kind {
            SHT_HASH => Some(("DT_HASH", dynamic.hash.is_some())),
            SHT_GNU_HASH => Some(("DT_GNU_HASH", dynamic.gnu_hash.is_some())),
            SHT_GNU_VERSYM => Some(("DT_VERSYM", dynamic.versym.is_some())),
            SHT_GNU_VERNEED => Some(("DT_VERNEED", dynamic.verneed.is_some())),
            SHT_GNU_VERDEF => Some(("DT_VERDEF", dynamic.verdef.is_some())),
            SHT_INIT_ARRAY => Some(("DT_INIT_ARRAY", dynamic.init_array.is_some())),
            SHT_FINI_ARRAY => Some(("DT_FINI_ARRAY", dynamic.fini_array.is_some())),
            _ => None,
        };
        if let Some((tag, false)) = required {
            return Err(format!(
                "its section {i} ({addr:#x}) has no {tag} in the dynamic section"
            ));
        }
        if let Some((name, at, len)) = expected {
            if at != addr || len.is_some_and(|len| len != size) {
                return Err(format!(
                    "its section {i} ({addr:#x}, {size} bytes) disagrees with its {name} \
                     ({at:#x}{})",
                    len.map_or(String::new(), |l| format!(", {l} bytes"))
                ));
            }
        }
        if kind == SHT_DYNSYM {
            // The string table the symbol table links to.
            let link = u32_at(sh, 40) as usize;
            let strtab = headers.chunks_exact(64).nth(link).filter(|_| link != 0);
            if let Some(st) = strtab {
                let (st_addr, st_size) = (u64_at(st, 16), u64_at(st, 32));
                if st_addr != dynamic.strtab || st_size != dynamic.strsz {
                    return Err(format!(
                        "its dynamic string table section ({st_addr:#x}, {st_size} bytes) \
                         disagrees with its DT_STRTAB ({:#x}, {} bytes)",
                        dynamic.strtab, dynamic.strsz
                    ));
                }
            }
        }
    }
    if !got.is_empty() {
        let names = names()?;
        let tables: Vec<(u64, u64)> = headers
            .chunks_exact(64)
            .skip(1)
            .filter(|sh| matches!(name_of(names, sh), b".got" | b".got.plt"))
            .map(|sh| (u64_at(sh, 16), u64_at(sh, 32)))
            .collect();
        let inside = |t: &GotTarget| {
            tables.iter().any(|&(at, size)| {
                t.offset >= at && t.offset.saturating_add(t.width) <= at.saturating_add(size)
            })
        };
        if let Some(t) = got.iter().find(|t| !inside(t)) {
            return Err(format!(
                "relocation {} of its {} targets {:#x}, outside its offset table (.got, \
                 .got.plt), where the slots it fills lie: a damaged target, whose own slot is \
                 left unrelocated",
                t.index, t.table, t.offset
            ));
        }
    }
    Ok(())
}

/// The name of section `sh` in the section name table `names`.
fn name_of<'n>(names: &'n [u8], sh: &[u8]) -> &'n [u8] {
    names
        .get(u32_at(sh, 0) as usize..)
        .and_then(|n| n.split(|&b| b == 0).next())
        .unwrap_or(b"")
}

/// The size of the `.dynsym` section, if the file has section headers and
/// one.
pub(crate) fn dynsym_size(source: &Source<'_>, layout: &Layout) -> Result<Option<u64>, String> {
    let Some((shoff, shnum, _)) = layout.sections else {
        return Ok(None);
    };
    let headers = source.read(shoff, u64::from(shnum) * 64, "section headers")?;
    Ok(headers
        .chunks_exact(64)
        .find(|sh| u32_at(sh, 4) == SHT_DYNSYM)
        .map(|sh| u64_at(sh, 32)))
}

/// The section name table (`e_shstrndx`), at most 64 KiB of it.
fn section_names(source: &Source<'_>, headers: &[u8], index: usize) -> Result<Vec<u8>, String> {
    let Some(sh) = headers.chunks_exact(64).nth(index).filter(|_| index != 0) else {
        return Ok(Vec::new());
    };
    let (offset, size) = (u64_at(sh, 24), u64_at(sh, 32).min(64 << 10));
    Ok(source
        .read(offset, size, "section name table")?
        .into_owned())
}
