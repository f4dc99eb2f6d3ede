//! The quick ELF pre-flight of a plugin load (`runtime/src/elf.rs`, reached
//! through `dynplug::__private::quick_preflight`): on the real fixtures it
//! finds the same record and table the full pre-flight would; on mutated
//! copies it never panics and never accepts a file the dynamic loader could
//! crash on (a loadable segment or the section headers past the end of the
//! file); and a load that it answers, or hands to the full pre-flight,
//! refuses a missing table, a table of the wrong size and a truncated file
//! with the right error, before `dlopen`.
//!
//! Mutated files are only ever parsed (`quick_preflight`, `inspect`), never
//! loaded: a broken ELF file handed to `dlopen` can crash the process. The
//! copies that are loaded differ from the fixture in a symbol's name or
//! size only, or are refused before `dlopen`.
//!
//! ELF platforms only: the quick pre-flight reads ELF files (elsewhere the
//! full pre-flight answers every load), and the mutations edit ELF
//! structures.

#![cfg(all(unix, not(target_vendor = "apple")))]

use std::ops::Range;
use std::panic::catch_unwind;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dynplug::__private::rules::slot::ROOT_FIXED;
use dynplug::__private::{Interface, quick_preflight};
use dynplug::Error;
use dynplug_tests::{fixture, is_mapped, libm};
use fixture_api::GreeterPlugin;
use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol};
use proptest::prelude::*;
use proptest::sample::Index;

/// The record's magic (`meta.rs`).
const MAGIC: &[u8; 8] = b"DYNPLUG\0";
/// The ELF header and the program headers lie in the first bytes.
const HEADER_REGION: usize = 0x300;
/// The size of an ELF64 symbol table entry.
const SYM_SIZE: usize = 24;
/// The size of an ELF64 program header.
const PHDR_SIZE: usize = 56;
const META_SYMBOL: &str = "__dynplug_meta__Greeter";
const VTABLE_SYMBOL: &str = "__dynplug_vtable__Greeter";

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// hello-plugin's bytes and where, according to `object`, its exported
/// `Greeter` record and its two symbols' `.dynsym` entries lie.
struct Original {
    bytes: Vec<u8>,
    /// The file range of the record `__dynplug_meta__Greeter` points at.
    record: Range<usize>,
    /// The file offsets of the `.dynsym` entries of the record's and the
    /// table's symbols.
    meta_entry: usize,
    vtable_entry: usize,
}

/// The file offset of virtual address `address`, through the loadable
/// segment that holds it in the file.
fn file_offset(file: &object::File<'_>, address: u64) -> usize {
    file.segments()
        .find_map(|segment| {
            let within = address.checked_sub(segment.address())?;
            let (offset, size) = segment.file_range();
            (within < size).then(|| (offset + within) as usize)
        })
        .unwrap_or_else(|| panic!("address {address:#x} is in no segment's file bytes"))
}

/// The file offset of the `.dynsym` entry of `name`.
fn dynsym_entry(file: &object::File<'_>, name: &str) -> usize {
    let symbol = file
        .dynamic_symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap_or_else(|| panic!("{name} is not in .dynsym"));
    let (table, _) = file
        .section_by_name(".dynsym")
        .expect(".dynsym section")
        .file_range()
        .expect(".dynsym has file bytes");
    table as usize + symbol.index().0 * SYM_SIZE
}

fn original() -> &'static Original {
    static ORIGINAL: OnceLock<Original> = OnceLock::new();
    ORIGINAL.get_or_init(|| {
        let bytes = std::fs::read(fixture("hello-plugin")).expect("read hello-plugin");
        let file = object::File::parse(&*bytes).expect("hello-plugin parses");
        let meta = file
            .dynamic_symbols()
            .find(|s| s.name() == Ok(META_SYMBOL))
            .expect("the record's symbol");
        let start = file_offset(&file, meta.address());
        let record = start..start + meta.size() as usize;
        // The symbol points at a whole, well-formed record.
        assert_eq!(&bytes[record.start..record.start + 8], MAGIC);
        assert_eq!(u32_at(&bytes, record.start + 16), Some(record.len() as u32));
        let meta_entry = dynsym_entry(&file, META_SYMBOL);
        let vtable_entry = dynsym_entry(&file, VTABLE_SYMBOL);
        Original {
            record,
            meta_entry,
            vtable_entry,
            bytes,
        }
    })
}

