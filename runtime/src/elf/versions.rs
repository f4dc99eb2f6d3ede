//! Symbol versioning: `DT_VERSYM`, `DT_VERDEF` and `DT_VERNEED`.
//!
//! glibc walks the version definitions and needs until an entry's `next`
//! is 0 (not by their counts), sizes its table of versions by the highest
//! index it meets there, and then indexes that table with each symbol's
//! `DT_VERSYM` entry without a bound. The checks, and what each prevents:
//! - every entry and auxiliary entry of both chains inside a segment's
//!   file bytes, of version 1, each chain ending (a read past the mapping);
//! - every name in the string table;
//! - every needed file (`vn_file`) one of the `DT_NEEDED` libraries (glibc
//!   asserts it finds the file among the loaded ones: exit 127);
//! - the version table inside a segment, with one entry per symbol, each a
//!   version index some definition or need declares (else glibc reads
//!   past its table of versions and follows a garbage name pointer).

use std::borrow::Cow;

use super::dynamic::{Dynamic, string, string_at};
use super::read::{Source, u16_at, u32_at};
use super::segments::Layout;

/// Both chains together, with their auxiliary entries, have no more
/// entries than this (a library needs a few dozen): bounds the walk of a
/// damaged chain whose entries overlap.
const MAX_ENTRIES: usize = 1 << 14;

/// The version indices declared, as a bitmap of the 15-bit index space.
struct Declared([u64; 512]);

impl Declared {
    fn insert(&mut self, index: u16) {
        let i = usize::from(index & 0x7fff);
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn contains(&self, index: u16) -> bool {
        let i = usize::from(index & 0x7fff);
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

/// Reads the bytes of one chain's entries: the first 4 KiB of the table at
/// once, entries past them one by one.
struct Chain<'a, 's> {
    source: &'a Source<'s>,
    layout: &'a Layout,
    start: u64,
    window: Cow<'a, [u8]>,
    what: &'static str,
}

impl<'a, 's> Chain<'a, 's> {
    fn new(
        source: &'a Source<'s>,
        layout: &'a Layout,
        start: u64,
        what: &'static str,
    ) -> Result<Self, String> {
        let available = layout
            .loads
            .iter()
            .find_map(|l| l.file_offset(start, 0).map(|_| l.vaddr + l.filesz - start))
            .unwrap_or(0)
            .min(4096);
        let window = layout.read(source, start, available, what)?;
        Ok(Chain {
            source,
            layout,
            start,
            window,
            what,
        })
    }

    /// `size` bytes at `vaddr`.
    fn at(&self, vaddr: u64, size: u64) -> Result<Cow<'_, [u8]>, String> {
        if let Some(within) = vaddr.checked_sub(self.start) {
            if let Some(b) = self
                .window
                .get(within as usize..(within + size) as usize)
                .filter(|_| within + size <= self.window.len() as u64)
            {
                return Ok(Cow::Borrowed(b));
            }
        }
        let what = self.what;
        self.layout.read(self.source, vaddr, size, what)
    }
}

/// Entries walked so far, over every chain of the version tables: no
/// library has more than [`MAX_ENTRIES`], so more means a chain loops.
struct Steps(usize);

impl Steps {
    /// Counts one more entry; `Err(why())` past the limit.
    fn take(&mut self, why: impl FnOnce() -> String) -> Result<(), String> {
        self.0 += 1;
        if self.0 > MAX_ENTRIES {
            return Err(why());
        }
        Ok(())
    }
}

/// The next entry of a chain, `step` bytes after `entry` (`None` when the
/// step is 0: the chain ends).
fn advance(entry: u64, step: u32) -> Result<Option<u64>, String> {
    match step {
        0 => Ok(None),
        step => entry
            .checked_add(u64::from(step))
            .map(Some)
            .ok_or_else(overflow),
    }
}

fn overflow() -> String {
    "its version tables point past any address".to_owned()
}

/// Checks the version tables of a library with `count` symbols.
pub(crate) fn check(
    source: &Source<'_>,
    layout: &Layout,
    dynamic: &Dynamic,
    strtab: &[u8],
    count: u64,
) -> Result<(), String> {
    let mut declared = Declared([0; 512]);
    let mut steps = Steps(0);
    declared.insert(0);
    declared.insert(1);
    if let Some((at, _)) = dynamic.verneed {
        let what = "version needs (DT_VERNEED)";
        let chain = Chain::new(source, layout, at, what)?;
        let mut entry = at;
        for n in 0.. {
            steps.take(|| format!("its {what} do not end"))?;
            let e = chain.at(entry, 16)?;
            let (version, file, aux, next) =
                (u16_at(&e, 0), u32_at(&e, 4), u32_at(&e, 8), u32_at(&e, 12));
            if version != 1 {
                return Err(format!(
                    "its {what} entry {n} is of version {version}, not 1"
                ));
            }
            string(strtab, u64::from(file), "version need file")?;
            let name = string_at(strtab, u64::from(file));
            if !dynamic.needed.iter().any(|&o| string_at(strtab, o) == name) {
                return Err(format!(
                    "its {what} entry {n} names `{}`, which is not among the libraries it needs \
                     (DT_NEEDED)",
                    String::from_utf8_lossy(name)
                ));
            }
            let mut a = entry.checked_add(u64::from(aux)).ok_or_else(overflow)?;
            loop {
                steps.take(|| {
                    format!("its {what} entry {n} has auxiliary entries that do not end")
                })?;
                let x = chain.at(a, 16)?;
                string(strtab, u64::from(u32_at(&x, 8)), "version need name")?;
                declared.insert(u16_at(&x, 6));
                match advance(a, u32_at(&x, 12))? {
                    Some(next) => a = next,
                    None => break,
                }
            }
            match advance(entry, next)? {
                Some(next) => entry = next,
                None => break,
            }
        }
    }
    if let Some((at, _)) = dynamic.verdef {
        let what = "version definitions (DT_VERDEF)";
        let chain = Chain::new(source, layout, at, what)?;
        let mut entry = at;
        for n in 0.. {
            steps.take(|| format!("its {what} do not end"))?;
            let e = chain.at(entry, 20)?;
            let (version, index, cnt, aux, next) = (
                u16_at(&e, 0),
                u16_at(&e, 4),
                u16_at(&e, 6),
                u32_at(&e, 12),
                u32_at(&e, 16),
            );
            if version != 1 {
                return Err(format!(
                    "its {what} entry {n} is of version {version}, not 1"
                ));
            }
            declared.insert(index);
            let mut a = entry.checked_add(u64::from(aux)).ok_or_else(overflow)?;
            for m in 0..cnt.max(1) {
                steps.take(|| format!("its {what} have more entries than any library's"))?;
                let x = chain.at(a, 8)?;
                string(strtab, u64::from(u32_at(&x, 0)), "version definition name")?;
                if m + 1 == cnt {
                    break;
                }
                match advance(a, u32_at(&x, 4))? {
                    Some(next) => a = next,
                    None => break,
                }
            }
            match advance(entry, next)? {
                Some(next) => entry = next,
                None => break,
            }
        }
    }
    if let Some(at) = dynamic.versym {
        let table = layout.read(source, at, count * 2, "symbol version table (DT_VERSYM)")?;
        for (index, entry) in table.chunks_exact(2).enumerate() {
            let version = u16_at(entry, 0);
            if !declared.contains(version) {
                return Err(format!(
                    "its symbol {index} has version index {}, which no version definition or \
                     need declares",
                    version & 0x7fff
                ));
            }
        }
    }
    Ok(())
}
