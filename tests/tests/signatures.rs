//! Signed plugins: with a signature required, a library loads only if its
//! minisign signature (`<file>.minisig`) is made with the host's key and
//! covers every byte; anything else is `Error::Untrusted`, before any of
//! the file runs.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use dynplug::{Catalog, Error, LoadOptions, PublicKey, ScanOptions};
use dynplug_tests::{child_case, fixture};
use fixture_api::{Greeter, GreeterPlugin};

/// A key pair, as `minisign -G` makes one.
struct Keys {
    pair: minisign::KeyPair,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            pair: minisign::KeyPair::generate_unencrypted_keypair().unwrap(),
        }
    }

    /// The public key as the host holds it.
    fn public(&self) -> PublicKey {
        PublicKey::from_base64(&self.pair.pk.to_base64()).unwrap()
    }

    /// Writes `path`'s signature to `path.minisig`, as `minisign -Sm` does.
    fn sign(&self, path: &Path) {
        let bytes = std::fs::read(path).unwrap();
        let signature = minisign::sign(
            Some(&self.pair.pk),
            &self.pair.sk,
            Cursor::new(bytes),
            Some("dynplug test"),
            None,
        )
        .unwrap();
        std::fs::write(dynplug::signature_path(path), signature.into_string()).unwrap();
    }
}

/// A copy of fixture `name` in `dir`, under the platform's suffix.
fn copy(dir: &Path, name: &str, as_name: &str) -> PathBuf {
    let to = dir.join(format!("{as_name}{}", std::env::consts::DLL_SUFFIX));
    std::fs::copy(fixture(name), &to).unwrap();
    to
}

fn untrusted(err: &Error, path: &Path) -> String {
    let Error::Untrusted { path: p, reason } = err else {
        panic!("not Untrusted: {err:?}");
    };
    assert_eq!(p, path);
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    reason.clone()
}

#[test]
fn a_signed_plugin_loads_and_anything_else_is_untrusted() {
    let keys = Keys::new();
    let required = LoadOptions::new().require_signature(keys.public());
    let dir = tempfile::tempdir().unwrap();

    let signed = copy(dir.path(), "hello-plugin", "signed");
    keys.sign(&signed);
    let plugin = GreeterPlugin::load_with(&signed, &required).unwrap();
    assert_eq!(plugin.greet("you"), "Hello, you!");

    let unsigned = copy(dir.path(), "hello-plugin", "unsigned");
    let reason = untrusted(
        &GreeterPlugin::load_with(&unsigned, &required).unwrap_err(),
        &unsigned,
    );
    assert!(
        reason.contains("not signed") && reason.contains(".minisig"),
        "{reason}"
    );
    // Without the requirement, the same file loads.
    GreeterPlugin::load(&unsigned).unwrap();

    // One bit flipped after signing, anywhere: here in the last byte.
    let tampered = copy(dir.path(), "hello-plugin", "tampered");
    keys.sign(&tampered);
    let mut bytes = std::fs::read(&tampered).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&tampered, bytes).unwrap();
    let reason = untrusted(
        &GreeterPlugin::load_with(&tampered, &required).unwrap_err(),
        &tampered,
    );
    assert!(reason.contains("does not match its contents"), "{reason}");

    // Signed, but with another key.
    let other = copy(dir.path(), "hello-plugin", "other");
    Keys::new().sign(&other);
    let reason = untrusted(
        &GreeterPlugin::load_with(&other, &required).unwrap_err(),
        &other,
    );
    assert!(reason.contains("another key"), "{reason}");

    // Another file's signature.
    let borrowed = copy(dir.path(), "loud-plugin", "borrowed");
    std::fs::copy(
        dynplug::signature_path(&signed),
        dynplug::signature_path(&borrowed),
    )
    .unwrap();
    let reason = untrusted(
        &GreeterPlugin::load_with(&borrowed, &required).unwrap_err(),
        &borrowed,
    );
    assert!(reason.contains("does not match"), "{reason}");

    // A signature file that is none.
    let garbage = copy(dir.path(), "hello-plugin", "garbage");
    std::fs::write(dynplug::signature_path(&garbage), "not a signature\n").unwrap();
    let reason = untrusted(
        &GreeterPlugin::load_with(&garbage, &required).unwrap_err(),
        &garbage,
    );
    assert!(reason.contains("not a minisign signature"), "{reason}");

    // A signature "file" that is a folder, or huge: refused without reading.
    let folder = copy(dir.path(), "hello-plugin", "folder");
    std::fs::create_dir(dynplug::signature_path(&folder)).unwrap();
    let reason = untrusted(
        &GreeterPlugin::load_with(&folder, &required).unwrap_err(),
        &folder,
    );
    // Unix opens a folder and says what it is; Windows refuses to open it.
    assert!(
        reason.contains("not a regular file") || reason.contains("cannot be read"),
        "{reason}"
    );
    let huge = copy(dir.path(), "hello-plugin", "huge");
    std::fs::File::create(dynplug::signature_path(&huge))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let reason = untrusted(
        &GreeterPlugin::load_with(&huge, &required).unwrap_err(),
        &huge,
    );
    assert!(
        reason.contains("larger than any minisign signature"),
        "{reason}"
    );
}

