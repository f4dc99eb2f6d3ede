//! The dynamic symbol table and its hash tables.
//!
//! The loader never learns the symbol table's length: it follows hash
//! chains, and relocations name symbols by index. The number of symbols is
//! therefore derived as the loader would meet them: from `DT_HASH`'s
//! `nchain`, or from the GNU hash table's highest chain end. The checks,
//! and what each prevents:
//! - hash tables with at least one bucket (glibc divides by the count: a
//!   zero is SIGFPE), a GNU bloom filter of a power-of-two size (glibc
//!   asserts it), every bucket and chain entry below the symbol count,
//!   every chain ending (a `DT_HASH` chain that loops hangs every lookup);
//!   with both tables present, the same count from each;
//! - the symbol table inside a segment's file bytes;
//! - every symbol's name inside the string table; binding, type and
//!   visibility ones the loader knows; an undefined symbol of default
//!   visibility (an undefined hidden one binds to the library's own
//!   address 0: a call crashes, at exit at the latest); a defined symbol's
//!   value inside the segment it must be in (functions and IFUNC
//!   resolvers in an executable segment, since the loader calls
//!   resolvers; thread-local ones inside `PT_TLS`; others inside a loaded
//!   segment) unless it is absolute.

use super::dynamic::{Dynamic, SYM_SIZE, string_at};
use super::headers::Layout;
use super::read::{MAX_TABLE, Source, u16_at, u32_at, u64_at};

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

/// Which hash table the loader looks names up in.
enum Hash {
    /// `DT_GNU_HASH`: its bytes, bucket count, first hashed symbol and
    /// bloom filter words.
    Gnu {
        bytes: Vec<u8>,
        buckets: u32,
        first: u32,
        bloom: u32,
    },
    /// `DT_HASH`: its bytes and bucket count.
    SysV { bytes: Vec<u8>, buckets: u32 },
}

/// The dynamic symbol table, checked, with its strings and hash table.
pub(crate) struct Symbols {
    /// The number of symbols.
    pub count: u64,
    table: Vec<u8>,
    pub strtab: Vec<u8>,
    hash: Hash,
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

    /// The symbol the loader's lookup of `name` finds here, if exported.
    pub fn lookup(&self, name: &[u8]) -> Option<Symbol> {
        let found = |index: u64| {
            let s = self.get(index);
            (s.exported() && self.name(&s) == name).then_some(s)
        };
        match &self.hash {
            Hash::Gnu {
                bytes,
                buckets,
                first,
                bloom,
            } => {
                let hash = gnu_hash(name);
                let buckets_at = 16 + *bloom as usize * 8;
                let bucket = u32_at(bytes, buckets_at + (hash % buckets) as usize * 4);
                if bucket == 0 {
                    return None;
                }
                let chains_at = buckets_at + *buckets as usize * 4;
                // Checked: every chain ends before `count`.
                for index in u64::from(bucket)..self.count {
                    let chain = u32_at(bytes, chains_at + (index - u64::from(*first)) as usize * 4);
                    if chain | 1 == hash | 1 {
                        if let Some(s) = found(index) {
                            return Some(s);
                        }
                    }
                    if chain & 1 == 1 {
                        break;
                    }
                }
                None
            }
            Hash::SysV { bytes, buckets } => {
                let chains_at = 8 + *buckets as usize * 4;
                let mut index = u32_at(bytes, 8 + (sysv_hash(name) % buckets) as usize * 4);
                // Checked: no chain is longer than the table.
                for _ in 0..self.count {
                    if index == 0 {
                        break;
                    }
                    if let Some(s) = found(u64::from(index)) {
                        return Some(s);
                    }
                    index = u32_at(bytes, chains_at + index as usize * 4);
                }
                None
            }
        }
    }
}

