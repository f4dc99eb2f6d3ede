//! Mutated copies of real plugins fed to `dynplug::inspect`: whatever the
//! bytes, the answer is `Ok` or an error about the file, never a panic.
//!
//! The mutated files are only ever parsed, never given to the dynamic
//! loader: a broken ELF file handed to `dlopen` can crash the process.

use std::ops::Range;
use std::panic::catch_unwind;
use std::path::Path;
use std::sync::OnceLock;

use dynplug::{Error, LibraryInfo};
use dynplug_tests::fixture;
use proptest::prelude::*;
use proptest::sample::Index;

/// The record's magic (`meta.rs`).
const MAGIC: &[u8; 8] = b"DYNPLUG\0";
/// The ELF header and the program headers lie in the first bytes.
const HEADER_REGION: usize = 0x300;

/// A fixture plugin's bytes and where its metadata record lies.
struct Original {
    name: &'static str,
    bytes: Vec<u8>,
    /// Every well-formed record in the file for the plugin's interface
    /// (the exported one, and any copy the compiler left elsewhere).
    records: Vec<Range<usize>>,
}

/// Every place in `bytes` where a record for `interface` starts, by its
/// magic, with the length its header gives.
fn find_records(bytes: &[u8], interface: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = bytes[from..]
        .windows(MAGIC.len())
        .position(|w| w == MAGIC)
        .map(|p| from + p)
    {
        from = at + 1;
        let Some(header) = bytes.get(at..at + 24) else {
            continue;
        };
        let u32_at = |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().unwrap()) as usize;
        let total = u32_at(16);
        let name_len = u32_at(20);
        let name = bytes.get(at + 24..at + 24 + name_len);
        if name == Some(interface.as_bytes()) && at + total <= bytes.len() {
            found.push(at..at + total);
        }
    }
    found
}

fn originals() -> &'static [Original] {
    static ORIGINALS: OnceLock<Vec<Original>> = OnceLock::new();
    ORIGINALS.get_or_init(|| {
        [("hello-plugin", "Greeter"), ("types-plugin", "Types")]
            .into_iter()
            .map(|(name, interface)| {
                let bytes = std::fs::read(fixture(name)).expect("read fixture");
                let records = find_records(&bytes, interface);
                assert!(!records.is_empty(), "no `{interface}` record in {name}");
                Original {
                    name,
                    bytes,
                    records,
                }
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the file at any length.
    Truncate(Index),
    /// XOR a byte of the ELF or program headers.
    FlipHeader { at: usize, mask: u8 },
    /// Set a byte of the ELF or program headers.
    SetHeader { at: usize, value: u8 },
    /// XOR a byte of a metadata record.
    FlipRecord { record: Index, at: Index, mask: u8 },
    /// Overwrite four bytes of a metadata record (its lengths and counts
    /// are u32s) with a value, often an extreme one.
    SetRecordU32 {
        record: Index,
        at: Index,
        value: u32,
    },
    /// Zero `e_shoff`, `e_shnum` and `e_shstrndx`: without its section
    /// headers (the dynamic loader does not need them) a truncated file gets
    /// past the parser to pre-flight's own segment checks.
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
        (any::<Index>(), any::<Index>(), 1..=u8::MAX)
            .prop_map(|(record, at, mask)| Mutation::FlipRecord { record, at, mask }),
        (any::<Index>(), any::<Index>(), extreme_u32())
            .prop_map(|(record, at, value)| Mutation::SetRecordU32 { record, at, value }),
        Just(Mutation::DropSectionHeaders),
    ]
}

/// `original`'s bytes with `mutations` applied in order; one that falls
/// past the end of a file already cut short does nothing.
fn mutated(original: &Original, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.bytes.clone();
    for mutation in mutations {
        match mutation {
            Mutation::Truncate(len) => bytes.truncate(len.index(bytes.len() + 1)),
            Mutation::FlipHeader { at, mask } => {
                if let Some(b) = bytes.get_mut(*at) {
                    *b ^= mask;
                }
            }
            Mutation::SetHeader { at, value } => {
                if let Some(b) = bytes.get_mut(*at) {
                    *b = *value;
                }
            }
            Mutation::FlipRecord { record, at, mask } => {
                let range = record.get(&original.records);
                if let Some(b) = bytes.get_mut(range.start + at.index(range.len())) {
                    *b ^= mask;
                }
            }
            Mutation::SetRecordU32 { record, at, value } => {
                let range = record.get(&original.records);
                let start = range.start + at.index(range.len() - 3);
                if let Some(b) = bytes.get_mut(start..start + 4) {
                    b.copy_from_slice(&value.to_le_bytes());
                }
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

/// Writes `bytes` to a temporary file and inspects it; fails the case if
/// `inspect` panics or gives an error that is not about this file.
fn inspect_bytes(bytes: &[u8]) -> Result<Result<LibraryInfo, Error>, TestCaseError> {
    let file = tempfile::Builder::new()
        .suffix(".so")
        .tempfile()
        .map_err(|e| TestCaseError::fail(format!("tempfile: {e}")))?;
    std::fs::write(file.path(), bytes).map_err(|e| TestCaseError::fail(format!("write: {e}")))?;
    let path = file.path();
    let outcome = catch_unwind(|| dynplug::inspect(path));
    let Ok(result) = outcome else {
        return Err(TestCaseError::fail("dynplug::inspect panicked"));
    };
    check_result(path, &result)?;
    Ok(result)
}

/// An answer about an existing file is `Ok` with its path, or an
/// `InvalidLibrary` that names it.
fn check_result(path: &Path, result: &Result<LibraryInfo, Error>) -> Result<(), TestCaseError> {
    match result {
        Ok(info) => prop_assert_eq!(&info.path, path),
        Err(err) => {
            prop_assert!(matches!(err, Error::InvalidLibrary { .. }), "{:?}", err);
            prop_assert_eq!(err.path(), path);
            let text = err.to_string();
            prop_assert!(text.contains(&*path.to_string_lossy()), "{}", text);
        }
    }
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
    fn inspect_never_panics_on_a_mutated_plugin(
        which in 0..2usize,
        mutations in prop::collection::vec(mutation(), 1..=4),
    ) {
        let original = &originals()[which];
        let bytes = mutated(original, &mutations);
        let result = inspect_bytes(&bytes)?;
        // A mutation that changed nothing (a cut at the full length, a byte
        // set to its own value) leaves a file that must still inspect.
        if bytes == original.bytes {
            prop_assert!(result.is_ok(), "{}: unchanged file refused: {:?}", original.name, result);
        }
    }
}

#[test]
fn the_unmutated_fixtures_inspect_with_their_interface() {
    for (original, interface) in originals().iter().zip(["Greeter", "Types"]) {
        let info = inspect_bytes(&original.bytes)
            .unwrap()
            .unwrap_or_else(|err| panic!("{}: {err}", original.name));
        let names: Vec<&str> = info.interfaces.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, [interface], "{}", original.name);
    }
}

/// The record mutations hit the record `inspect` reads: breaking the magic
/// of the records found by searching the bytes makes `inspect` refuse the
/// file.
#[test]
fn the_records_found_by_magic_are_the_ones_inspect_reads() {
    for original in originals() {
        let mut bytes = original.bytes.clone();
        for range in &original.records {
            bytes[range.start] ^= 0xff;
        }
        let err = match inspect_bytes(&bytes).unwrap() {
            Ok(info) => panic!("{}: broken records accepted: {info:?}", original.name),
            Err(err) => err,
        };
        assert!(
            err.to_string().contains("magic"),
            "{}: {err}",
            original.name
        );
    }
}