#[test]
fn a_public_key_that_is_none_is_refused() {
    let err = PublicKey::from_base64("RWQ not a key").unwrap_err();
    assert!(
        err.to_string().contains("not a minisign public key"),
        "{err}"
    );
    // The text of a `minisign.pub` file is a key too.
    let keys = Keys::new();
    let text = keys.pair.pk.to_box().unwrap().to_string();
    PublicKey::decode(&text).unwrap();
}

#[test]
fn a_catalogue_that_requires_signatures_lists_only_signed_plugins() {
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let signed = copy(dir.path(), "hello-plugin", "a-signed");
    keys.sign(&signed);
    let unsigned = copy(dir.path(), "loud-plugin", "b-unsigned");
    let tampered = copy(dir.path(), "hello-plugin", "c-tampered");
    keys.sign(&tampered);
    let mut bytes = std::fs::read(&tampered).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&tampered, bytes).unwrap();

    let options = ScanOptions::new().require_signature(keys.public());
    let catalog = Catalog::scan_with(dir.path(), &options).unwrap();
    let entries = catalog.find::<dyn Greeter>();
    assert_eq!(entries.len(), 1, "{catalog:?}");
    assert_eq!(entries[0].path(), signed);
    let plugin: GreeterPlugin = entries[0].load().unwrap();
    assert_eq!(plugin.greet("x"), "Hello, x!");
    let problems: Vec<(&Path, bool)> = catalog
        .problems()
        .iter()
        .map(|e| (e.path(), matches!(e, Error::Untrusted { .. })))
        .collect();
    assert_eq!(
        problems,
        [(unsigned.as_path(), true), (tampered.as_path(), true)]
    );

    // An entry of such a catalogue requires the signature again when it
    // loads: a file changed after the scan is refused.
    std::fs::remove_file(dynplug::signature_path(&signed)).unwrap();
    let err = entries[0].load::<GreeterPlugin>().unwrap_err();
    assert!(matches!(err, Error::Untrusted { .. }), "{err:?}");
}

/// The variable the init-trace plugin's initialiser reads.
const TRACE_VAR: &str = "DYNPLUG_INIT_TRACE";
const NO_CODE_TEST: &str = "an_untrusted_plugin_runs_no_code";