/// A copy of hello-plugin in `dir`, named `name`, with `patch` applied.
fn patched_copy(dir: &Path, name: &str, patch: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = original().bytes.clone();
    patch(&mut bytes);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The load of `path` failed: returns the error (a plugin that loaded is
/// a failure of the test, and `GreeterPlugin` has no `Debug`).
fn load_err(path: &Path, what: &str) -> Error {
    match GreeterPlugin::load(path) {
        Ok(_) => panic!("{what}: the plugin loaded"),
        Err(err) => err,
    }
}

/// `err` is about `path`, its message names the file, and the file was not
/// handed to the dynamic loader.
fn assert_about_file_not_loaded(err: &Error, path: &Path, what: &str) {
    assert_eq!(err.path(), path, "{what}: {err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&*path.to_string_lossy()),
        "{what}: the message does not name the file: {text}"
    );
    assert!(!is_mapped(path), "{what}: the file was mapped");
}

// The real fixtures ------------------------------------------------------

/// The quick path's answer for fixture `name`'s `interface`, checked
/// against the host's record `meta` and the method count `inspect` gives.
fn check_fixture(name: &str, interface: &str, meta: &[u8]) {
    let path = fixture(name);
    let (record, size) = quick_preflight(&path, interface)
        .unwrap_or_else(|| panic!("{name}: the quick pre-flight left a plain plugin alone"));
    assert_eq!(record, meta, "{name}: the record is not the host's");
    let info = dynplug::inspect(&path).unwrap_or_else(|err| panic!("{name}: {err}"));
    let methods = info
        .interfaces
        .iter()
        .find(|i| i.name == interface)
        .unwrap_or_else(|| panic!("{name}: inspect lists no `{interface}`"))
        .methods
        .len();
    // The fixed entries (constructor, destructor, panic message, nested
    // interfaces, package), then one shim per method.
    let expected = (ROOT_FIXED + methods) * std::mem::size_of::<usize>();
    assert_eq!(size, expected as u64, "{name}: table size");
}

#[test]
fn the_fixtures_pass_the_quick_path_with_the_hosts_record_and_table_size() {
    check_fixture(
        "hello-plugin",
        "Greeter",
        <dyn fixture_api::Greeter as Interface>::META,
    );
    check_fixture(
        "types-plugin",
        "Types",
        <dyn fixture_api::Types as Interface>::META,
    );
    // The method count above comes from the file; pin it to the trait's,
    // so that a record listing too few methods does not go unnoticed.
    assert_eq!(
        <dyn fixture_api::Greeter as Interface>::DESC.methods.len(),
        7
    );
}

/// An interface the file does not export, or a file that is no plugin,
/// gets no answer: the full pre-flight words the error.
#[test]
fn the_quick_path_answers_only_for_an_interface_the_file_exports() {
    assert!(quick_preflight(&fixture("hello-plugin"), "Types").is_none());
    assert!(quick_preflight(&fixture("types-plugin"), "Greeter").is_none());
    assert!(quick_preflight(&libm(), "Greeter").is_none());
}

// Mutated copies ---------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the file at any length.
    Truncate(Index),
    /// XOR a byte of the ELF or program headers.
    FlipHeader { at: usize, mask: u8 },
    /// Set a byte of the ELF or program headers.
    SetHeader { at: usize, value: u8 },
    /// XOR a byte of the exported record.
    FlipRecord { at: Index, mask: u8 },
    /// Overwrite four bytes of the exported record (its lengths and counts
    /// are u32s) with a value, often an extreme one.
    SetRecordU32 { at: Index, value: u32 },
    /// XOR a byte of the `.dynsym` entry of the record's symbol (`meta`)
    /// or of the table's: their names, kinds, addresses and sizes.
    FlipSymbol { meta: bool, at: usize, mask: u8 },
    /// Zero `e_shoff`, `e_shnum` and `e_shstrndx`: without section headers
    /// a truncated file is refused by the segment check alone.
    DropSectionHeaders,
}

fn extreme_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(u32::MAX),
        Just(u32::MAX / 17),
        Just(16 << 20),
        any::<u32>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Truncate),
        (0..HEADER_REGION, 1..=u8::MAX).prop_map(|(at, mask)| Mutation::FlipHeader { at, mask }),
        (0..HEADER_REGION, any::<u8>()).prop_map(|(at, value)| Mutation::SetHeader { at, value }),
        (any::<Index>(), 1..=u8::MAX).prop_map(|(at, mask)| Mutation::FlipRecord { at, mask }),
        (any::<Index>(), extreme_u32())
            .prop_map(|(at, value)| Mutation::SetRecordU32 { at, value }),
        (any::<bool>(), 0..SYM_SIZE, 1..=u8::MAX)
            .prop_map(|(meta, at, mask)| Mutation::FlipSymbol { meta, at, mask }),
        Just(Mutation::DropSectionHeaders),
    ]
}

