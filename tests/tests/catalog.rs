//! `dynplug::Catalog`: a folder of plugins read without running any of
//! their code, each file sorted into what a host can load, what it cannot
//! and why, and what is not a plugin at all.

use std::env::consts::DLL_SUFFIX;
use std::path::{Path, PathBuf};

use dynplug::{Catalog, Error, Plugin, ScanOptions};
use dynplug_tests::{child_case, fixture};
use fixture_api::{Greeter, GreeterPlugin};
use objects_api::{Factory, FactoryPlugin};

/// A file name with the platform's library suffix.
fn lib(name: &str) -> String {
    format!("{name}{DLL_SUFFIX}")
}

/// Copies fixture plugin `fixture_name` into `dir` as `name`.
fn put(dir: &Path, fixture_name: &str, name: &str) -> PathBuf {
    let to = dir.join(lib(name));
    std::fs::copy(fixture(fixture_name), &to).expect("copy a fixture");
    to
}

/// The folder of the issue: plugins of two interfaces, two plugins of one,
/// a plugin of an old version of the interface, a C library, a text file
/// and a truncated plugin under the library suffix, a file of another
/// suffix, and a plugin in a subfolder.
struct Folder {
    dir: tempfile::TempDir,
    hello: PathBuf,
    loud: PathBuf,
    objects: PathBuf,
    old: PathBuf,
    c_library: PathBuf,
    text: PathBuf,
    truncated: PathBuf,
    nested: PathBuf,
}

fn folder() -> Folder {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hello = put(d, "hello-plugin", "a-hello");
    let loud = put(d, "loud-plugin", "b-loud");
    let objects = put(d, "objects-plugin", "c-objects");
    let old = put(d, "old-plugin", "d-old");
    let c_library = d.join(lib("e-geometry"));
    std::fs::copy(env!("DYNPLUG_GEOMETRY_LIB"), &c_library).unwrap();
    let text = d.join(lib("f-notes"));
    std::fs::write(&text, "not a library, whatever its name says\n").unwrap();
    let truncated = d.join(lib("g-truncated"));
    let bytes = std::fs::read(fixture("hello-plugin")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(d.join("README.txt"), "plugins go here").unwrap();
    std::fs::create_dir(d.join("more")).unwrap();
    let nested = put(&d.join("more"), "hello-plugin", "h-nested");
    Folder {
        dir,
        hello,
        loud,
        objects,
        old,
        c_library,
        text,
        truncated,
        nested,
    }
}

fn paths<'a>(entries: impl IntoIterator<Item = &'a Path>) -> Vec<PathBuf> {
    entries.into_iter().map(Path::to_path_buf).collect()
}

#[test]
fn a_scan_sorts_every_file_of_the_folder() {
    let f = folder();
    let catalog = Catalog::scan(f.dir.path()).unwrap();

    // Every library the scan could read, loadable or not.
    let read: Vec<PathBuf> = catalog.libraries().map(|l| l.path.clone()).collect();
    assert_eq!(
        read,
        [&f.hello, &f.loud, &f.objects, &f.old].map(|p| p.clone())
    );

    let greeters = catalog.find::<dyn Greeter>();
    assert_eq!(
        paths(greeters.iter().map(|e| e.path())),
        [f.hello.clone(), f.loud.clone()]
    );
    for entry in &greeters {
        assert_eq!(entry.interface().name, "Greeter");
        let plugin: GreeterPlugin = entry.load().unwrap();
        assert!(plugin.greet("you").ends_with(", you!"), "{entry:?}");
        assert_eq!(plugin.path(), entry.path());
    }

    let factories = catalog.find::<dyn Factory>();
    assert_eq!(factories.len(), 1, "{factories:?}");
    assert_eq!(factories[0].path(), f.objects);
    let factory: FactoryPlugin = factories[0].load().unwrap();
    drop(factory);

    // The old plugin is a Greeter this host cannot load, and says why.
    let mismatches = catalog.mismatches::<dyn Greeter>();
    assert_eq!(mismatches.len(), 1, "{mismatches:?}");
    let Error::InterfaceMismatch {
        path,
        interface,
        differences,
    } = &mismatches[0]
    else {
        panic!("{:?}", mismatches[0]);
    };
    assert_eq!((path, interface.as_str()), (&f.old, "Greeter"));
    assert!(
        differences.iter().any(|d| d.method == "add"),
        "{differences:?}"
    );
    assert!(catalog.mismatches::<dyn Factory>().is_empty());

    // Each file that is not a plugin is a problem, named, in path order;
    // the file of another suffix and the subfolder are not looked at.
    let problems = catalog.problems();
    assert_eq!(
        paths(problems.iter().map(Error::path)),
        [f.c_library.clone(), f.text.clone(), f.truncated.clone()],
        "{problems:#?}"
    );
    assert!(
        matches!(&problems[0], Error::NoInterface { .. }),
        "{:?}",
        problems[0]
    );
    assert!(
        problems[0]
            .to_string()
            .contains("exports no dynplug interface"),
        "{}",
        problems[0]
    );
    for problem in &problems[1..] {
        assert!(
            matches!(problem, Error::InvalidLibrary { .. }),
            "{problem:?}"
        );
        let text = problem.to_string();
        assert!(
            text.contains(&*problem.path().to_string_lossy()),
            "the message names the file: {text}"
        );
    }
}

