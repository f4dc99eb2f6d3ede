//! Files renamed over one path, again and again (a plugin rebuilt while
//! its host runs): each new file loads as itself, with no limit on how
//! many generations a path sees. On Windows, where a loaded DLL cannot be
//! overwritten, the old file is moved aside first (`replace_file`).

use dynplug::LoadOptions;
use dynplug_tests::fixture;
use fixture_api::{Linger, LingerPlugin};
use std::path::Path;

/// Copies the linger fixture to a fresh file and renames it over `path`:
/// a new file (inode) at the same path, as a build writes it.
fn replace(dir: &Path, path: &Path) {
    let staged = dir.join("staged.so");
    std::fs::copy(fixture("linger-plugin"), &staged).unwrap();
    dynplug_tests::replace_file(&staged, path);
}

/// How many files the first test renames over one path unless
/// `DYNPLUG_RELOAD_FILES` says otherwise: fewer under Windows, where each
/// new file at a used path is copied before it loads (and the suite runs
/// under wine, an emulation a hundred times slower at loading, and each
/// old file is kept aside: `replace_file`).
const ROUNDS: u32 = if cfg!(windows) { 100 } else { 10_000 };

#[test]
fn ten_thousand_files_renamed_over_one_path_all_load() {
    // Crashed once in CI (a bare SIGSEGV, with the next test), never
    // since: if it does again, the log says where.
    dynplug_tests::report_crashes();
    // Unloading allowed (the fixture leaves nothing behind unless asked),
    // so that memory stays flat; each generation's name slot is freed with
    // its library and taken again by the next file.
    // SAFETY: linger-plugin starts no thread and registers no destructor
    // unless a method asks it to, and none is called here.
    let options = unsafe { LoadOptions::new().unload_when_unused(true) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libreloaded.so");
    // `DYNPLUG_RELOAD_FILES` sets another count (scripts/ci/aarch64.sh:
    // 2,000 under qemu, where a load takes ten times as long).
    let files: u32 = std::env::var("DYNPLUG_RELOAD_FILES")
        .map(|n| n.parse().expect("DYNPLUG_RELOAD_FILES is a number"))
        .unwrap_or(ROUNDS);
    let mut previous = None;
    for round in 0..files {
        replace(dir.path(), &path);
        let plugin = LingerPlugin::load_with(&path, &options)
            .unwrap_or_else(|err| panic!("round {round}: {err}"));
        assert_eq!(plugin.ping(), 1);
        // The old version goes once the new one serves.
        drop(previous.replace(plugin));
    }
}

#[test]
fn generations_kept_mapped_each_get_a_name_of_their_own() {
    // By default every old generation stays mapped, under its own name:
    // 300 of them, each still answering, none mistaken for another. Run
    // beside the test above, whose files come and go, this also catches a
    // new file served an old generation's code (it once was, when asking
    // whether an unloaded library was gone aliased its name to another).
    dynplug_tests::report_crashes();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libkept.so");
    let mut kept: Vec<LingerPlugin> = Vec::new();
    for round in 0..if cfg!(windows) { 60u64 } else { 300 } {
        replace(dir.path(), &path);
        let plugin = LingerPlugin::load(&path).unwrap_or_else(|err| panic!("round {round}: {err}"));
        let address = plugin.static_address();
        if let Some(old) = kept.iter().position(|p| p.static_address() == address) {
            panic!("round {round}: the new file was served generation {old}'s library");
        }
        // Each generation is its own library: its statics start afresh.
        assert_eq!(plugin.touch_thread_local(), 1, "round {round}");
        kept.push(plugin);
    }
    assert!(kept.iter().all(|p| p.ping() == 1));
}

const COPY_TEST: &str = "a_library_loaded_from_a_copy_outlives_its_file_written_over_or_deleted";

/// `load_from_copy`: the file can be written over in place (the same file,
/// other bytes: on Unix this crashes a library mapped from the file, and
/// Windows refuses it for a loaded DLL) and deleted while the library
/// runs; a load of the file as it is now gets the new code. In a child
/// process, for the crash.
#[test]
fn a_library_loaded_from_a_copy_outlives_its_file_written_over_or_deleted() {
    use fixture_api::{Greeter, GreeterPlugin};
    if dynplug_tests::child_case().is_none() {
        let out = dynplug_tests::run_in_child(COPY_TEST, "copy");
        dynplug_tests::assert_child_passed(&out);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(format!("copied{}", std::env::consts::DLL_SUFFIX));
    std::fs::copy(fixture("hello-plugin"), &path).unwrap();
    let options = LoadOptions::new().load_from_copy(true);
    let first = GreeterPlugin::load_with(&path, &options).unwrap();
    let again = GreeterPlugin::load_with(&path, &options).unwrap();
    assert_eq!(first.greet("you"), "Hello, you!");
    assert_eq!(again.greet("you"), "Hello, you!");

    // (On Windows too: the loaded library is a copy.)
    let loud = std::fs::read(fixture("loud-plugin")).unwrap();
    dynplug_tests::write_in_place(&path, &loud, 1, std::time::Duration::ZERO);
    assert_eq!(first.greet("you"), "Hello, you!");
    let second = GreeterPlugin::load_with(&path, &options).unwrap();
    assert!(
        !second.greet("you").starts_with("Hello,"),
        "the old library was handed back: {}",
        second.greet("you")
    );
    std::fs::remove_file(&path).expect("the file of a library loaded from a copy can be deleted");
    assert_eq!(first.greet("you"), "Hello, you!");
    assert!(!second.greet("you").starts_with("Hello,"));
    println!("child: checks done");
}

#[cfg(target_os = "linux")]
const CRASH_TEST: &str = "a_crash_says_where_it_happened";

/// `report_crashes`, which the tests above install: a crash prints its
/// signal, address and the process's mappings, and the process still dies
/// of the signal. In a child process.
#[cfg(target_os = "linux")]
#[test]
fn a_crash_says_where_it_happened() {
    if dynplug_tests::child_case().is_none() {
        let out = dynplug_tests::run_in_child(CRASH_TEST, "crash");
        let stderr = String::from_utf8_lossy(&out.stderr);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(11), "{:?}\n{stderr}", out.status);
        assert!(
            stderr.contains("dynplug-tests: crashed: signal 0x000000000000000b, fault address 0x0000000000000010"),
            "{stderr}"
        );
        // The mappings name this test binary, where the fault was.
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_name().unwrap().to_string_lossy();
        assert!(stderr.lines().any(|l| l.ends_with(&*name)), "{stderr}");
        return;
    }
    dynplug_tests::report_crashes();
    // SAFETY: none: this reads address 16 on purpose, to crash.
    let value = unsafe { std::ptr::read_volatile(std::ptr::without_provenance::<u64>(16)) };
    println!("child: read {value}, no crash");
}
