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

/// The first read: the ELF header, the program headers and, in a small
/// library, its dynamic symbol tables.
const HEAD: u64 = 32 << 10;

/// No table dynplug reads is larger than this (the dynamic symbol table of
/// a library with a million symbols is 24 MiB).
pub(crate) const MAX_TABLE: u64 = 256 << 20;

/// An open file and its first bytes.
pub(crate) struct Source<'f> {
    file: &'f File,
    /// The file's length in bytes.
    pub len: u64,
    head: Vec<u8>,
    /// A piece read ahead (`prefetch`): its file offset and bytes.
    window: (u64, Vec<u8>),
    /// The writable segment that holds the dynamic section, read ahead
    /// (`read_segment`): the plugin's table of functions lies there too.
    segment: (u64, Vec<u8>),
}

/// What a check keeps of its reads for later ones (the record, the table
/// of functions, the relocation tables): the file's first bytes, the
/// tables read ahead and the dynamic section's segment.
pub(crate) struct Kept {
    head: Vec<u8>,
    window: (u64, Vec<u8>),
    segment: (u64, Vec<u8>),
}

impl Kept {
    /// `len` bytes at `offset`, if they were read.
    pub fn get(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let end = offset.checked_add(len)?;
        if let Some(bytes) = self.head.get(offset as usize..end as usize) {
            return Some(bytes);
        }
        [&self.window, &self.segment]
            .into_iter()
            .find_map(|(start, bytes)| {
                let from = offset.checked_sub(*start)?;
                bytes.get(from as usize..(end - start) as usize)
            })
    }
}

/// A writable segment larger than this is not read ahead.
const MAX_SEGMENT: u64 = 64 << 10;

/// Tables spread over more than this are read one by one.
const MAX_WINDOW: u64 = 4 << 20;

impl<'f> Source<'f> {
    /// Reads the first bytes of `file`, `len` bytes long.
    pub fn new(file: &'f File, len: u64) -> Result<Source<'f>, String> {
        let head = read_at(file, 0, len.min(HEAD) as usize)
            .map_err(|e| format!("its first bytes cannot be read: {e}"))?;
        Ok(Source {
            file,
            len,
            head,
            window: (0, Vec::new()),
            segment: (0, Vec::new()),
        })
    }

    /// Reads `offset..end` (a small writable segment's file bytes) in one
    /// piece, if it is inside the file: the dynamic section, the plugin's
    /// table of functions and the initialiser arrays are served from it.
    pub fn read_segment(&mut self, offset: u64, end: u64) {
        if end <= offset || end > self.len || end - offset > MAX_SEGMENT || end <= HEAD {
            return;
        }
        if let Ok(buf) = read_at(self.file, offset, (end - offset) as usize) {
            self.segment = (offset, buf);
        }
    }

    /// What later reads may reuse.
    pub fn keep(self) -> Kept {
        Kept {
            head: self.head,
            window: self.window,
            segment: self.segment,
        }
    }

    /// Reads `offset..end` of the file in one piece, if it is inside the
    /// file and not too large: later reads inside it are served from it.
    /// The tables the loader reads lie next to each other at the start of
    /// a library; one read of them all is cheaper than one read each.
    pub fn prefetch(&mut self, offset: u64, end: u64) {
        if end <= offset || end > self.len || end - offset > MAX_WINDOW || end <= HEAD {
            return;
        }
        if let Ok(buf) = read_at(self.file, offset, (end - offset) as usize) {
            self.window = (offset, buf);
        }
    }

    /// The file's first bytes (up to 8 KiB).
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// `len` bytes from `offset`: `what` names them in errors.
    pub fn read(&self, offset: u64, len: u64, what: &str) -> Result<Cow<'_, [u8]>, String> {
        let end = offset
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
        if let Some(bytes) = self.head.get(offset as usize..end as usize) {
            return Ok(Cow::Borrowed(bytes));
        }
        for (start, window) in [&self.window, &self.segment] {
            if offset >= *start && end - start <= window.len() as u64 {
                return Ok(Cow::Borrowed(
                    &window[(offset - start) as usize..(end - start) as usize],
                ));
            }
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
