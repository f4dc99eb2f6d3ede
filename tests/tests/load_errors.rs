//! Every bad file gets a clear error that names it; none crashes.

use dynplug::__private::rules::ABI_VERSION;
use std::error::Error as _;
use std::path::Path;

use dynplug::Error;
use dynplug_tests::{fixture, libm};
use fixture_api::{GreeterPlugin, TypesLoader};

fn load_err(path: &Path) -> Error {
    match GreeterPlugin::load(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(err) => {
            let text = err.to_string();
            assert!(
                text.contains(&*path.to_string_lossy()),
                "message does not name the file: {text}"
            );
            assert_eq!(err.path(), path);
            err
        }
    }
}

#[test]
fn a_missing_file_is_open_with_the_os_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowhere.so");
    let err = load_err(&path);
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    let source = err.source().expect("the OS text is the source").to_string();
    #[cfg(unix)]
    assert!(source.contains("No such file"), "{source}");
    #[cfg(windows)]
    assert!(source.contains("(os error 2)"), "{source}");
    assert!(
        err.to_string()
            .ends_with("nowhere.so: cannot open the library: no such file"),
        "{err}"
    );
}

/// A bare file name is opened in the current folder only; not found, the
/// message says that nothing searched for it, and how to find plugins.
#[test]
fn a_bare_name_says_it_is_not_searched_for() {
    let name = libloading::library_filename("hello_plugin");
    let path = Path::new(&name);
    assert!(
        !path.exists(),
        "{} is in the current folder",
        path.display()
    );
    let err = load_err(path);
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    let text = err.to_string();
    for needle in [
        "no such file in the current folder",
        "never searched for",
        "Catalog::scan",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

/// A crate built as an `rlib` (a static archive) is named as one, with the
/// `crate-type` a plugin needs.
#[test]
fn a_static_archive_says_the_plugin_needs_crate_type_cdylib() {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let rlib = std::fs::read_dir(&deps)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("libfixture_api-") && name.ends_with(".rlib")
        })
        .expect("fixture-api's rlib beside this test");
    let err = load_err(&rlib);
    assert!(matches!(err, Error::InvalidLibrary { .. }), "{err:?}");
    let text = err.to_string();
    for needle in ["static archive", "`.rlib`", r#"crate-type = ["cdylib"]"#] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

// Unix: a file name has at most 255 bytes. Windows takes long names and
// paths where the system allows them, and says "not found" where not.
#[cfg(unix)]
#[test]
fn a_name_too_long_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("lib{}.so", "x".repeat(300)));
    let err = load_err(&path);
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert!(
        err.to_string()
            .ends_with(": cannot open the library: the path is too long"),
        "{err}"
    );
}

#[test]
fn a_directory_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_err(dir.path());
    assert!(
        matches!(&err, Error::InvalidLibrary { reason, .. } if reason.contains("directory")),
        "{err:?}"
    );
}

#[test]
fn an_empty_file_and_a_text_file_are_invalid_libraries() {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents, why) in [
        ("empty.so", &b""[..], "empty"),
        (
            "notes.so",
            b"just some text\n",
            dynplug_tests::NOT_A_LIBRARY,
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let err = load_err(&path);
        assert!(
            matches!(&err, Error::InvalidLibrary { reason, .. } if reason.contains(why)),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn a_system_library_is_not_a_plugin() {
    let path = libm();
    let err = load_err(&path);
    match &err {
        Error::NotAPlugin { interface, .. } => assert_eq!(interface, "Greeter"),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("not a plugin for interface `Greeter`"),
        "{err}"
    );
}

#[test]
fn another_interfaces_plugin_is_not_a_plugin_for_this_one() {
    let path = fixture("types-plugin");
    let err = load_err(&path);
    assert!(matches!(err, Error::NotAPlugin { .. }), "{err:?}");
    // ...and it is one for its own interface.
    TypesLoader::load(&path).unwrap();
}

#[test]
fn a_plugin_of_another_interface_version_is_refused_with_every_difference() {
    let path = fixture("old-plugin");
    let err = load_err(&path);
    let Error::InterfaceMismatch {
        interface,
        differences,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(interface, "Greeter");
    let by_name = |name: &str| {
        differences
            .iter()
            .find(|d| d.method == name)
            .unwrap_or_else(|| panic!("no difference for {name}: {differences:?}"))
    };
    let add = by_name("add");
    assert_eq!(
        add.host.as_deref(),
        Some("fn add(&self, a: i32, b: i32) -> i32")
    );
    assert_eq!(
        add.plugin.as_deref(),
        Some("fn add(&self, a: i64, b: i64) -> i64")
    );
    let bump = by_name("bump");
    assert_eq!(bump.host.as_deref(), Some("fn bump(&mut self) -> u64"));
    assert_eq!(bump.plugin, None);
    let farewell = by_name("farewell");
    assert_eq!(farewell.host, None);
    assert_eq!(
        farewell.plugin.as_deref(),
        Some("fn farewell(&self, name: &str) -> String")
    );
    let supertraits = by_name(dynplug::MethodDifference::SUPERTRAITS);
    assert_eq!(supertraits.host.as_deref(), Some("Send + Sync"));
    assert_eq!(supertraits.plugin.as_deref(), Some("neither Send nor Sync"));
    assert_eq!(differences.len(), 4, "{differences:?}");
    // The message shows both signatures.
    let text = err.to_string();
    assert!(
        text.contains("fn add(&self, a: i32, b: i32) -> i32"),
        "{text}"
    );
    assert!(
        text.contains("fn add(&self, a: i64, b: i64) -> i64"),
        "{text}"
    );
}

#[test]
fn every_missing_method_is_listed() {
    let path = fixture("missing-plugin");
    let err = load_err(&path);
    let Error::MissingSymbols { missing, .. } = &err else {
        panic!("{err:?}");
    };
    let expected = ["greet", "bump", "fail", "drops", "hits"];
    assert_eq!(
        missing, &expected,
        "all required methods but `add`; not the optional `shout`"
    );
    assert!(
        err.to_string()
            .contains("`Greeter` lacks 5 function(s): greet, bump, fail, drops, hits"),
        "{err}"
    );
}

#[test]
fn a_panicking_constructor_is_an_init_error() {
    let path = fixture("ctor-panic-plugin");
    let err = load_err(&path);
    let Error::Init { message, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(message, "no configuration found for Broken");
    assert!(
        err.to_string()
            .contains("no configuration found for Broken")
    );
}

#[test]
fn another_dynplug_abi_version_is_an_abi_mismatch_with_both_versions() {
    let path = fixture("bad-meta-plugin");
    let err = load_err(&path);
    assert!(
        matches!(
            err,
            Error::AbiMismatch {
                host: ABI_VERSION,
                plugin: 99,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("version 99") && text.contains(&format!("version {ABI_VERSION}")),
        "{text}"
    );
}

#[test]
fn malformed_metadata_is_an_invalid_library() {
    let path = fixture("bad-meta-plugin");
    let err = TypesLoader::load(&path).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidLibrary { reason, .. } if reason.contains("magic")),
        "{err:?}"
    );
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
}
