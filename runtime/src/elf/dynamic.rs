//! The dynamic section: the table of tables the dynamic loader works from.
//!
//! glibc reads it from memory up to `DT_NULL`, keeps the last entry of each
//! tag, and then trusts every address and size in it. The checks, and what
//! each prevents:
//! - a `DT_NULL` inside the segment (else the loader reads past it);
//! - the tables it cannot do without (`DT_STRTAB`, `DT_STRSZ`, `DT_SYMTAB`,
//!   a hash table), and the size of every table that has an address
//!   (`DT_RELA` without `DT_RELASZ` is a null dereference in glibc);
//! - the entry sizes glibc asserts (`DT_RELAENT`, `DT_RELENT`,
//!   `DT_RELRENT`, `DT_PLTREL`; a failed assertion exits the process with
//!   127) and sizes that are whole multiples of them;
//! - every address tag inside a loaded segment (the loader adds the load
//!   address and dereferences it), `DT_INIT`/`DT_FINI` inside an
//!   executable one (they are called), `DT_PLTGOT` writable;
//! - the string table inside the file bytes of a segment and ending in
//!   NUL, and every string offset (`DT_NEEDED`, `DT_SONAME`, `DT_RPATH`,
//!   `DT_RUNPATH`, filters, audit) below `DT_STRSZ`, so every string the
//!   loader reads ends inside the table;
//! - no text relocations (`DT_TEXTREL`): relocation targets must be
//!   writable (see `relocs`).

use super::read::{Source, u64_at};
use super::segments::Layout;

const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_PLTRELSZ: u64 = 2;
const DT_PLTGOT: u64 = 3;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_RELAENT: u64 = 9;
const DT_STRSZ: u64 = 10;
const DT_SYMENT: u64 = 11;
const DT_INIT: u64 = 12;
const DT_FINI: u64 = 13;
const DT_SONAME: u64 = 14;
const DT_RPATH: u64 = 15;
const DT_REL: u64 = 17;
const DT_RELSZ: u64 = 18;
const DT_RELENT: u64 = 19;
const DT_PLTREL: u64 = 20;
const DT_TEXTREL: u64 = 22;
const DT_JMPREL: u64 = 23;
const DT_INIT_ARRAY: u64 = 25;
const DT_FINI_ARRAY: u64 = 26;
const DT_INIT_ARRAYSZ: u64 = 27;
const DT_FINI_ARRAYSZ: u64 = 28;
const DT_RUNPATH: u64 = 29;
const DT_FLAGS: u64 = 30;
const DT_PREINIT_ARRAY: u64 = 32;
const DT_PREINIT_ARRAYSZ: u64 = 33;
const DT_RELRSZ: u64 = 35;
const DT_RELR: u64 = 36;
const DT_RELRENT: u64 = 37;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
const DT_TLSDESC_PLT: u64 = 0x6fff_fef6;
const DT_TLSDESC_GOT: u64 = 0x6fff_fef7;
const DT_CONFIG: u64 = 0x6fff_fefa;
const DT_AUDIT: u64 = 0x6fff_fefc;
const DT_RELACOUNT: u64 = 0x6fff_fff9;
const DT_RELCOUNT: u64 = 0x6fff_fffa;
const DT_VERSYM: u64 = 0x6fff_fff0;
const DT_VERDEF: u64 = 0x6fff_fffc;
const DT_VERDEFNUM: u64 = 0x6fff_fffd;
const DT_VERNEED: u64 = 0x6fff_fffe;
const DT_VERNEEDNUM: u64 = 0x6fff_ffff;
const DT_AUXILIARY: u64 = 0x7fff_fffd;
const DT_FILTER: u64 = 0x7fff_ffff;
const DF_TEXTREL: u64 = 4;

/// No dynamic section is larger (a library has a few dozen entries).
const MAX_DYNAMIC: u64 = 64 << 10;

