//! `dynplug::inspect`: what a library exports, read from the file without
//! running any of its code; and the pre-flight checks it shares with `load`.

use dynplug::__private::rules::ABI_VERSION;
use std::path::{Path, PathBuf};

use dynplug::{Error, LibraryInfo};
use dynplug_tests::{CHILD_CASE, child_case, fixture, libm};
use fixture_api::GreeterPlugin;

/// The variable the init-trace plugin's initialiser reads.
const TRACE_VAR: &str = "DYNPLUG_INIT_TRACE";

fn inspect_ok(path: &Path) -> LibraryInfo {
    dynplug::inspect(path).unwrap_or_else(|err| panic!("inspect {}: {err:?}", path.display()))
}

/// `err` is `InvalidLibrary` about `path`, and its message names the file.
fn assert_invalid(err: &Error, path: &Path, what: &str) {
    assert!(
        matches!(err, Error::InvalidLibrary { .. }),
        "{what}: {err:?}"
    );
    assert_eq!(err.path(), path, "{what}");
    let text = err.to_string();
    assert!(
        text.contains(&*path.to_string_lossy()),
        "{what}: message does not name the file: {text}"
    );
}

/// `load` of `path`, a copy cut at `cut` bytes, is refused as invalid;
/// once the file starts an ELF header, it is called truncated, with its
/// length.
#[cfg(all(unix, not(target_vendor = "apple")))]
fn load_refused_as_cut(path: &Path, cut: u64, what: &str) {
    match GreeterPlugin::load(path) {
        Ok(_) => panic!("{what}: loaded"),
        Err(err) => {
            assert_invalid(&err, path, what);
            if cut >= 4 {
                let text = err.to_string();
                assert!(
                    text.contains("truncated") && text.contains(&format!("{cut} bytes")),
                    "{what}: {text}"
                );
            }
        }
    }
}

fn inspect_invalid(path: &Path, what: &str) -> Error {
    match dynplug::inspect(path) {
        Ok(info) => panic!("{what}: inspect accepted it: {info:?}"),
        Err(err) => {
            assert_invalid(&err, path, what);
            err
        }
    }
}

// (a) ---------------------------------------------------------------------

const NO_CODE_TEST: &str = "inspect_runs_none_of_the_librarys_code_and_load_does";