/// The original bytes with `mutations` applied in order; one that falls
/// past the end of a file already cut short does nothing.
fn mutated(original: &Original, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.bytes.clone();
    let record = &original.record;
    let xor = |bytes: &mut Vec<u8>, at: usize, mask: u8| {
        if let Some(b) = bytes.get_mut(at) {
            *b ^= mask;
        }
    };
    for mutation in mutations {
        match *mutation {
            Mutation::Truncate(len) => bytes.truncate(len.index(bytes.len() + 1)),
            Mutation::FlipHeader { at, mask } => xor(&mut bytes, at, mask),
            Mutation::SetHeader { at, value } => {
                if let Some(b) = bytes.get_mut(at) {
                    *b = value;
                }
            }
            Mutation::FlipRecord { at, mask } => {
                xor(&mut bytes, record.start + at.index(record.len()), mask);
            }
            Mutation::SetRecordU32 { at, value } => {
                let start = record.start + at.index(record.len() - 3);
                if let Some(b) = bytes.get_mut(start..start + 4) {
                    b.copy_from_slice(&value.to_le_bytes());
                }
            }
            Mutation::FlipSymbol { meta, at, mask } => {
                let entry = if meta {
                    original.meta_entry
                } else {
                    original.vtable_entry
                };
                xor(&mut bytes, entry + at, mask);
            }
            Mutation::DropSectionHeaders => {
                for range in [40..48, 60..64] {
                    if let Some(b) = bytes.get_mut(range) {
                        b.fill(0);
                    }
                }
            }
        }
    }
    bytes
}

/// What the quick path accepted in `bytes` (giving `record`) is safe to
/// hand to the loader and is the file's exported record.
fn check_accepted(original: &Original, bytes: &[u8], record: &[u8]) -> Result<(), TestCaseError> {
    let len = bytes.len() as u128;
    // (a) Every loadable segment lies inside the file: one that does not
    // makes the loader die of SIGBUS when it touches the missing pages.
    let phoff = u64_at(bytes, 32).unwrap();
    let phnum = u16_at(bytes, 56).unwrap();
    for i in 0..u128::from(phnum) {
        let at = u128::from(phoff) + i * PHDR_SIZE as u128;
        prop_assert!(
            at + PHDR_SIZE as u128 <= len,
            "program header {} at {:#x} is past the end ({} bytes)",
            i,
            at,
            len
        );
        let ph = &bytes[at as usize..at as usize + PHDR_SIZE];
        if u32_at(ph, 0) == Some(1) {
            let (offset, filesz) = (u64_at(ph, 8).unwrap(), u64_at(ph, 32).unwrap());
            prop_assert!(
                u128::from(offset) + u128::from(filesz) <= len,
                "PT_LOAD {}: offset {:#x} + {:#x} bytes runs past the end ({} bytes)",
                i,
                offset,
                filesz,
                len
            );
        }
    }
    // (b) The section header table lies inside the file, as the full
    // pre-flight requires.
    let shoff = u64_at(bytes, 40).unwrap();
    if shoff != 0 {
        let (shentsize, shnum) = (u16_at(bytes, 58).unwrap(), u16_at(bytes, 60).unwrap());
        let end = u128::from(shoff) + u128::from(shentsize) * u128::from(shnum);
        prop_assert!(
            end <= len,
            "section headers {:#x}..{:#x} run past the end ({} bytes)",
            shoff,
            end,
            len
        );
    }
    // (c) A record with its magic and the length its header gives.
    prop_assert!(record.starts_with(MAGIC), "record without magic");
    prop_assert_eq!(u32_at(record, 16).map(|n| n as usize), Some(record.len()));
    // (d) The bytes the exported symbol points at, as mutated.
    let exported = bytes.get(original.record.clone());
    prop_assert_eq!(Some(record), exported, "not the exported record's bytes");
    Ok(())
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(256);
    // A failure is reported with its minimal case; nothing is written into
    // the source tree.
    config.failure_persistence = None;
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_quick_path_never_accepts_a_file_the_loader_could_crash_on(
        mutations in prop::collection::vec(mutation(), 1..=4),
    ) {
        let original = original();
        let bytes = mutated(original, &mutations);
        let file = tempfile::Builder::new()
            .suffix(".so")
            .tempfile()
            .map_err(|e| TestCaseError::fail(format!("tempfile: {e}")))?;
        std::fs::write(file.path(), &bytes)
            .map_err(|e| TestCaseError::fail(format!("write: {e}")))?;
        let path = file.path();

        let Ok(found) = catch_unwind(|| quick_preflight(path, "Greeter")) else {
            return Err(TestCaseError::fail("quick_preflight panicked"));
        };
        if let Some((record, _)) = &found {
            check_accepted(original, &bytes, record)?;
        }
        // The full pre-flight on the same bytes must not panic either; it
        // may refuse what the quick path accepted (the section headers'
        // contents are no concern of the loader's).
        prop_assert!(catch_unwind(|| dynplug::inspect(path)).is_ok(), "inspect panicked");
        // A mutation that changed nothing (a cut at the full length, a byte
        // set to its own value) leaves a plain plugin.
        if bytes == original.bytes {
            let record = found.map(|(record, _)| record);
            prop_assert_eq!(
                record.as_deref(),
                Some(<dyn fixture_api::Greeter as Interface>::META),
                "the unchanged file was left to the full pre-flight"
            );
        }
    }
}

