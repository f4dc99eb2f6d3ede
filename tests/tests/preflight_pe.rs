//! Pre-flight of PE files (Windows): real DLLs the workspace built, cut
//! short, marked for another machine, and files that are no DLL at all
//! (text, an ELF header) are refused by `inspect` and `load` before the
//! loader sees them, with an error that names the file and says what is
//! wrong. (ELF files have their own, deeper checks: preflight_structure.rs
//! and inspect.rs.)

#![cfg(windows)]

use std::path::{Path, PathBuf};

use dynplug::Error;
use dynplug_tests::fixture;
use fixture_api::GreeterPlugin;

/// Both `inspect` and `load` refuse `path` with `InvalidLibrary`, naming
/// it, with a reason that contains `why`.
fn refused(path: &Path, why: &str) {
    let inspected = dynplug::inspect(path).map(|_| ());
    let loaded = GreeterPlugin::load(path).map(|_| ());
    for (what, result) in [("inspect", inspected), ("load", loaded)] {
        match result {
            Err(err @ Error::InvalidLibrary { .. }) => {
                assert_eq!(err.path(), path, "{what}");
                let text = err.to_string();
                assert!(
                    text.contains(&*path.to_string_lossy()),
                    "{what}: the message does not name the file: {text}"
                );
                assert!(text.contains(why), "{what}: {text}\nexpected: {why}");
            }
            other => panic!("{what} of {}: {other:?}", path.display()),
        }
    }
}

/// hello-plugin's DLL bytes, and where its PE header starts (`e_lfanew`).
fn hello() -> (Vec<u8>, usize) {
    let bytes = std::fs::read(fixture("hello-plugin")).unwrap();
    assert_eq!(&bytes[..2], b"MZ", "a PE file");
    let pe = u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(&bytes[pe..pe + 4], b"PE\0\0", "its PE signature");
    (bytes, pe)
}

/// The end of the last section's bytes in the file: past it lie only
/// things the loader never reads (the COFF symbol table, debug data).
fn sections_end(bytes: &[u8], pe: usize) -> usize {
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap());
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let sections = u16_at(pe + 6) as usize;
    let optional = u16_at(pe + 20) as usize;
    let table = pe + 24 + optional;
    (0..sections)
        .map(|i| {
            let header = table + 40 * i;
            (u32_at(header + 20) + u32_at(header + 16)) as usize
        })
        .max()
        .unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_dll_cut_short_anywhere_before_its_last_section_ends_is_refused() {
    let (bytes, pe) = hello();
    let end = sections_end(&bytes, pe);
    assert!(end <= bytes.len() && end > 4096, "{end} of {}", bytes.len());
    let dir = tempfile::tempdir().unwrap();
    // Every byte of the headers, then points spread over the sections.
    let mut cuts: Vec<usize> = (1..pe + 24 + 240).step_by(7).collect();
    cuts.extend((1..60).map(|k| k * (end / 60)));
    cuts.push(end - 1);
    for cut in cuts {
        let path = write(dir.path(), &format!("cut-{cut}.dll"), &bytes[..cut]);
        let inspected = dynplug::inspect(&path);
        let loaded = GreeterPlugin::load(&path);
        for (what, result) in [
            ("inspect", inspected.map(|_| ())),
            ("load", loaded.map(|_| ())),
        ] {
            match result {
                Err(err @ Error::InvalidLibrary { .. }) => {
                    assert!(
                        err.to_string().contains(&*path.to_string_lossy()),
                        "{what} cut at {cut}: {err}"
                    );
                }
                other => panic!("{what} of the DLL cut at {cut} of {end}: {other:?}"),
            }
        }
    }
    // Cut within its sections: the reason says so.
    let path = write(dir.path(), "half.dll", &bytes[..end / 2]);
    refused(&path, "truncated");
}

#[test]
fn a_dll_for_another_machine_is_refused_naming_the_machine() {
    // The COFF header's `Machine` of a copy set to arm64 (0xaa64): a real
    // DLL, for another processor.
    let (mut bytes, pe) = hello();
    bytes[pe + 4..pe + 6].copy_from_slice(&0xaa64u16.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hello_plugin.dll", &bytes);
    refused(
        &path,
        "it is built for aarch64, and this process runs on x86_64",
    );
}

#[test]
fn files_that_are_no_dll_are_refused_saying_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let text = write(dir.path(), "notes.dll", b"just some text, not a library\n");
    refused(&text, "it is not a PE dynamic-link library");

    // The start of a 64-bit little-endian ELF shared library's header.
    let mut elf = vec![0u8; 64];
    elf[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    elf[16] = 3; // ET_DYN
    elf[18] = 62; // EM_X86_64
    let elf = write(dir.path(), "libelf.so.dll", &elf);
    refused(
        &elf,
        "it is a 64-bit ELF file, and this platform loads a PE dynamic-link library",
    );

    // An MS-DOS header whose PE header lies past the end of the file.
    let (bytes, _) = hello();
    let mut dos = bytes[..0x40].to_vec();
    dos[0x3c..0x40].copy_from_slice(&0x1000u32.to_le_bytes());
    let dos = write(dir.path(), "dos.dll", &dos);
    refused(&dos, "it is not a PE dynamic-link library");

    // The test program itself: a PE file, but an executable.
    let exe = std::env::current_exe().unwrap();
    let copy = dir.path().join("program.dll");
    std::fs::copy(&exe, &copy).unwrap();
    refused(&copy, "it is an executable, not a shared library");
}