#[test]
fn inspect_runs_none_of_the_librarys_code_and_load_does() {
    if child_case().is_some() {
        // The child: a fresh process that has not mapped the plugin yet.
        let trace = PathBuf::from(std::env::var_os(TRACE_VAR).expect("the parent sets it"));
        let path = fixture("init-trace-plugin");
        assert!(!trace.exists(), "trace file there before anything ran");

        let info = inspect_ok(&path);
        assert_eq!(info.interfaces.len(), 1, "{info:?}");
        assert_eq!(info.interfaces[0].name, "Greeter");
        assert!(
            !trace.exists(),
            "inspect ran the library's initialiser: {} was created",
            trace.display()
        );

        let plugin = GreeterPlugin::load(&path).expect("load init-trace-plugin");
        assert!(
            trace.exists(),
            "loading did not run the initialiser: the fixture proves nothing"
        );
        drop(plugin);
        println!("child: checks done");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("init-ran");
    let out = dynplug_tests::this_test_binary()
        .args([NO_CODE_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_CASE, "init-trace")
        .env(TRACE_VAR, &trace)
        .output()
        .expect("run the test binary again");
    dynplug_tests::assert_child_passed(&out);
    assert!(trace.exists(), "the child's load left no trace");
}

// (b) ---------------------------------------------------------------------

#[test]
fn inspect_lists_hello_plugins_interface_and_every_method() {
    let path = fixture("hello-plugin");
    let info = inspect_ok(&path);
    assert_eq!(info.path, path);
    assert_eq!(info.interfaces.len(), 1, "{info:?}");
    let greeter = &info.interfaces[0];
    assert_eq!(greeter.name, "Greeter");
    assert_eq!(greeter.abi_version, ABI_VERSION);
    let package = greeter.package.as_ref().expect("a package record");
    assert_eq!(package.name, "hello-plugin");
    assert_eq!(package.version, "0.0.0");
    assert_eq!(
        package.description,
        "Test fixture: Greeter built with Default, optional method left out"
    );
    assert!(package.authors.is_empty(), "{package:?}");
    assert_eq!(package.license, "", "the fixture names no license");
    assert!(greeter.loadable());
    let methods: Vec<(&str, &str, bool)> = greeter
        .methods
        .iter()
        .map(|m| (m.name.as_str(), m.signature.as_str(), m.required))
        .collect();
    assert_eq!(
        methods,
        [
            ("greet", "fn greet(&self, name: &str) -> String", true),
            ("add", "fn add(&self, a: i32, b: i32) -> i32", true),
            ("bump", "fn bump(&mut self) -> u64", true),
            ("shout", "fn shout(&self, s: &str) -> String", false),
            ("fail", "fn fail(&self, message: &str) -> u32", true),
            ("drops", "fn drops(&self) -> u64", true),
            ("hits", "fn hits(&self) -> u64", true),
        ]
    );
}

#[test]
fn inspect_lists_types_plugins_interface() {
    let info = inspect_ok(&fixture("types-plugin"));
    let names: Vec<&str> = info.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Types"]);
    let types = &info.interfaces[0];
    assert_eq!(types.abi_version, ABI_VERSION);
    assert_eq!(
        types.package.as_ref().map(|p| p.name.as_str()),
        Some("types-plugin")
    );
    assert_eq!(types.methods.len(), 28, "{types:?}");
    assert!(types.methods.iter().all(|m| m.required), "{types:?}");
    let signature = |name: &str| {
        types
            .methods
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no method {name}: {types:?}"))
            .signature
            .clone()
    };
    assert_eq!(signature("unit"), "fn unit(&self)");
    assert_eq!(
        signature("nested"),
        "fn nested(&self, v: Option<Option<i64>>) -> Option<Option<i64>>"
    );
    assert_eq!(signature("record"), "fn record(&mut self, byte: u8)");
}

// (c) ---------------------------------------------------------------------

#[test]
fn inspect_of_a_system_library_is_ok_with_no_interface() {
    let path = libm();
    let info = inspect_ok(&path);
    assert_eq!(info.path, path);
    assert!(info.interfaces.is_empty(), "{info:?}");
    assert_eq!(
        info.to_string(),
        format!("{}: no dynplug interface\n", path.display())
    );
}

#[test]
fn inspect_of_a_missing_file_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowhere.so");
    let err = dynplug::inspect(&path).unwrap_err();
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert_eq!(err.path(), path);
}

// (d) ---------------------------------------------------------------------

#[test]
fn library_info_displays_one_line_per_method() {
    let path = fixture("hello-plugin");
    let text = inspect_ok(&path).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("{}: 1 dynplug interface", path.display()),
        "{text}"
    );
    assert_eq!(lines[1], "", "{text}");
    assert_eq!(
        lines[2],
        format!("  Greeter  (dynplug ABI {ABI_VERSION}, 7 methods, panics unwind)"),
        "{text}"
    );
    assert_eq!(
        lines[3],
        "    package hello-plugin 0.0.0: Test fixture: Greeter built with Default, optional \
         method left out",
        "{text}"
    );
    assert_eq!(
        lines[4], "    fn greet(&self, name: &str) -> String",
        "{text}"
    );
    assert!(
        lines.contains(&"    fn shout(&self, s: &str) -> String  [optional]"),
        "{text}"
    );
    assert!(lines.contains(&"    fn bump(&mut self) -> u64"), "{text}");
    assert_eq!(lines.len(), 4 + 7, "{text}");
    assert!(text.ends_with('\n'), "{text:?}");
}

// (e) ---------------------------------------------------------------------