#[test]
fn a_recursive_scan_reads_the_subfolders_too() {
    let f = folder();
    let catalog = Catalog::scan_recursive(f.dir.path()).unwrap();
    let greeters: Vec<PathBuf> = paths(catalog.find::<dyn Greeter>().iter().map(|e| e.path()));
    assert_eq!(
        greeters,
        [f.hello.clone(), f.loud.clone(), f.nested.clone()]
    );
    // The problems are the same files as in a flat scan.
    assert_eq!(catalog.problems().len(), 3, "{:?}", catalog.problems());
}

#[test]
fn a_folder_that_cannot_be_read_is_an_open_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let err = Catalog::scan(&missing).unwrap_err();
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert_eq!(err.path(), missing);
    assert!(err.to_string().contains("no-such-folder"), "{err}");
}

#[test]
fn an_empty_folder_is_an_empty_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::scan(dir.path()).unwrap();
    assert_eq!(catalog.libraries().len(), 0);
    assert!(catalog.problems().is_empty());
    assert!(catalog.find::<dyn Greeter>().is_empty());
}

/// Generic code loads any plugin type through `dynplug::Plugin`.
fn load_every<P: Plugin>(catalog: &Catalog) -> Vec<P> {
    catalog
        .find::<P::Interface>()
        .iter()
        .map(|entry| entry.load::<P>().unwrap())
        .collect()
}

#[test]
fn generic_code_loads_any_plugin_type() {
    let f = folder();
    let catalog = Catalog::scan(f.dir.path()).unwrap();
    let greeters: Vec<GreeterPlugin> = load_every(&catalog);
    assert_eq!(greeters.len(), 2);
    assert_eq!(greeters[1].greet("x"), "HEY, x!");
    let factories: Vec<FactoryPlugin> = load_every(&catalog);
    assert_eq!(factories.len(), 1);
    assert_eq!(Plugin::path(&factories[0]), f.objects);
}

/// The variable the init-trace plugin's initialiser reads.
const TRACE_VAR: &str = "DYNPLUG_INIT_TRACE";
const NO_CODE_TEST: &str = "a_scan_runs_no_initialiser_and_loading_an_entry_does";

#[test]
fn a_scan_runs_no_initialiser_and_loading_an_entry_does() {
    if child_case().is_some() {
        // A fresh process that has mapped none of the folder's files.
        let trace = PathBuf::from(std::env::var_os(TRACE_VAR).expect("the parent sets it"));
        let dir = PathBuf::from(std::env::var_os("DYNPLUG_SCAN_DIR").expect("the parent sets it"));
        let catalog = Catalog::scan(&dir).unwrap();
        let entries = catalog.find::<dyn Greeter>();
        assert_eq!(entries.len(), 2, "{catalog:?}");
        assert!(
            !trace.exists(),
            "the scan ran a library's initialiser: {} was created",
            trace.display()
        );
        let traced = entries
            .iter()
            .find(|e| e.path().ends_with(lib("z-init-trace")))
            .expect("the init-trace plugin is listed");
        let plugin: GreeterPlugin = traced.load().unwrap();
        assert!(
            trace.exists(),
            "loading did not run the initialiser: the fixture proves nothing"
        );
        drop(plugin);
        println!("child: checks done");
        return;
    }
    let f = folder();
    put(f.dir.path(), "init-trace-plugin", "z-init-trace");
    std::fs::remove_file(&f.loud).unwrap();
    let trace = f.dir.path().join("init-ran");
    let out = dynplug_tests::run_in_child_with(
        NO_CODE_TEST,
        "init-trace",
        &[
            (TRACE_VAR, trace.as_os_str()),
            ("DYNPLUG_SCAN_DIR", f.dir.path().as_os_str()),
        ],
    );
    dynplug_tests::assert_child_passed(&out);
}

