//! A library whose dependency the dynamic loader cannot find fails at
//! `load` (it is opened with `RTLD_NOW`; on Windows every import is bound
//! at load), with the loader's message. (macOS's words are not checked.)

#![cfg(any(target_os = "linux", windows))]

use std::error::Error as _;

use dynplug::Error;
use dynplug_tests::fixture;
use fixture_api::GreeterPlugin;

#[test]
fn a_missing_dependency_is_open_naming_the_file_and_the_dependency() {
    // `missing-dep-plugin` needs `libdynplug_gone.so` (`dynplug_gone.dll`),
    // left in its build script's OUT_DIR, where the loader does not look.
    let path = fixture("missing-dep-plugin");
    let err = match GreeterPlugin::load(&path) {
        Ok(_) => panic!("{} loaded without its dependency", path.display()),
        Err(err) => err,
    };
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert_eq!(err.path(), path);
    let text = err.to_string();
    assert!(
        text.contains(&*path.to_string_lossy()),
        "message does not name the file: {text}"
    );
    let source = err
        .source()
        .expect("the loader's text is the source")
        .to_string();
    if cfg!(windows) {
        // Windows does not say which DLL is missing.
        assert!(source.contains("(os error 126)"), "{source}");
        assert!(
            text.contains("it needs a DLL that cannot be found"),
            "the message itself says why: {text}"
        );
    } else {
        assert!(
            source.contains("libdynplug_gone.so"),
            "the loader's text does not name the dependency: {source}"
        );
        assert!(
            text.contains("it needs `libdynplug_gone.so`, which cannot be found"),
            "the message itself says why: {text}"
        );
    }
}