pub(crate) const SYM_SIZE: u64 = 24;
pub(crate) const RELA_SIZE: u64 = 24;
pub(crate) const REL_SIZE: u64 = 16;

/// A table: its address and size in bytes.
pub(crate) type Table = (u64, u64);

/// What the dynamic section says, checked.
#[derive(Default)]
pub(crate) struct Dynamic {
    pub strtab: u64,
    pub strsz: u64,
    pub symtab: u64,
    pub hash: Option<u64>,
    pub gnu_hash: Option<u64>,
    pub rela: Option<Table>,
    pub rel: Option<Table>,
    /// `DT_JMPREL` and `DT_PLTRELSZ`, with whether its entries are `Rela`.
    pub jmprel: Option<(Table, bool)>,
    /// `DT_PLTGOT`.
    pub pltgot: Option<u64>,
    pub relr: Option<Table>,
    pub relacount: u64,
    pub relcount: u64,
    pub init_array: Option<Table>,
    pub fini_array: Option<Table>,
    pub preinit_array: Option<Table>,
    pub versym: Option<u64>,
    /// `DT_VERDEF` and `DT_VERDEFNUM`.
    pub verdef: Option<(u64, u64)>,
    /// `DT_VERNEED` and `DT_VERNEEDNUM`.
    pub verneed: Option<(u64, u64)>,
    pub init: Option<u64>,
    pub fini: Option<u64>,
    /// The string offsets of `DT_NEEDED`.
    pub needed: Vec<u64>,
}

/// The name of a tag, for errors.
fn tag_name(tag: u64) -> String {
    let name = match tag {
        DT_PLTGOT => "DT_PLTGOT",
        DT_HASH => "DT_HASH",
        DT_STRTAB => "DT_STRTAB",
        DT_SYMTAB => "DT_SYMTAB",
        DT_RELA => "DT_RELA",
        DT_INIT => "DT_INIT",
        DT_FINI => "DT_FINI",
        DT_REL => "DT_REL",
        DT_JMPREL => "DT_JMPREL",
        DT_INIT_ARRAY => "DT_INIT_ARRAY",
        DT_FINI_ARRAY => "DT_FINI_ARRAY",
        DT_PREINIT_ARRAY => "DT_PREINIT_ARRAY",
        DT_RELR => "DT_RELR",
        DT_GNU_HASH => "DT_GNU_HASH",
        DT_VERSYM => "DT_VERSYM",
        DT_VERDEF => "DT_VERDEF",
        DT_VERNEED => "DT_VERNEED",
        DT_NEEDED => "DT_NEEDED",
        DT_SONAME => "DT_SONAME",
        DT_RPATH => "DT_RPATH",
        DT_RUNPATH => "DT_RUNPATH",
        DT_AUXILIARY => "DT_AUXILIARY",
        DT_FILTER => "DT_FILTER",
        _ => return format!("tag {tag:#x}"),
    };
    name.to_owned()
}

/// Whether the value of `tag` is an address the loader dereferences.
fn is_address(tag: u64) -> bool {
    matches!(
        tag,
        DT_PLTGOT
            | DT_HASH
            | DT_STRTAB
            | DT_SYMTAB
            | DT_RELA
            | DT_INIT
            | DT_FINI
            | DT_REL
            | DT_JMPREL
            | DT_INIT_ARRAY
            | DT_FINI_ARRAY
            | DT_PREINIT_ARRAY
            | DT_RELR
            | DT_VERSYM
            | DT_VERDEF
            | DT_VERNEED
    ) || ((0x6fff_fe00..=0x6fff_feff).contains(&tag) && !(DT_CONFIG..=DT_AUDIT).contains(&tag))
}

/// Whether the value of `tag` is an offset in the string table.
fn is_string(tag: u64) -> bool {
    matches!(
        tag,
        DT_NEEDED | DT_SONAME | DT_RPATH | DT_RUNPATH | DT_AUXILIARY | DT_FILTER
    ) || (DT_CONFIG..=DT_AUDIT).contains(&tag)
}