/// Copies hello-plugin into `dir` as `name`, its package's version patched
/// from 0.0.0 to `version` (five bytes, so nothing else moves): the same
/// package at another version, as a rebuild would make.
fn hello_at_version(dir: &Path, name: &str, version: &str) -> PathBuf {
    assert_eq!(version.len(), 5);
    let mut bytes = std::fs::read(fixture("hello-plugin")).unwrap();
    // The package record's name and version fields: each a u32 length and
    // the bytes.
    let field = |s: &str| {
        let mut f = (s.len() as u32).to_le_bytes().to_vec();
        f.extend_from_slice(s.as_bytes());
        f
    };
    let mut needle = field("hello-plugin");
    needle.extend(field("0.0.0"));
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("hello-plugin's package record");
    let version_at = at + needle.len() - 5;
    bytes[version_at..version_at + 5].copy_from_slice(version.as_bytes());
    let to = dir.join(lib(name));
    std::fs::write(&to, bytes).unwrap();
    to
}

#[test]
fn entries_name_their_package_and_newest_keeps_the_highest_version() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = hello_at_version(d, "a-hello-old", "0.9.1");
    let new = hello_at_version(d, "b-hello-new", "1.2.0");
    let pre = hello_at_version(d, "c-hello-pre", "9.x.y");
    let loud = put(d, "loud-plugin", "d-loud");
    let catalog = Catalog::scan(d).unwrap();
    // `9.x.y` is no version at all: still listed.
    let all = catalog.find::<dyn Greeter>();
    assert_eq!(
        paths(all.iter().map(|e| e.path())),
        [old.clone(), new.clone(), pre.clone(), loud.clone()]
    );
    let versions: Vec<&str> = all
        .iter()
        .map(|e| e.package().unwrap().version.as_str())
        .collect();
    assert_eq!(versions, ["0.9.1", "1.2.0", "9.x.y", "0.0.0"]);
    assert_eq!(all[3].package().unwrap().license, "MIT OR Apache-2.0");

    // One entry per package: 1.2.0 beats 0.9.1, and `9.x.y`, which is no
    // version (though it would sort last as text).
    let newest = catalog.newest::<dyn Greeter>();
    assert_eq!(
        paths(newest.iter().map(|e| e.path())),
        [new.clone(), loud.clone()]
    );
    let plugin: GreeterPlugin = newest[0].load().unwrap();
    assert_eq!(plugin.package().version, "1.2.0");
}

/// A folder large enough to be read on several threads keeps the order and
/// sorts every file as a small one does.
#[test]
fn a_large_folder_is_sorted_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut plugins = Vec::new();
    let mut broken = Vec::new();
    for i in 0..60 {
        if i % 7 == 3 {
            let path = dir.path().join(lib(&format!("p{i:02}")));
            std::fs::write(&path, format!("not a library {i}")).unwrap();
            broken.push(path);
        } else {
            plugins.push(put(dir.path(), "hello-plugin", &format!("p{i:02}")));
        }
    }
    let catalog = Catalog::scan(dir.path()).unwrap();
    assert_eq!(
        paths(catalog.find::<dyn Greeter>().iter().map(|e| e.path())),
        plugins
    );
    assert_eq!(paths(catalog.problems().iter().map(Error::path)), broken);
}

/// Whatever sits in the folder under the library suffix is read or named
/// as a problem, without blocking: a named pipe, a socket, a device, a
/// symbolic link in a loop or to nothing; and a plugin whose file name is
/// not UTF-8 (a Unix name may be any bytes) is read like any other.
#[cfg(unix)]
#[test]
fn odd_entries_are_problems_and_a_name_that_is_not_utf8_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join(lib("a-fifo"));
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let socket = d.join(lib("b-socket"));
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let device = d.join(lib("c-device"));
    std::os::unix::fs::symlink("/dev/zero", &device).unwrap();
    let looped = d.join(lib("d-loop"));
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let dangling = d.join(lib("e-dangling"));
    std::os::unix::fs::symlink(d.join("nothing"), &dangling).unwrap();
    let mut name = b"f-\xff".to_vec();
    name.extend_from_slice(DLL_SUFFIX.as_bytes());
    let not_utf8 = d.join(std::ffi::OsStr::from_bytes(&name));
    std::fs::copy(fixture("hello-plugin"), &not_utf8).unwrap();

    let catalog = Catalog::scan(d).unwrap();
    assert_eq!(
        paths(catalog.problems().iter().map(Error::path)),
        [fifo, socket, device, looped, dangling],
        "{:#?}",
        catalog.problems()
    );
    assert_eq!(
        paths(catalog.find::<dyn Greeter>().iter().map(|e| e.path())),
        [not_utf8]
    );
}