/// The mutation targets are what the quick path reads: breaking the
/// record's magic, or its symbol's name, takes the file off the quick path.
#[test]
fn the_records_and_symbols_mutated_are_the_ones_the_quick_path_reads() {
    let original = original();
    let dir = tempfile::tempdir().unwrap();
    let record = patched_copy(dir.path(), "libmagic.so", |b| {
        b[original.record.start] ^= 0xff
    });
    assert!(quick_preflight(&record, "Greeter").is_none());
    // Symbol names are offsets into .dynstr: pointing the table's at
    // another string hides it.
    let name = patched_copy(dir.path(), "libname.so", |b| {
        b[original.vtable_entry] ^= 1;
    });
    assert!(quick_preflight(&name, "Greeter").is_none());
}

// Loads the quick path answers or hands on ------------------------------

/// Renaming the table's symbol (same length, so every offset stays) leaves
/// the record, which matches: the load is refused for the missing table,
/// by the full pre-flight, before `dlopen`.
#[test]
fn a_plugin_without_its_table_is_refused_with_the_missing_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let mut renamed = 0;
    let path = patched_copy(dir.path(), "libnotable.so", |b| {
        let from = VTABLE_SYMBOL.as_bytes();
        let to = b"__dynplug_vtablX__Greeter";
        assert_eq!(from.len(), to.len());
        let mut at = 0;
        while let Some(p) = b[at..].windows(from.len()).position(|w| w == from) {
            b[at + p..at + p + from.len()].copy_from_slice(to);
            at += p + from.len();
            renamed += 1;
        }
    });
    assert!(renamed > 0, "no `{VTABLE_SYMBOL}` in hello-plugin");

    // The record is still there, still the host's.
    let info = dynplug::inspect(&path).expect("inspect the renamed copy");
    assert_eq!(info.interfaces.len(), 1);
    assert_eq!(info.interfaces[0].name, "Greeter");
    assert!(quick_preflight(&path, "Greeter").is_none());

    let err = load_err(&path, "no table");
    match &err {
        Error::MissingSymbols {
            missing, interface, ..
        } => {
            assert_eq!(missing, &[VTABLE_SYMBOL]);
            assert_eq!(interface, "Greeter");
        }
        other => panic!("not MissingSymbols: {other:?}"),
    }
    assert_about_file_not_loaded(&err, &path, "no table");
}

