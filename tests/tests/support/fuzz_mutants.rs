//! The mutants of a fuzz campaign: each one a function of the campaign's
//! seed and its own number, so that any one can be made again alone.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::fuzz_regions::{Region, boundaries, regions};

/// The name of the truncation "region" (cuts, not flips).
pub const TRUNCATION: &str = "truncation";

/// What a mutant changes in the original file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Flip bit `bit` (0 = least significant) of the byte at `offset`.
    Flip { offset: usize, bit: u8 },
    /// Keep the first `len` bytes only.
    Cut { len: usize },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Change::Flip { offset, bit } => write!(f, "offset {offset:#x} bit {bit}"),
            Change::Cut { len } => write!(f, "cut at {len:#x}"),
        }
    }
}

/// One mutant: its number in the campaign, its region and its change.
#[derive(Clone, Debug)]
pub struct Mutant {
    pub index: u64,
    /// The region's name, or [`TRUNCATION`].
    pub region: &'static str,
    pub change: Change,
    /// The field the flipped byte belongs to (`phdr[3].p_filesz`), or the
    /// section or segment edge a cut is near.
    pub field: String,
}

/// The original file and what a campaign draws its mutants from.
pub struct Plan {
    pub bytes: Vec<u8>,
    pub regions: Vec<Region>,
    /// Section and segment edges, where most cuts fall.
    cuts: Vec<usize>,
}

/// SplitMix64: tiny, seedable and good enough to pick bytes and bits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

impl Plan {
    pub fn new(bytes: Vec<u8>) -> Plan {
        let regions = regions(&bytes);
        let cuts = boundaries(&bytes, &regions);
        Plan {
            bytes,
            regions,
            cuts,
        }
    }

    /// Every region's name, truncation last: the order mutants cycle through.
    pub fn region_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.regions.iter().map(|r| r.name).collect();
        names.push(TRUNCATION);
        names
    }

    /// Mutant `index` of the campaign of `seed`. Mutants go round the
    /// regions in turn, so every region gets its share; within one, the
    /// byte and bit (or the cut) are drawn from `seed` and `index`.
    pub fn mutant(&self, seed: u64, index: u64) -> Mutant {
        let mut rng = Rng(seed ^ index.wrapping_mul(0xd134_2543_de82_ef95));
        rng.next();
        let kind = (index % (self.regions.len() as u64 + 1)) as usize;
        let Some(region) = self.regions.get(kind) else {
            return self.cut(index, &mut rng);
        };
        let offset = region.nth_byte(rng.below(region.len()));
        Mutant {
            index,
            region: region.name,
            change: Change::Flip {
                offset,
                bit: rng.below(8) as u8,
            },
            field: region.field(&self.bytes, offset),
        }
    }

    /// A cut: one in four anywhere in the file, the others within 64
    /// bytes of a section or segment edge.
    fn cut(&self, index: u64, rng: &mut Rng) -> Mutant {
        let (len, field) = if rng.below(4) == 0 {
            (rng.below(self.bytes.len()), "anywhere".to_owned())
        } else {
            let edge = self.cuts[rng.below(self.cuts.len())];
            let delta = rng.below(129) as isize - 64;
            let len = edge.saturating_add_signed(delta).min(self.bytes.len() - 1);
            (len, format!("edge {edge:#x}{delta:+}"))
        };
        Mutant {
            index,
            region: TRUNCATION,
            change: Change::Cut { len },
            field,
        }
    }

    /// The mutant's bytes.
    pub fn bytes_of(&self, mutant: &Mutant) -> Vec<u8> {
        let mut bytes = self.bytes.clone();
        match mutant.change {
            Change::Flip { offset, bit } => bytes[offset] ^= 1 << bit,
            Change::Cut { len } => bytes.truncate(len),
        }
        bytes
    }
}

/// Writes `mutant` of the file at `original` (whose bytes `plan` holds) to
/// `path`, a new file: a new inode, so that neither the dynamic loader nor
/// dynplug takes it for a file they have seen. Its modification time is set
/// to one of its own too, since dynplug remembers files that passed by
/// inode, size and times, and an inode is reused once its file is gone.
pub fn write(plan: &Plan, original: &Path, mutant: &Mutant, path: &Path) -> io::Result<()> {
    // The kernel copies the bulk (the debug information) without it
    // passing through this process.
    std::fs::copy(original, path)?;
    let file = File::options().write(true).open(path)?;
    match mutant.change {
        Change::Flip { offset, bit } => {
            file.write_all_at(&[plan.bytes[offset] ^ (1 << bit)], offset as u64)?
        }
        Change::Cut { len } => file.set_len(len as u64)?,
    }
    let stamp = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000 + mutant.index);
    file.set_modified(stamp)
}
