//! dynplug's tables of functions (`__dynplug_vtable__<Trait>`): the host
//! calls through every entry, so each must become the address of code
//! once the loader has relocated the library, or stay null (a method the
//! plugin leaves to its default body).
//!
//! The checks: the table is word-aligned and lies in a writable segment's
//! file bytes (the loader relocates it), and each entry is filled by one
//! relative relocation (or `DT_RELR` entry, or absolute relocation of a
//! defined symbol) to code (an executable section of an executable
//! segment, `Layout::is_code`), by an
//! absolute relocation of another library's symbol, or is null in the
//! file with no relocation. A symbol whose value was damaged points at
//! other words, which fail this: they are data pointers, or unrelocated.

use std::fs::File;

use super::read::{Kept, u64_at};
use super::relocs::Relocations;
use super::segments::Layout;
use super::symbols::Symbols;

/// Checks the table of functions `name`, `size` bytes at `vaddr`.
pub(crate) fn check(
    layout: &Layout,
    symbols: &Symbols,
    relocations: &Relocations,
    (file, kept): (&File, &Kept),
    (name, vaddr, size): (&str, u64, u64),
) -> Result<(), String> {
    let entries = size / 8;
    if vaddr % 8 != 0 || size % 8 != 0 || entries > 1 << 20 {
        return Err(format!(
            "its table of functions `{name}` ({size} bytes at {vaddr:#x}) is not a word-aligned \
             table of pointers"
        ));
    }
    let offset = layout
        .loads
        .iter()
        .filter(|s| s.writable())
        .find_map(|s| s.file_offset(vaddr, size))
        .ok_or_else(|| {
            format!(
                "its table of functions `{name}` ({size} bytes at {vaddr:#x}) is not in a \
                 writable segment's file bytes"
            )
        })?;
    // The table's words as the file holds them: needed only for entries
    // that `DT_RELR` relocates or nothing does.
    let words = std::cell::OnceCell::new();
    let words = || -> Result<&Vec<u8>, String> {
        if let Some(w) = words.get() {
            return Ok(w);
        }
        let w = match kept.get(offset, size) {
            Some(bytes) => bytes.to_vec(),
            None => crate::os::read_at(file, offset, size as usize)
                .map_err(|e| format!("its table of functions `{name}` cannot be read: {e}"))?,
        };
        Ok(words.get_or_init(|| w))
    };
    let mut filled = vec![false; entries as usize];
    let code = |address: u64| layout.is_code(address);
    let entry = |address: u64| {
        let within = address.checked_sub(vaddr)?;
        (within < size).then_some(within)
    };
    let wrong = |within: u64, what: &str| {
        format!(
            "entry {} of its table of functions `{name}` {what}",
            within / 8
        )
    };
    for (table, rela) in &relocations.tables {
        let width = if *rela { 24 } else { 16 };
        for r in table.bytes(kept)?.chunks_exact(width) {
            let Some(within) = entry(u64_at(r, 0)) else {
                continue;
            };
            let info = u64_at(r, 8);
            let addend = if *rela { u64_at(r, 16) } else { 0 };
            let target = match super::machine::function_address(info as u32) {
                Some(true) => Some(addend),
                Some(false) => {
                    let s = symbols.get(info >> 32);
                    (s.shndx != 0).then(|| s.value.wrapping_add(addend))
                }
                None => return Err(wrong(within, "is relocated to something not a function")),
            };
            if within % 8 != 0 || target.is_some_and(|t| !code(t)) {
                return Err(wrong(within, "is not relocated to code"));
            }
            filled[(within / 8) as usize] = true;
        }
    }
    // `DT_RELR`: the file holds each relocated word's target.
    let mut next = 0u64;
    for e in relocations.relr.bytes(kept)?.chunks_exact(8) {
        let e = u64_at(e, 0);
        let mut relocated = |address: u64| -> Result<(), String> {
            if let Some(within) = entry(address) {
                if within % 8 != 0 || !code(u64_at(words()?, within as usize)) {
                    return Err(wrong(within, "is not relocated to code"));
                }
                filled[(within / 8) as usize] = true;
            }
            Ok(())
        };
        if e & 1 == 0 {
            relocated(e)?;
            next = e.wrapping_add(8);
        } else {
            for bit in 1..64 {
                if e >> bit & 1 == 1 {
                    relocated(next.wrapping_add((bit - 1) * 8))?;
                }
            }
            next = next.wrapping_add(63 * 8);
        }
    }
    for (i, done) in filled.iter().enumerate() {
        if !done && u64_at(words()?, i * 8) != 0 {
            return Err(wrong(
                i as u64 * 8,
                "is neither relocated nor null: it would be called as it lies in the file",
            ));
        }
    }
    Ok(())
}