/// Copies fixture `fixture_name` (package `package`) into `dir` as `name`,
/// its package record rewritten with every field empty, as a plugin not
/// built by Cargo has it.
fn without_package_name(dir: &Path, fixture_name: &str, package: &str, name: &str) -> PathBuf {
    let mut bytes = std::fs::read(fixture(fixture_name)).unwrap();
    let mut needle = (package.len() as u32).to_le_bytes().to_vec();
    needle.extend_from_slice(package.as_bytes());
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the package record")
        - 20;
    assert_eq!(&bytes[at..at + 8], b"DYNPLUG\0");
    // The header (magic, format, ABI) kept, the total length 40: the
    // header's 20 bytes and five empty fields.
    bytes[at + 16..at + 20].copy_from_slice(&40u32.to_le_bytes());
    bytes[at + 20..at + 40].fill(0);
    let to = dir.join(lib(name));
    std::fs::write(&to, bytes).unwrap();
    to
}

/// Exports whose package record names no package are each their own for
/// `newest`, as exports without a record are: two unrelated plugins built
/// outside Cargo are not two versions of one package.
#[test]
fn newest_keeps_every_export_of_no_named_package() {
    let dir = tempfile::tempdir().unwrap();
    let hello = without_package_name(dir.path(), "hello-plugin", "hello-plugin", "a-hello");
    let loud = without_package_name(dir.path(), "loud-plugin", "loud-plugin", "b-loud");
    let catalog = Catalog::scan(dir.path()).unwrap();
    assert!(catalog.problems().is_empty(), "{:?}", catalog.problems());
    let all = catalog.find::<dyn Greeter>();
    assert_eq!(all.len(), 2);
    for entry in &all {
        assert_eq!(entry.package().unwrap().name, "", "{entry:?}");
    }
    let newest = catalog.newest::<dyn Greeter>();
    assert_eq!(paths(newest.iter().map(|e| e.path())), [hello, loud]);
}

#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_scan_lists_a_file_with_bad_relocations_and_its_load_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let good = put(dir.path(), "hello-plugin", "a-hello");
    let bad = dir.path().join(lib("b-bad-relocation"));
    dynplug_tests::with_a_bad_relocation(&fixture("hello-plugin"), &bad);
    let why = "has type 99, not a dynamic relocation type";

    // A scan reads what listing takes: the file is listed, as the host's
    // Greeter, and its load runs the full pre-flight, which refuses it
    // before `dlopen` with the reason `inspect` gives.
    let catalog = Catalog::scan(dir.path()).unwrap();
    assert!(catalog.problems().is_empty(), "{:?}", catalog.problems());
    let entries = catalog.find::<dyn Greeter>();
    assert_eq!(paths(entries.iter().map(|e| e.path())), [good, bad.clone()]);
    let Err(Error::InvalidLibrary { path, reason }) = entries[1].load::<GreeterPlugin>() else {
        panic!("the entry of a file with a bad relocation loaded, or failed otherwise");
    };
    assert_eq!(path, bad);
    assert!(reason.contains(why), "{reason}");
    let Err(Error::InvalidLibrary {
        reason: inspected, ..
    }) = dynplug::inspect(&bad)
    else {
        panic!("inspect accepted a file with a bad relocation");
    };
    assert_eq!(reason, inspected);
    let plugin: GreeterPlugin = entries[0].load().unwrap();
    assert!(plugin.greet("you").ends_with(", you!"));

    // A thorough scan runs every check: the file is a problem, saying why.
    let options = ScanOptions::new().thorough(true);
    let thorough = Catalog::scan_with(dir.path(), &options).unwrap();
    assert_eq!(thorough.libraries().count(), 1);
    assert_eq!(thorough.find::<dyn Greeter>().len(), 1);
    let problems = thorough.problems();
    assert_eq!(paths(problems.iter().map(Error::path)), [bad]);
    assert!(problems[0].to_string().contains(why), "{}", problems[0]);
}

#[test]
fn a_thorough_scan_lists_the_same_plugins() {
    let f = folder();
    let quick = Catalog::scan(f.dir.path()).unwrap();
    let options = ScanOptions::new().thorough(true);
    let thorough = Catalog::scan_with(f.dir.path(), &options).unwrap();
    assert_eq!(format!("{quick:?}"), format!("{thorough:?}"));
}

#[test]
fn a_recursive_scan_lists_in_path_order_whatever_the_names() {
    // Path order compares component by component: `m/x` comes before
    // `m-1/y` and `m.so`, though `/` sorts after `-` and `.` as a byte.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("m")).unwrap();
    std::fs::create_dir(d.join("m-1")).unwrap();
    let mut expected = vec![
        put(d, "hello-plugin", "m0"),
        put(&d.join("m-1"), "hello-plugin", "y"),
        put(d, "hello-plugin", "m"),
        put(&d.join("m"), "hello-plugin", "x"),
        put(d, "hello-plugin", "a"),
    ];
    expected.sort();
    assert_eq!(expected[1], d.join("m").join(lib("x")), "{expected:?}");
    let catalog = Catalog::scan_recursive(d).unwrap();
    assert_eq!(
        paths(catalog.libraries().map(|l| l.path.as_path())),
        expected
    );
}