#[test]
fn not_a_plugin_names_what_the_library_exports() {
    let path = fixture("types-plugin");
    let err = match GreeterPlugin::load(&path) {
        Ok(_) => panic!("types-plugin loaded as a Greeter"),
        Err(err) => err,
    };
    let Error::NotAPlugin {
        interface, found, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(interface, "Greeter");
    assert_eq!(found, &["Types"]);
    let text = err.to_string();
    assert!(text.contains("it exports `Types`"), "{text}");
    assert!(text.contains(&*path.to_string_lossy()), "{text}");
}

#[test]
fn not_a_plugin_from_a_system_library_lists_nothing() {
    let err = match GreeterPlugin::load(libm()) {
        Ok(_) => panic!("libm loaded as a Greeter"),
        Err(err) => err,
    };
    assert!(
        matches!(&err, Error::NotAPlugin { found, .. } if found.is_empty()),
        "{err:?}"
    );
    assert!(!err.to_string().contains("it exports"), "{err}");
}

// (f) ---------------------------------------------------------------------

/// What an ELF header cut after its magic is called: truncated where ELF
/// is what loads, no library elsewhere.
#[cfg(all(unix, not(target_vendor = "apple")))]
const SHORT_ELF: &str = "the file is truncated: it is 4 bytes long";
#[cfg(not(all(unix, not(target_vendor = "apple"))))]
const SHORT_ELF: &str = dynplug_tests::NOT_A_LIBRARY;

#[test]
fn an_empty_file_a_text_file_and_a_directory_are_invalid() {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents, why) in [
        ("empty.so", &b""[..], "empty"),
        (
            "notes.so",
            b"just some text\n",
            dynplug_tests::NOT_A_LIBRARY,
        ),
        ("short.so", b"\x7fELF", SHORT_ELF),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let err = inspect_invalid(&path, name);
        assert!(err.to_string().contains(why), "{name}: {err}");
    }
    let err = inspect_invalid(dir.path(), "a directory");
    assert!(err.to_string().contains("directory"), "{err}");
}