/// Reads and checks the dynamic section; returns it with the string table.
pub(crate) fn check(source: &Source<'_>, layout: &Layout) -> Result<(Dynamic, Vec<u8>), String> {
    let segment = &layout.dynamic;
    if segment.filesz > MAX_DYNAMIC {
        return Err(format!(
            "its dynamic section is {} bytes long, more than any library's (at most \
             {MAX_DYNAMIC})",
            segment.filesz
        ));
    }
    let bytes = layout.read(source, segment.vaddr, segment.filesz, "dynamic section")?;
    // The last entry of each tag, as glibc keeps it (`None`: absent).
    let mut last = [None::<u64>; 38];
    let mut extra: Vec<(u64, u64)> = Vec::new();
    let mut dynamic = Dynamic::default();
    let mut ended = false;
    let mut flags_textrel = false;
    for entry in bytes.chunks_exact(16) {
        let (tag, value) = (u64_at(entry, 0), u64_at(entry, 8));
        match tag {
            DT_NULL => {
                ended = true;
                break;
            }
            DT_NEEDED => dynamic.needed.push(value),
            DT_TEXTREL => flags_textrel = true,
            DT_FLAGS => flags_textrel |= value & DF_TEXTREL != 0,
            _ => {}
        }
        match usize::try_from(tag).ok().and_then(|t| last.get_mut(t)) {
            Some(slot) => *slot = Some(value),
            // Of the other tags, only those checked or used are kept: at
            // most a few hundred distinct ones.
            None if !(is_address(tag)
                || is_string(tag)
                || matches!(
                    tag,
                    DT_RELACOUNT | DT_RELCOUNT | DT_VERDEFNUM | DT_VERNEEDNUM
                )) => {}
            None => match extra.iter_mut().find(|(t, _)| *t == tag) {
                Some(e) => e.1 = value,
                None => extra.push((tag, value)),
            },
        }
    }
    if !ended {
        return Err("its dynamic section has no DT_NULL entry to end it".to_owned());
    }
    if flags_textrel {
        return Err(
            "it has text relocations (DT_TEXTREL): relocations that write to its code".to_owned(),
        );
    }
    let get = |tag: u64| -> Option<u64> {
        match usize::try_from(tag).ok().and_then(|t| last.get(t)) {
            Some(v) => *v,
            None => extra.iter().find(|(t, _)| *t == tag).map(|e| e.1),
        }
    };
    let require = |tag: u64, what: &str| -> Result<u64, String> {
        get(tag).ok_or_else(|| format!("its dynamic section has no {what}"))
    };
    // Entry sizes glibc asserts, and the size of each table.
    for (tag, size, name) in [
        (DT_SYMENT, SYM_SIZE, "DT_SYMENT"),
        (DT_RELAENT, RELA_SIZE, "DT_RELAENT"),
        (DT_RELENT, REL_SIZE, "DT_RELENT"),
        (DT_RELRENT, 8, "DT_RELRENT"),
    ] {
        if let Some(v) = get(tag).filter(|&v| v != size) {
            return Err(format!("its {name} is {v}; 64-bit ELF's is {size}"));
        }
    }
    // Tags that come in groups: glibc dereferences the entry-size tags of
    // a present table without looking (a null dereference), and a size or
    // count left without its table means a table tag was lost.
    for (table, companions) in [
        (
            DT_RELA,
            &[(DT_RELAENT, "DT_RELAENT"), (DT_RELASZ, "DT_RELASZ")][..],
        ),
        (DT_REL, &[(DT_RELENT, "DT_RELENT"), (DT_RELSZ, "DT_RELSZ")]),
        (
            DT_RELR,
            &[(DT_RELRENT, "DT_RELRENT"), (DT_RELRSZ, "DT_RELRSZ")],
        ),
        (
            DT_JMPREL,
            &[(DT_PLTRELSZ, "DT_PLTRELSZ"), (DT_PLTREL, "DT_PLTREL")],
        ),
        (DT_INIT_ARRAY, &[(DT_INIT_ARRAYSZ, "DT_INIT_ARRAYSZ")]),
        (DT_FINI_ARRAY, &[(DT_FINI_ARRAYSZ, "DT_FINI_ARRAYSZ")]),
        (
            DT_PREINIT_ARRAY,
            &[(DT_PREINIT_ARRAYSZ, "DT_PREINIT_ARRAYSZ")],
        ),
        (DT_VERDEF, &[(DT_VERDEFNUM, "DT_VERDEFNUM")]),
        (DT_VERNEED, &[(DT_VERNEEDNUM, "DT_VERNEEDNUM")]),
    ] {
        for &(companion, name) in companions {
            if get(table).is_some() != get(companion).is_some() {
                return Err(format!(
                    "its dynamic section has {} without {}",
                    if get(table).is_some() {
                        tag_name(table)
                    } else {
                        name.to_owned()
                    },
                    if get(table).is_some() {
                        name.to_owned()
                    } else {
                        tag_name(table)
                    },
                ));
            }
        }
    }
    // Versioned symbols need the version table, and the other way round.
    let versioned = get(DT_VERDEF).is_some() || get(DT_VERNEED).is_some();
    if versioned != get(DT_VERSYM).is_some() {
        return Err(format!(
            "its dynamic section has {}",
            if versioned {
                "version definitions or needs without a version table (DT_VERSYM)"
            } else {
                "a version table (DT_VERSYM) without version definitions or needs"
            }
        ));
    }
    let table = |addr: u64, size: u64, entry: u64, what: &str| -> Result<Option<Table>, String> {
        let Some(at) = get(addr) else {
            return Ok(None);
        };
        // (The message is only made for a file that lacks the size.)
        let bytes =
            get(size).ok_or_else(|| format!("its dynamic section has no size for its {what}"))?;
        if bytes % entry != 0 {
            return Err(format!(
                "its {what} is {bytes} bytes, not a whole number of {entry}-byte entries"
            ));
        }
        Ok(Some((at, bytes)))
    };
    dynamic.rela = table(DT_RELA, DT_RELASZ, RELA_SIZE, "relocation table DT_RELA")?;
    dynamic.rel = table(DT_REL, DT_RELSZ, REL_SIZE, "relocation table DT_REL")?;
    dynamic.relr = table(DT_RELR, DT_RELRSZ, 8, "relocation table DT_RELR")?;
    dynamic.init_array = table(DT_INIT_ARRAY, DT_INIT_ARRAYSZ, 8, "DT_INIT_ARRAY")?;
    dynamic.fini_array = table(DT_FINI_ARRAY, DT_FINI_ARRAYSZ, 8, "DT_FINI_ARRAY")?;
    dynamic.preinit_array = table(DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ, 8, "DT_PREINIT_ARRAY")?;
    if get(DT_JMPREL).is_some() {
        let rela = match require(DT_PLTREL, "DT_PLTREL for its DT_JMPREL")? {
            DT_RELA => true,
            DT_REL => false,
            other => {
                return Err(format!(
                    "its DT_PLTREL is {other}, neither DT_RELA nor DT_REL"
                ));
            }
        };
        let entry = if rela { RELA_SIZE } else { REL_SIZE };
        let found = table(DT_JMPREL, DT_PLTRELSZ, entry, "relocation table DT_JMPREL")?;
        dynamic.jmprel = found.map(|t| (t, rela));
        dynamic.pltgot = get(DT_PLTGOT);
    } else if let Some(v) = get(DT_PLTREL).filter(|v| !matches!(*v, DT_RELA | DT_REL)) {
        return Err(format!("its DT_PLTREL is {v}, neither DT_RELA nor DT_REL"));
    }
    dynamic.relacount = get(DT_RELACOUNT).unwrap_or(0);
    dynamic.relcount = get(DT_RELCOUNT).unwrap_or(0);
    dynamic.strtab = require(DT_STRTAB, "string table (DT_STRTAB)")?;
    dynamic.strsz = require(DT_STRSZ, "string table size (DT_STRSZ)")?;
    dynamic.symtab = require(DT_SYMTAB, "symbol table (DT_SYMTAB)")?;
    dynamic.hash = get(DT_HASH);
    dynamic.gnu_hash = get(DT_GNU_HASH);
    if dynamic.hash.is_none() && dynamic.gnu_hash.is_none() {
        return Err("its dynamic section has no hash table (DT_HASH or DT_GNU_HASH)".to_owned());
    }
    dynamic.versym = get(DT_VERSYM);
    dynamic.init = get(DT_INIT);
    dynamic.fini = get(DT_FINI);
    dynamic.verdef = get(DT_VERDEF).map(|at| (at, get(DT_VERDEFNUM).unwrap_or(0)));
    dynamic.verneed = get(DT_VERNEED).map(|at| (at, get(DT_VERNEEDNUM).unwrap_or(0)));

    // Addresses.
    let tags = last
        .iter()
        .enumerate()
        .filter_map(|(t, v)| Some((t as u64, (*v)?)))
        .chain(extra.iter().copied());
    for (tag, value) in tags.clone().filter(|(t, _)| is_address(*t)) {
        let Some(segment) = layout.segment(value, 1) else {
            return Err(format!(
                "its dynamic section's {} ({value:#x}) is outside every loadable segment",
                tag_name(tag)
            ));
        };
        if matches!(tag, DT_INIT | DT_FINI | DT_TLSDESC_PLT)
            && segment.executable()
            && !layout.is_code(value)
        {
            return Err(format!(
                "its dynamic section's {} ({value:#x}) lies in segment {} outside {}: its \
                 bytes there are not executable code",
                tag_name(tag),
                segment.index,
                layout.code_place()
            ));
        }
        let wrong = match tag {
            DT_INIT | DT_FINI | DT_TLSDESC_PLT => (!segment.executable()).then_some("executable"),
            DT_TLSDESC_GOT => (!segment.writable()).then_some("writable"),
            DT_PLTGOT if dynamic.jmprel.is_some() && !segment.holds(value, 24) => Some("whole"),
            DT_PLTGOT if dynamic.jmprel.is_some() => (!segment.writable()).then_some("writable"),
            _ => None,
        };
        if let Some(wrong) = wrong {
            return Err(format!(
                "its dynamic section's {} ({value:#x}) lies in segment {}, which is not {wrong}",
                tag_name(tag),
                segment.index
            ));
        }
    }

    // Strings.
    let strtab = layout
        .read(
            source,
            dynamic.strtab,
            dynamic.strsz,
            "string table (DT_STRTAB)",
        )?
        .into_owned();
    if strtab.last() != Some(&0) {
        return Err("its string table (DT_STRTAB) does not end in NUL".to_owned());
    }
    for (tag, value) in tags.filter(|(t, _)| is_string(*t) && *t != DT_NEEDED) {
        string(&strtab, value, &tag_name(tag))?;
    }
    for &value in &dynamic.needed {
        string(&strtab, value, "DT_NEEDED")?;
    }
    Ok((dynamic, strtab))
}

/// Checks that `offset` is inside `strtab` (whose last byte is NUL), for
/// the string `what`.
pub(crate) fn string(strtab: &[u8], offset: u64, what: &str) -> Result<(), String> {
    if offset >= strtab.len() as u64 {
        return Err(format!(
            "its {what} string is at offset {offset}, past the end of the string table ({} \
             bytes)",
            strtab.len()
        ));
    }
    Ok(())
}

/// The NUL-terminated string at `offset` of `strtab` (checked by [`string`]).
pub(crate) fn string_at(strtab: &[u8], offset: u64) -> &[u8] {
    let rest = strtab.get(offset as usize..).unwrap_or(&[]);
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    &rest[..end]
}
