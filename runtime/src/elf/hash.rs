//! The hash tables (`DT_HASH`, `DT_GNU_HASH`): how the loader finds a
//! name, and the symbol count they imply (the loader never learns the
//! symbol table's length). The checks, and what each prevents: at least
//! one bucket (glibc divides by the count: a zero is SIGFPE), a GNU bloom
//! filter of a power-of-two size (glibc asserts it), every bucket and chain
//! entry below the symbol count, every chain ending (a `DT_HASH` chain
//! that loops hangs every lookup).

use super::dynamic::SYM_SIZE;
use super::read::{MAX_TABLE, Source, u32_at};
use super::segments::Layout;
use super::symbols::{Symbol, Symbols};

/// Which hash table the loader looks names up in.
pub(crate) enum Hash {
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

impl Symbols {
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

/// `DT_HASH`: its bytes, its symbol count, after checking every bucket and
/// chain entry and that every chain ends.
pub(crate) fn sysv_table(
    source: &Source<'_>,
    layout: &Layout,
    at: u64,
) -> Result<(Hash, u64), String> {
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
pub(crate) fn gnu_table(
    source: &Source<'_>,
    layout: &Layout,
    at: u64,
) -> Result<(Hash, u64), String> {
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