/// A table whose symbol has another size than the interface needs is
/// refused on the quick path, before `dlopen`: the loader would otherwise
/// read function pointers past its end (or miss some).
#[test]
fn a_table_of_the_wrong_size_is_refused() {
    let original = original();
    let size_at = original.vtable_entry + 16;
    let size = u64_at(&original.bytes, size_at).unwrap();
    let expected = ((ROOT_FIXED + 7) * std::mem::size_of::<usize>()) as u64;
    assert_eq!(size, expected, "hello-plugin's table size");
    let dir = tempfile::tempdir().unwrap();
    for wrong in [size - 8, size + 8, 0] {
        let name = format!("libtable{wrong}.so");
        let path = patched_copy(dir.path(), &name, |b| {
            b[size_at..size_at + 8].copy_from_slice(&wrong.to_le_bytes());
        });
        // The quick path sees the size the symbol says.
        let (_, seen) = quick_preflight(&path, "Greeter").expect("quick path");
        assert_eq!(seen, wrong);

        let what = format!("table of {wrong} bytes");
        let err = load_err(&path, &what);
        match &err {
            Error::InvalidLibrary { reason, .. } => {
                assert!(reason.contains("table of functions"), "{what}: {reason}");
                assert!(reason.contains(&wrong.to_string()), "{what}: {reason}");
            }
            other => panic!("{what}: not InvalidLibrary: {other:?}"),
        }
        assert_about_file_not_loaded(&err, &path, &what);
    }
}