#[test]
fn an_untrusted_plugin_runs_no_code() {
    if child_case().is_some() {
        let trace = PathBuf::from(std::env::var_os(TRACE_VAR).expect("the parent sets it"));
        let dir = PathBuf::from(std::env::var_os("DYNPLUG_SIGNED_DIR").expect("set"));
        let keys = Keys::new();
        let required = LoadOptions::new().require_signature(keys.public());
        let unsigned = copy(&dir, "init-trace-plugin", "unsigned");
        let err = GreeterPlugin::load_with(&unsigned, &required).unwrap_err();
        assert!(matches!(err, Error::Untrusted { .. }), "{err:?}");
        assert!(!trace.exists(), "the unsigned plugin's initialiser ran");
        // The same file signed loads, and its initialiser runs then.
        keys.sign(&unsigned);
        let plugin = GreeterPlugin::load_with(&unsigned, &required).unwrap();
        assert!(trace.exists(), "the fixture proves nothing");
        drop(plugin);
        println!("child: checks done");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("init-ran");
    let out = dynplug_tests::run_in_child_with(
        NO_CODE_TEST,
        "untrusted",
        &[
            (TRACE_VAR, trace.as_os_str()),
            ("DYNPLUG_SIGNED_DIR", dir.path().as_os_str()),
        ],
    );
    dynplug_tests::assert_child_passed(&out);
}

#[cfg(target_os = "linux")]
const FAILED_LOADS_TEST: &str = "a_signed_load_that_fails_keeps_no_descriptor_open";

/// A signed plugin the dynamic loader refuses (a dependency is missing):
/// every attempt fails the same way, and none leaves a descriptor of the
/// file open (on Linux a signed file is loaded as `/proc/self/fd/N` of a
/// duplicate descriptor, which only a mapped library needs kept); nor does
/// a signed plugin loaded and unloaded again and again. In a child
/// process, so that no other test opens files meanwhile.
#[cfg(target_os = "linux")]
#[test]
fn a_signed_load_that_fails_keeps_no_descriptor_open() {
    if child_case().is_some() {
        let open_fds = || std::fs::read_dir("/proc/self/fd").unwrap().count();
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::new();
        let path = copy(dir.path(), "missing-dep-plugin", "missing-dep");
        keys.sign(&path);
        let required = LoadOptions::new().require_signature(keys.public());
        let before = open_fds();
        for _ in 0..20 {
            let err = GreeterPlugin::load_with(&path, &required).unwrap_err();
            assert!(matches!(err, Error::Open { .. }), "{err:?}");
        }
        assert_eq!(open_fds(), before, "descriptors left open");
        // A signed plugin loaded and really unloaded, again and again: its
        // name is the loader's no more, and neither is its descriptor kept.
        let hello = copy(dir.path(), "hello-plugin", "hello");
        keys.sign(&hello);
        // SAFETY: nothing of the plugin's is used after `close`.
        let unloading = unsafe { required.clone().unload_when_unused(true) };
        let mut after_first = None;
        for _ in 0..20 {
            let plugin = GreeterPlugin::load_with(&hello, &unloading).unwrap();
            assert_eq!(plugin.close().unwrap(), dynplug::Closed::Unloaded);
            after_first.get_or_insert_with(open_fds);
        }
        assert_eq!(Some(open_fds()), after_first, "a descriptor per unload");
        println!("child: checks done");
        return;
    }
    let out = dynplug_tests::run_in_child(FAILED_LOADS_TEST, "fds");
    dynplug_tests::assert_child_passed(&out);
}

#[cfg(target_os = "linux")]
const TAKEN_NAME_TEST: &str = "a_signed_load_never_gets_a_library_another_part_loaded_by_fd";

/// Another part of the process loaded libraries as `/proc/self/fd/N` and
/// closed those descriptors (a common way to load from memory): a signed
/// load, whose own descriptor may get one of those numbers, must still map
/// the file it verified, not the library the dynamic loader has under that
/// name. In a child process: the libraries stay loaded.
#[cfg(target_os = "linux")]
#[test]
fn a_signed_load_never_gets_a_library_another_part_loaded_by_fd() {
    if child_case().is_some() {
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        // Hello plugins, each its own file, loaded by descriptor name.
        let files: Vec<std::fs::File> = (0..8)
            .map(|i| {
                std::fs::File::open(copy(dir.path(), "hello-plugin", &format!("h{i}"))).unwrap()
            })
            .collect();
        for file in &files {
            let name =
                std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).unwrap();
            // SAFETY: a NUL-terminated name; the fixture's initialisers
            // are harmless.
            let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
            assert!(!handle.is_null(), "dlopen {name:?}");
        }
        drop(files);
        let keys = Keys::new();
        let loud = copy(dir.path(), "loud-plugin", "loud");
        keys.sign(&loud);
        let required = LoadOptions::new().require_signature(keys.public());
        let plugin = GreeterPlugin::load_with(&loud, &required).unwrap();
        assert!(
            !plugin.greet("you").starts_with("Hello,"),
            "the signed load got another library: {}",
            plugin.greet("you")
        );
        println!("child: checks done");
        return;
    }
    let out = dynplug_tests::run_in_child(TAKEN_NAME_TEST, "names");
    dynplug_tests::assert_child_passed(&out);
}

/// A signed library runs from a copy nobody can change: the file written
/// over in place after the load (same file, new bytes, which a library
/// mapped from the file would partly see) leaves the loaded plugin as it
/// was, and a load of the file as it is now, signed again, gets the new
/// code, not the library loaded from the old bytes. In a child process:
/// a library mapped from the file itself crashes when it is written over.
#[cfg(unix)]
const REWRITE_TEST: &str =
    "a_signed_plugin_runs_the_bytes_that_were_checked_whatever_happens_to_its_file";

