//! The dynamic symbol table, as many symbols as the hash tables imply
//! (`hash`). The checks, and what each prevents:
//! - the table inside a segment's file bytes;
//! - every symbol's name inside the string table; binding, type and
//!   visibility ones the loader knows; an undefined symbol global or weak
//!   and of default visibility (an undefined local or hidden one binds to
//!   the library's own address 0: a call crashes, at exit at the latest);
//!   a defined symbol's value inside the segment it must be in (functions
//!   and IFUNC resolvers in code, an executable section of an executable
//!   segment (`Layout::is_code`), since the loader calls
//!   resolvers; thread-local ones inside `PT_TLS`; others inside a loaded
//!   segment) unless it is absolute.

use super::dynamic::{Dynamic, SYM_SIZE, string_at};
use super::hash::{Hash, gnu_table, sysv_table};
use super::read::{Source, u16_at, u32_at, u64_at};
use super::segments::Layout;

const SHN_ABS: u16 = 0xfff1;
const SHN_COMMON: u16 = 0xfff2;
const STT_FUNC: u8 = 2;
const STT_TLS: u8 = 6;
const STT_GNU_IFUNC: u8 = 10;

/// A symbol table entry.
#[derive(Clone, Copy)]
pub(crate) struct Symbol {
    pub name: u32,
    pub info: u8,
    pub other: u8,
    pub shndx: u16,
    pub value: u64,
    pub size: u64,
}

impl Symbol {
    fn parse(entry: &[u8]) -> Symbol {
        Symbol {
            name: u32_at(entry, 0),
            info: entry[4],
            other: entry[5],
            shndx: u16_at(entry, 6),
            value: u64_at(entry, 8),
            size: u64_at(entry, 16),
        }
    }

    pub fn bind(&self) -> u8 {
        self.info >> 4
    }

    pub fn kind(&self) -> u8 {
        self.info & 0xf
    }

    /// Defined here, global, weak or unique, of default or protected
    /// visibility: what `dlsym` finds in this library.
    pub fn exported(&self) -> bool {
        self.shndx != 0 && matches!(self.bind(), 1 | 2 | 10) && matches!(self.other & 3, 0 | 3)
    }

    /// An exported data object in a section of the file (not a function,
    /// an IFUNC resolver, thread-local, absolute or common).
    pub fn data(&self) -> bool {
        self.exported() && self.kind() == 1 && self.shndx < 0xff00
    }
}

/// The dynamic symbol table, checked, with its strings and hash table.
pub(crate) struct Symbols {
    /// The number of symbols.
    pub count: u64,
    table: Vec<u8>,
    pub strtab: Vec<u8>,
    pub(super) hash: Hash,
}

impl Symbols {
    /// Symbol `index` (below `count`).
    pub fn get(&self, index: u64) -> Symbol {
        let at = (index * SYM_SIZE) as usize;
        Symbol::parse(&self.table[at..at + SYM_SIZE as usize])
    }

    /// The name of `symbol`.
    pub fn name(&self, symbol: &Symbol) -> &[u8] {
        string_at(&self.strtab, u64::from(symbol.name))
    }

    /// Every symbol with its index, from 1.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Symbol)> + '_ {
        (1..self.count).map(|i| (i, self.get(i)))
    }
}

/// Reads and checks the hash tables and the symbol table.
pub(crate) fn check(
    source: &Source<'_>,
    layout: &Layout,
    dynamic: &Dynamic,
    strtab: Vec<u8>,
) -> Result<Symbols, String> {
    let sysv = dynamic
        .hash
        .map(|at| sysv_table(source, layout, at))
        .transpose()?;
    let gnu = dynamic
        .gnu_hash
        .map(|at| gnu_table(source, layout, at))
        .transpose()?;
    let (hash, count) = match (gnu, sysv) {
        (Some((_, count)), Some((_, nchain))) if nchain != count => {
            return Err(format!(
                "its hash tables disagree on the number of symbols: {count} (DT_GNU_HASH) and \
                 {nchain} (DT_HASH)"
            ));
        }
        (Some((gnu, count)), _) => (gnu, count),
        (None, Some((sysv, count))) => (sysv, count),
        (None, None) => unreachable!("the dynamic section has a hash table"),
    };
    if count == 0 {
        return Err("its symbol table is empty (not even the null symbol)".to_owned());
    }
    let table = layout
        .read(
            source,
            dynamic.symtab,
            count * SYM_SIZE,
            "symbol table (DT_SYMTAB)",
        )?
        .into_owned();
    let symbols = Symbols {
        count,
        table,
        strtab,
        hash,
    };
    for (index, symbol) in symbols.iter() {
        check_symbol(&symbols, layout, index, &symbol)?;
    }
    Ok(symbols)
}

fn check_symbol(symbols: &Symbols, layout: &Layout, index: u64, s: &Symbol) -> Result<(), String> {
    let strsz = symbols.strtab.len();
    if s.name as usize >= strsz {
        return Err(format!(
            "its symbol {index} has its name at offset {}, past the end of the string table ({strsz} bytes)",
            s.name
        ));
    }
    let describe = || {
        format!(
            "its symbol {index} (`{}`)",
            String::from_utf8_lossy(symbols.name(s))
        )
    };
    if !matches!(s.bind(), 0 | 1 | 2 | 10) || !matches!(s.kind(), 0..=6 | 10) {
        return Err(format!(
            "{} has an unknown binding ({}) or type ({})",
            describe(),
            s.bind(),
            s.kind()
        ));
    }
    if s.shndx == 0 {
        if s.bind() == 0 {
            return Err(format!(
                "{} is undefined and local: it would bind to address 0 of the library",
                describe()
            ));
        }
        if s.other & 3 != 0 {
            return Err(format!(
                "{} is undefined with a visibility other than default: it would bind to \
                 address 0 of the library",
                describe()
            ));
        }
        return Ok(());
    }
    // The loader looks at no section index but these (a post-link
    // optimiser may leave others dangling).
    if s.shndx == SHN_ABS || s.shndx == SHN_COMMON {
        return Ok(());
    }
    match s.kind() {
        STT_TLS => {
            let tls_size = layout.tls.map_or(0, |t| t.memsz);
            if s.value.checked_add(s.size).is_none_or(|end| end > tls_size) {
                return Err(format!(
                    "{} is thread-local at {:#x}, {} bytes, outside the thread-local segment \
                     ({tls_size} bytes)",
                    describe(),
                    s.value,
                    s.size
                ));
            }
        }
        STT_FUNC | STT_GNU_IFUNC => {
            if !layout.is_code(s.value) {
                return Err(format!(
                    "{} is a function at {:#x}, outside {}",
                    describe(),
                    s.value,
                    layout.code_place()
                ));
            }
        }
        _ => {
            // A symbol may mark the end of a segment (`_end`): its address
            // is then one past the segment's bytes.
            let inside = layout.loads.iter().any(|l| {
                s.value >= l.vaddr
                    && s.value
                        .checked_add(s.size)
                        .is_some_and(|end| end <= l.vaddr + l.memsz)
            });
            if !inside {
                return Err(format!(
                    "{} is at {:#x}, {} bytes, outside every loadable segment",
                    describe(),
                    s.value,
                    s.size
                ));
            }
        }
    }
    Ok(())
}