/// A file cut one byte short, in its section headers (which the linker
/// puts at the end): the quick path leaves it, and the load is refused.
#[test]
fn a_copy_one_byte_short_is_refused() {
    let bytes = &original().bytes;
    let shoff = u64_at(bytes, 40).unwrap();
    let shtable = u64::from(u16_at(bytes, 58).unwrap()) * u64::from(u16_at(bytes, 60).unwrap());
    assert_eq!(
        shoff + shtable,
        bytes.len() as u64,
        "hello-plugin's section headers are not at its end"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = patched_copy(dir.path(), "libshort.so", |b| {
        b.pop();
    });
    assert!(quick_preflight(&path, "Greeter").is_none());
    let err = load_err(&path, "one byte short");
    assert!(
        matches!(err, Error::InvalidLibrary { .. }),
        "not InvalidLibrary: {err:?}"
    );
    assert_about_file_not_loaded(&err, &path, "one byte short");
}

/// The kinds of symbol that are not data in the file, as patches of the
/// `.dynsym` entry at `entry`: a name, the offset in the entry, the bytes.
fn wrong_kinds(entry: usize) -> [(&'static str, usize, Vec<u8>); 3] {
    const STT_TLS: u8 = 6;
    const STT_GNU_IFUNC: u8 = 10;
    const SHN_ABS: u16 = 0xfff1;
    // st_info holds the binding (high nibble) and the type (low nibble).
    let info = original().bytes[entry + 4] & 0xf0;
    [
        ("ifunc", 4, vec![info | STT_GNU_IFUNC]),
        ("tls", 4, vec![info | STT_TLS]),
        ("abs", 6, SHN_ABS.to_le_bytes().to_vec()),
    ]
}

/// A record's symbol the full pre-flight refuses for its kind must not be
/// accepted by the quick path either: given an IFUNC symbol, `dlsym` calls
/// the record's bytes as the resolver function (SIGSEGV); given an
/// absolute one (`SHN_ABS`), it returns the unrelocated value, which the
/// load then reads (SIGSEGV); given a TLS one, the library is loaded (its
/// initialisers run) before the load fails with a wrong reason. These
/// copies are only parsed here, never loaded.
#[test]
fn a_record_symbol_of_the_wrong_kind_is_left_to_the_full_preflight() {
    let entry = original().meta_entry;
    let dir = tempfile::tempdir().unwrap();
    for (kind, at, value) in wrong_kinds(entry) {
        let path = patched_copy(dir.path(), &format!("lib{kind}.so"), |b| {
            b[entry + at..entry + at + value.len()].copy_from_slice(&value);
        });
        // The full pre-flight refuses the record's symbol...
        let err = match dynplug::inspect(&path) {
            Ok(info) => panic!("{kind}: inspect accepted it: {info:?}"),
            Err(err) => err,
        };
        // An IFUNC or thread-local symbol outside code or the TLS block is
        // refused by the structure checks, naming it; an absolute one is
        // refused as a record without an address.
        let text = err.to_string();
        assert!(
            text.contains("no address") || text.contains(META_SYMBOL),
            "{kind}: {err}"
        );
        // ...so the quick path must leave the file to it.
        let found = quick_preflight(&path, "Greeter").map(|(_, size)| size);
        assert_eq!(found, None, "{kind}: the quick path accepted it");
    }
}

/// The same for the table's symbol: an IFUNC, thread-local or absolute
/// `__dynplug_vtable__Greeter` is not the file's table. The quick path
/// leaves such a file to the full pre-flight, which does not count the
/// symbol as the file's, so the load is refused before `dlopen` with the
/// table missing. Each load runs in a child process: were the symbol
/// taken, `dlsym` would call an IFUNC's bytes as its resolver, and the
/// child would die of a signal instead of exiting cleanly.
#[test]
fn a_table_symbol_of_the_wrong_kind_is_missing() {
    const TEST: &str = "a_table_symbol_of_the_wrong_kind_is_missing";
    if let Some(path) = dynplug_tests::child_case() {
        let err = load_err(Path::new(&path), "child");
        match &err {
            Error::MissingSymbols { missing, .. } => {
                assert_eq!(missing, &[VTABLE_SYMBOL.to_owned()]);
            }
            // An IFUNC or thread-local symbol outside code or the TLS block
            // is refused by the structure checks, naming it.
            Error::InvalidLibrary { reason, .. } => {
                assert!(reason.contains(VTABLE_SYMBOL), "{reason}");
            }
            other => panic!("neither MissingSymbols nor InvalidLibrary: {other:?}"),
        }
        assert!(!is_mapped(Path::new(&path)), "the library was opened");
        return;
    }
    let entry = original().vtable_entry;
    let dir = tempfile::tempdir().unwrap();
    for (kind, at, value) in wrong_kinds(entry) {
        let path = patched_copy(dir.path(), &format!("libtable-{kind}.so"), |b| {
            b[entry + at..entry + at + value.len()].copy_from_slice(&value);
        });
        assert!(quick_preflight(&path, "Greeter").is_none(), "{kind}");
        let out = dynplug_tests::run_in_child(TEST, path.to_str().unwrap());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{kind}: {:?}\n{stderr}", out.status);
    }
}

/// A file that passed is not read again when it is loaded again, but only
/// while it is the same file: one replaced at its path (another inode), or
/// changed in place (another size and change time), is checked afresh.
#[test]
fn a_file_changed_since_it_passed_is_checked_again() {
    // SAFETY: the hello fixture starts no thread and registers nothing.
    let unload = unsafe { dynplug::LoadOptions::new().unload_when_unused(true) };
    let dir = tempfile::tempdir().unwrap();
    let path = patched_copy(dir.path(), "libagain.so", |_| {});
    for _ in 0..2 {
        let plugin = GreeterPlugin::load_with(&path, &unload).expect("loads");
        assert_eq!(fixture_api::Greeter::add(&plugin, 2, 3), 5);
    }
    assert!(!is_mapped(&path), "unloaded with its last loader");

    // Replaced: a file without the record, renamed over the plugin.
    let other = dir.path().join("other.so");
    std::fs::copy(libm(), &other).unwrap();
    std::fs::rename(&other, &path).unwrap();
    let err = load_err(&path, "replaced by libm");
    assert!(matches!(err, Error::NotAPlugin { .. }), "{err:?}");

    // Back again, loaded (and so remembered), unloaded, then cut short in
    // place: the same inode, but not the same file.
    std::fs::write(&path, &original().bytes).unwrap();
    drop(GreeterPlugin::load_with(&path, &unload).expect("loads"));
    assert!(!is_mapped(&path), "unloaded with its last loader");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(original().bytes.len() as u64 / 2).unwrap();
    let err = load_err(&path, "cut in place");
    assert!(matches!(err, Error::InvalidLibrary { .. }), "{err:?}");

    // Forgetting every file changes nothing but the work done.
    std::fs::write(&path, &original().bytes).unwrap();
    dynplug::__private::forget_checked_files();
    drop(GreeterPlugin::load_with(&path, &unload).expect("loads"));
}