#[cfg(all(unix, not(target_vendor = "apple")))]
/// The lengths a copy of a `len`-byte ELF file is cut at: every byte of the
/// ELF header and around the program headers, and 97 points spread over
/// the whole file.
fn cuts(len: u64, phoff: u64, phsize: u64) -> Vec<u64> {
    let mut cuts: Vec<u64> = (0..=64).collect();
    cuts.extend(phoff.saturating_sub(8)..=(phoff + phsize + 8).min(len - 1));
    cuts.extend((0..97).map(|k| k * (len / 97)));
    cuts.push(len - 1);
    cuts.retain(|&c| c < len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

// ELF: edits ELF headers (PE files: tests/preflight_pe.rs).
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn every_truncated_copy_is_invalid_for_inspect_and_load() {
    let source = fixture("hello-plugin");
    let bytes = std::fs::read(&source).unwrap();
    let len = bytes.len() as u64;
    let phoff = u64::from_le_bytes(bytes[32..40].try_into().unwrap());
    let phentsize = u64::from(u16::from_le_bytes(bytes[54..56].try_into().unwrap()));
    let phnum = u64::from(u16::from_le_bytes(bytes[56..58].try_into().unwrap()));
    assert!(phnum > 0 && phoff >= 64, "odd fixture: {phoff} {phnum}");
    let cuts = cuts(len, phoff, phentsize * phnum);
    assert!(cuts.len() > 150, "{}", cuts.len());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libcut.so");
    std::fs::write(&path, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    // From the longest cut down: each one is a `set_len` of the same copy.
    for &cut in cuts.iter().rev() {
        file.set_len(cut).unwrap();
        let what = format!("cut at {cut} of {len}");
        inspect_invalid(&path, &what);
        // Pre-flight must refuse it before dlopen: a truncated ELF mapped
        // by the loader can kill the process with SIGBUS.
        load_refused_as_cut(&path, cut, &what);
    }
}

#[cfg(all(unix, not(target_vendor = "apple")))]
/// A copy of hello-plugin with `patch` applied.
fn patched_copy(dir: &Path, name: &str, patch: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(fixture("hello-plugin")).unwrap();
    patch(&mut bytes);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Another machine than this one (`e_machine` and its name): x86-64 on
/// aarch64, aarch64 elsewhere.
#[cfg(all(unix, not(target_vendor = "apple")))]
const FOREIGN_MACHINE: (u16, &str) = if cfg!(target_arch = "aarch64") {
    (62, "x86_64")
} else {
    (183, "aarch64")
};

// ELF: edits ELF headers (PE files: tests/preflight_pe.rs).
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_library_for_another_machine_is_invalid() {
    let (machine, name) = FOREIGN_MACHINE;
    let dir = tempfile::tempdir().unwrap();
    let path = patched_copy(dir.path(), "libforeign.so", |b| {
        b[18..20].copy_from_slice(&machine.to_le_bytes());
    });
    let err = inspect_invalid(&path, &format!("e_machine = {name}"));
    assert!(err.to_string().contains(name), "{err}");
    match GreeterPlugin::load(&path) {
        Ok(_) => panic!("an {name} library loaded"),
        Err(err) => assert_invalid(&err, &path, &format!("load e_machine = {name}")),
    }
}

// ELF: edits ELF headers (PE files: tests/preflight_pe.rs).
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_32_bit_class_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let path = patched_copy(dir.path(), "lib32.so", |b| b[4] = 1);
    inspect_invalid(&path, "EI_CLASS = 32-bit");
    match GreeterPlugin::load(&path) {
        Ok(_) => panic!("a 32-bit library loaded"),
        Err(err) => assert_invalid(&err, &path, "load EI_CLASS = 32-bit"),
    }
}

#[test]
fn a_malformed_record_is_invalid_for_inspect() {
    // bad-meta-plugin's `Types` record has its magic broken.
    let path = fixture("bad-meta-plugin");
    let err = inspect_invalid(&path, "bad-meta-plugin");
    assert!(err.to_string().contains("`Types`"), "{err}");
    assert!(err.to_string().contains("magic"), "{err}");
}

/// Without section headers (`e_shoff`, `e_shnum`, `e_shstrndx` zeroed: the
/// dynamic loader reads program headers only) a truncated file parses, and
/// pre-flight's own check that every loadable segment lies inside the file
/// is what refuses it, before `dlopen` could die of SIGBUS on it.
// ELF: edits ELF headers (PE files: tests/preflight_pe.rs).
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_truncated_copy_without_section_headers_is_refused_by_the_segment_check() {
    let mut bytes = std::fs::read(fixture("hello-plugin")).unwrap();
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let phoff = u64_at(&bytes, 32) as usize;
    let phnum = usize::from(u16::from_le_bytes(bytes[56..58].try_into().unwrap()));
    // The end of the last PT_LOAD's bytes in the file.
    let loaded_end = (0..phnum)
        .map(|i| &bytes[phoff + 56 * i..phoff + 56 * (i + 1)])
        .filter(|ph| ph[0..4] == 1u32.to_le_bytes())
        .map(|ph| u64_at(ph, 8) + u64_at(ph, 32))
        .max()
        .expect("a PT_LOAD") as usize;
    bytes[40..48].fill(0);
    bytes[60..64].fill(0);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libnosections.so");
    // The whole file, sections gone, still passes pre-flight.
    std::fs::write(&path, &bytes).unwrap();
    inspect_ok(&path);
    for cut in [phoff + 56 * phnum, 4096, loaded_end / 2, loaded_end - 1] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let what = format!("no sections, cut at {cut} of {loaded_end}");
        let err = inspect_invalid(&path, &what);
        assert!(err.to_string().contains("truncated"), "{what}: {err}");
        load_refused_as_cut(&path, cut as u64, &what);
    }
}

// (g) ---------------------------------------------------------------------

/// A loaded plugin says which package it was built from, as `inspect` does
/// without loading it.
#[test]
fn a_loaded_plugin_and_inspect_give_the_same_package() {
    let path = fixture("loud-plugin");
    let inspected = inspect_ok(&path).interfaces[0]
        .package
        .clone()
        .expect("a package record");
    assert_eq!(inspected.name, "loud-plugin");
    assert_eq!(inspected.authors, ["Ann Example <ann@example.org>", "Bo"]);
    assert_eq!(inspected.license, "MIT OR Apache-2.0");
    let plugin = GreeterPlugin::load(&path).unwrap();
    assert_eq!(plugin.package(), inspected);
    assert_eq!(dynplug::Plugin::package(&plugin), inspected);
}

/// A malformed package record in the file (its length huge, one short,
/// a field's length huge, its magic broken): `inspect` says so, naming the
/// file and the package, reads no more than the record's segment holds,
/// and never panics; `load` (which never reads it from the file) still
/// loads, and the plugin's `package()` is then empty rather than wrong.
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_malformed_package_record_is_invalid_for_inspect() {
    let bytes = std::fs::read(fixture("hello-plugin")).unwrap();
    let (start, len) = hello_symbol(&bytes, "__dynplug_package__Greeter");
    assert_eq!(&bytes[start..start + 8], b"DYNPLUG\0");
    let dir = tempfile::tempdir().unwrap();
    // The header: magic, format, ABI, total length; then the name's length.
    let patches: [(&str, usize, Vec<u8>); 4] = [
        ("a huge length", 16, u32::MAX.to_le_bytes().to_vec()),
        (
            "a length one short",
            16,
            (len as u32 - 1).to_le_bytes().to_vec(),
        ),
        ("a huge field", 20, u32::MAX.to_le_bytes().to_vec()),
        ("a broken magic", 0, b"NOTDYNPL".to_vec()),
    ];
    for (i, (what, at, patch)) in patches.into_iter().enumerate() {
        let path = patched_copy(dir.path(), &format!("libpackage{i}.so"), |b| {
            b[start + at..start + at + patch.len()].copy_from_slice(&patch);
        });
        let err = inspect_invalid(&path, what);
        assert!(err.to_string().contains("package"), "{what}: {err}");
        let plugin = GreeterPlugin::load(&path).unwrap_or_else(|err| panic!("{what}: {err}"));
        assert_eq!(plugin.package(), dynplug::Package::default(), "{what}");
    }
}

/// A record whose interface name is not its symbol's (`Greetex` under
/// `__dynplug_meta__Greeter`) is malformed for `inspect` as it is for
/// `load`, and the catalogue names the file as a problem rather than
/// listing an interface no load would take.
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_record_named_otherwise_than_its_symbol_is_invalid() {
    let bytes = std::fs::read(fixture("hello-plugin")).unwrap();
    // The record: a 20-byte header, then the name as a u32 length and bytes.
    let (record, _) = hello_symbol(&bytes, "__dynplug_meta__Greeter");
    assert_eq!(&bytes[record + 24..record + 31], b"Greeter");
    let dir = tempfile::tempdir().unwrap();
    let path = patched_copy(dir.path(), "librenamed.so", |b| {
        b[record + 24..record + 31].copy_from_slice(b"Greetex");
    });
    let err = inspect_invalid(&path, "renamed record");
    assert!(err.to_string().contains("`Greeter`"), "{err}");
    match GreeterPlugin::load(&path) {
        Ok(_) => panic!("the renamed record loaded"),
        Err(err) => assert_invalid(&err, &path, "load of the renamed record"),
    }
    let catalog = dynplug::Catalog::scan(dir.path()).unwrap();
    assert_eq!(catalog.libraries().len(), 0);
    assert_eq!(catalog.problems().len(), 1, "{:?}", catalog.problems());
}

/// The file offset and size of the data of hello-plugin's exported symbol
/// `name`.
#[cfg(all(unix, not(target_vendor = "apple")))]
fn hello_symbol(bytes: &[u8], name: &str) -> (usize, usize) {
    use object::{Object, ObjectSegment, ObjectSymbol};
    let file = object::File::parse(bytes).unwrap();
    let symbol = file
        .dynamic_symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap_or_else(|| panic!("no {name}"));
    let start = file
        .segments()
        .find_map(|s| {
            let within = symbol.address().checked_sub(s.address())?;
            let (offset, size) = s.file_range();
            (within < size).then_some((offset + within) as usize)
        })
        .unwrap();
    (start, symbol.size() as usize)
}
