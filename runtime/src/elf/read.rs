//! Bounded reads of an untrusted file: every read names what it reads, is
//! checked against the file's length first (a piece past the end means the
//! file is truncated, and says so), and is capped in size, so no header can
//! make pre-flight allocate or read more than the tables it names.
//!
//! Integers are read in this process's byte order: the ELF header check
//! refuses a file of the other one before anything else is read.

use std::borrow::Cow;
use std::fs::File;

use crate::os::read_at;

/// The first read of a full check: the ELF header, the program headers
/// and, in a small library, its dynamic symbol and relocation tables.
pub(crate) const HEAD: u64 = 32 << 10;

/// The first read of a listing (`Depth::Listing`): the ELF header, the
/// program headers and, in a small library, its dynamic symbol tables
/// (which a linker puts right after them); a listing reads no relocation
/// table, so a larger first read would copy bytes it never looks at.
pub(crate) const LISTING_HEAD: u64 = 4 << 10;

/// No table dynplug reads is larger than this (the dynamic symbol table of
/// a library with a million symbols is 24 MiB).
pub(crate) const MAX_TABLE: u64 = 256 << 20;

/// A piece of the file read ahead: its file offset and bytes.
type Piece = (u64, Vec<u8>);

/// An open file and the pieces of it read so far.
pub(crate) struct Source<'f> {
    file: &'f File,
    /// The file's length in bytes.
    pub len: u64,
    /// The file's first bytes, then each piece read ahead (`read_ahead`):
    /// later reads inside one are served from it.
    pieces: Vec<Piece>,
}

/// What a check keeps of its reads for later ones (the record, the table
/// of functions, the relocation tables): the file's first bytes and the
/// pieces read ahead.
pub(crate) struct Kept {
    pieces: Vec<Piece>,
}

/// `len` bytes at `offset`, if one of `pieces` holds them.
fn find_in(pieces: &[Piece], offset: u64, len: u64) -> Option<&[u8]> {
    let end = offset.checked_add(len)?;
    pieces.iter().find_map(|(start, bytes)| {
        let from = offset.checked_sub(*start)?;
        bytes.get(from as usize..(end - start) as usize)
    })
}

impl Kept {
    /// `len` bytes at `offset`, if they were read.
    pub fn get(&self, offset: u64, len: u64) -> Option<&[u8]> {
        find_in(&self.pieces, offset, len)
    }
}

/// A writable segment larger than this is not read ahead.
pub(crate) const MAX_SEGMENT: u64 = 64 << 10;

/// Tables spread over more than this are read one by one.
pub(crate) const MAX_WINDOW: u64 = 4 << 20;

impl<'f> Source<'f> {
    /// Reads the first `head` bytes of `file`, `len` bytes long (all of
    /// it if shorter).
    pub fn new(file: &'f File, len: u64, head: u64) -> Result<Source<'f>, String> {
        let head = read_at(file, 0, len.min(head) as usize)
            .map_err(|e| format!("its first bytes cannot be read: {e}"))?;
        Ok(Source {
            file,
            len,
            pieces: vec![(0, head)],
        })
    }

    /// Reads `offset..end` of the file in one piece, if it is inside the
    /// file, at most `max` bytes long and not already read: later reads
    /// inside it are served from it. The tables the loader reads lie next
    /// to each other at the start of a library, and the dynamic section,
    /// the plugin's table of functions and the initialiser arrays in one
    /// small writable segment: one read of each group is cheaper than one
    /// read per table. A failed read is not an error here: the reads that
    /// need the bytes then say why.
    pub fn read_ahead(&mut self, offset: u64, end: u64, max: u64) {
        if end <= offset
            || end > self.len
            || end - offset > max
            || find_in(&self.pieces, offset, end - offset).is_some()
        {
            return;
        }
        if let Ok(buf) = read_at(self.file, offset, (end - offset) as usize) {
            self.pieces.push((offset, buf));
        }
    }

    /// What later reads may reuse.
    pub fn keep(self) -> Kept {
        Kept {
            pieces: self.pieces,
        }
    }

    /// The file's first bytes (up to `HEAD` or `LISTING_HEAD`).
    pub fn head(&self) -> &[u8] {
        &self.pieces[0].1
    }

    /// `len` bytes from `offset`: `what` names them in errors.
    pub fn read(&self, offset: u64, len: u64, what: &str) -> Result<Cow<'_, [u8]>, String> {
        offset
            .checked_add(len)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| {
                format!(
                    "its {what} ({len} bytes at file offset {offset:#x}) runs past the end of \
                     the file ({} bytes): the file is truncated",
                    self.len
                )
            })?;
        if len > MAX_TABLE {
            return Err(format!(
                "its {what} is {len} bytes long, more than any library's (at most {MAX_TABLE})"
            ));
        }
        if let Some(bytes) = find_in(&self.pieces, offset, len) {
            return Ok(Cow::Borrowed(bytes));
        }
        read_at(self.file, offset, len as usize)
            .map(Cow::Owned)
            .map_err(|e| format!("its {what} cannot be read: {e}"))
    }
}

/// Integer `N` bytes wide at `at` of `bytes`, or 0 past their end (callers
/// size their slices before reading fields of fixed layout).
fn int<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    at.checked_add(N)
        .and_then(|end| bytes.get(at..end))
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; N])
}

pub(crate) fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes(int(bytes, at))
}

pub(crate) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(int(bytes, at))
}

pub(crate) fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(int(bytes, at))
}