fn gnu_hash(name: &[u8]) -> u32 {
    name.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

fn sysv_hash(name: &[u8]) -> u32 {
    name.iter().fold(0u32, |h, &c| {
        let h = (h << 4).wrapping_add(u32::from(c));
        let high = h & 0xf000_0000;
        (h ^ (high >> 24)) & !high
    })
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
            if !layout.segment(s.value, 1).is_some_and(|l| l.executable()) {
                return Err(format!(
                    "{} is a function at {:#x}, outside every executable segment",
                    describe(),
                    s.value
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

/// `DT_HASH`: its bytes, its symbol count, after checking every bucket and
/// chain entry and that every chain ends.
fn sysv_table(source: &Source<'_>, layout: &Layout, at: u64) -> Result<(Hash, u64), String> {
    let what = "hash table (DT_HASH)";
    let head = layout.read(source, at, 8, what)?;
    let (buckets, nchain) = (u32_at(&head, 0), u32_at(&head, 4));
    if buckets == 0 {
        return Err(format!("its {what} has no bucket"));
    }
    let size = 8 + (u64::from(buckets) + u64::from(nchain)) * 4;
    let bytes = layout.read(source, at, size, what)?.into_owned();
    let entry = |i: u64| u32_at(&bytes, 8 + i as usize * 4);
    let chains = u64::from(buckets);
    for i in 0..chains + u64::from(nchain) {
        let value = entry(i);
        if value >= nchain {
            return Err(format!(
                "its {what} entry {i} is symbol {value}, past the symbol count ({nchain})"
            ));
        }
    }
    // Every symbol is in one chain: walking all of them takes at most
    // `nchain` steps, unless one loops.
    let mut steps = 0u64;
    for b in 0..chains {
        let mut index = entry(b);
        while index != 0 {
            steps += 1;
            if steps > u64::from(nchain) {
                return Err(format!("its {what} has a chain that loops"));
            }
            index = entry(chains + u64::from(index));
        }
    }
    Ok((Hash::SysV { bytes, buckets }, u64::from(nchain)))
}

/// `DT_GNU_HASH`: its bytes (up to the last chain) and the symbol count it
/// implies, after checking the header, every bucket and that the last
/// chain ends.
fn gnu_table(source: &Source<'_>, layout: &Layout, at: u64) -> Result<(Hash, u64), String> {
    let what = "GNU hash table (DT_GNU_HASH)";
    let head = layout.read(source, at, 16, what)?;
    let (buckets, first, bloom, shift) = (
        u32_at(&head, 0),
        u32_at(&head, 4),
        u32_at(&head, 8),
        u32_at(&head, 12),
    );
    if buckets == 0 {
        return Err(format!("its {what} has no bucket"));
    }
    if bloom == 0 || !bloom.is_power_of_two() || shift >= 64 {
        return Err(format!(
            "its {what} has a bloom filter of {bloom} words shifted by {shift} (a power of two \
             words, a shift below 64)"
        ));
    }
    let fixed = 16 + u64::from(bloom) * 8 + u64::from(buckets) * 4;
    let table = layout.read(source, at, fixed, what)?;
    let buckets_at = fixed as usize - buckets as usize * 4;
    let mut last = 0u32;
    for b in 0..buckets as usize {
        let start = u32_at(&table, buckets_at + b * 4);
        if start != 0 && start < first {
            return Err(format!(
                "its {what} bucket {b} starts at symbol {start}, below its first hashed symbol \
                 ({first})"
            ));
        }
        last = last.max(start);
    }
    let mut bytes = table.into_owned();
    if last == 0 {
        // No symbol is hashed: the table does not tell how many there are
        // (the undefined ones come before `first`). The section headers
        // do, where present.
        let count = super::sections::dynsym_size(source, layout)?
            .map_or(u64::from(first), |size| size / SYM_SIZE);
        return Ok((
            Hash::Gnu {
                bytes,
                buckets,
                first,
                bloom,
            },
            count.max(u64::from(first)),
        ));
    }
    // The chains run from symbol `first` to the end of the last bucket's
    // chain, which only reading it tells: read up to the last bucket's
    // start and some more, and more again while the chain goes on.
    let mut want = u64::from(last - first) + 16;
    loop {
        let chains = layout
            .segment(at, 1)
            .and_then(|s| s.file_offset(at + fixed, 0).map(|_| s))
            .map_or(0, |s| (s.vaddr + s.filesz).saturating_sub(at + fixed) / 4);
        let have = want.min(chains);
        if have * 4 > MAX_TABLE {
            return Err(format!("its {what} is larger than any library's"));
        }
        let read = layout.read(source, at + fixed, have * 4, what)?;
        let end = (u64::from(last - first)..have).find(|&i| u32_at(&read, i as usize * 4) & 1 == 1);
        if let Some(end) = end {
            bytes.extend_from_slice(&read[..(end as usize + 1) * 4]);
            let count = u64::from(first) + end + 1;
            return Ok((
                Hash::Gnu {
                    bytes,
                    buckets,
                    first,
                    bloom,
                },
                count,
            ));
        }
        if have < want {
            return Err(format!(
                "its {what} has a chain that runs past the end of its segment"
            ));
        }
        want *= 4;
    }
}