#[cfg(unix)]
#[test]
fn a_signed_plugin_runs_the_bytes_that_were_checked_whatever_happens_to_its_file() {
    if child_case().is_none() {
        let out = dynplug_tests::run_in_child(REWRITE_TEST, "rewrite");
        dynplug_tests::assert_child_passed(&out);
        return;
    }
    let keys = Keys::new();
    let required = LoadOptions::new().require_signature(keys.public());
    let dir = tempfile::tempdir().unwrap();
    let path = copy(dir.path(), "hello-plugin", "rewritten");
    keys.sign(&path);
    let first = GreeterPlugin::load_with(&path, &required).unwrap();
    assert_eq!(first.greet("you"), "Hello, you!");
    let again = GreeterPlugin::load_with(&path, &required).unwrap();
    assert_eq!(again.greet("you"), "Hello, you!");

    // The same file (same inode), another plugin's bytes written into it.
    let loud = std::fs::read(fixture("loud-plugin")).unwrap();
    dynplug_tests::write_in_place(&path, &loud, 1, std::time::Duration::ZERO);
    assert_eq!(first.greet("you"), "Hello, you!");
    assert_eq!(again.greet("you"), "Hello, you!");

    // Its old signature no longer covers it: refused.
    untrusted(
        &GreeterPlugin::load_with(&path, &required).unwrap_err(),
        &path,
    );
    // Signed again: the new code.
    keys.sign(&path);
    let second = GreeterPlugin::load_with(&path, &required).unwrap();
    assert!(
        !second.greet("you").starts_with("Hello,"),
        "the old library was handed back: {}",
        second.greet("you")
    );
    assert_eq!(first.greet("you"), "Hello, you!");
    println!("child: checks done");
}

/// A C library binding honours `require_signature` as a plugin loader
/// does: unsigned, it is refused before any of its code runs; signed, it
/// loads and its functions are called.
#[test]
fn a_c_library_that_must_be_signed_is_checked_too() {
    #[dynplug::plugin_interface(c_library)]
    pub trait Version {
        fn geometry_version(&self) -> std::ffi::c_int;
    }
    let keys = Keys::new();
    let required = LoadOptions::new().require_signature(keys.public());
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(format!("geometry{}", std::env::consts::DLL_SUFFIX));
    std::fs::copy(env!("DYNPLUG_GEOMETRY_LIB"), &path).unwrap();
    // SAFETY: `geometry_version` is `int geometry_version(void)` in
    // tests/c/geometry.c.
    let refused = unsafe { VersionLibrary::load_with(&path, &required) }.unwrap_err();
    let reason = untrusted(&refused, &path);
    assert!(reason.contains("not signed"), "{reason}");
    keys.sign(&path);
    // SAFETY: as above.
    let lib = unsafe { VersionLibrary::load_with(&path, &required) }.unwrap();
    assert_eq!(lib.geometry_version(), 2);
}

/// A signed load shares a library only with loads that checked the same
/// bytes. A file changed through a shared writable mapping keeps its change
/// time once its pages are writable, so the file's identity and version
/// cannot tell an unsigned copy loaded from it before from the signed bytes
/// it holds now: the signed load must not be handed that library.
#[cfg(target_os = "linux")]
#[test]
fn a_signed_load_never_shares_a_library_loaded_from_unchecked_bytes() {
    use std::os::fd::AsRawFd;
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapped.so");
    let (mut hello, mut loud) = (
        std::fs::read(fixture("hello-plugin")).unwrap(),
        std::fs::read(fixture("loud-plugin")).unwrap(),
    );
    // The same length (zeros after an ELF file change nothing it loads).
    let len = hello.len().max(loud.len());
    hello.resize(len, 0);
    loud.resize(len, 0);
    std::fs::write(&path, &hello).unwrap();
    keys.sign(&path);

    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    // SAFETY: a new shared mapping of the whole file, which this test alone
    // uses and unmaps below; the result is checked.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED);
    // SAFETY: `map` is `len` writable bytes that nothing else references.
    let bytes = unsafe { std::slice::from_raw_parts_mut(map.cast::<u8>(), len) };
    // The unsigned bytes, loaded from a copy without a signature.
    bytes.copy_from_slice(&loud);
    let unchecked =
        GreeterPlugin::load_with(&path, &LoadOptions::new().load_from_copy(true)).unwrap();
    assert_eq!(unchecked.greet("you"), "HEY, you!");
    // The signed bytes back, through pages already writable: no new
    // change time.
    let before = std::fs::metadata(&path).unwrap();
    bytes.copy_from_slice(&hello);
    let after = std::fs::metadata(&path).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        (before.ctime(), before.ctime_nsec()),
        (after.ctime(), after.ctime_nsec()),
        "the change time moved: the case is not made"
    );
    let required = LoadOptions::new().require_signature(keys.public());
    let signed = GreeterPlugin::load_with(&path, &required).unwrap();
    assert_eq!(
        signed.greet("you"),
        "Hello, you!",
        "a signed load ran bytes that were never checked"
    );
    // SAFETY: the mapping made above, no longer used (`bytes` ends here).
    assert_eq!(unsafe { libc::munmap(map, len) }, 0);
}
