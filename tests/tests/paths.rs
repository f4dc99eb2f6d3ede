//! A path is a path: never searched for. In its own test binary because it
//! changes the current folder.

use dynplug_tests::fixture;
use fixture_api::{Greeter, GreeterPlugin};

#[test]
fn a_relative_path_is_not_searched() {
    // A bare file name that exists in the current folder is loaded from
    // there, as a path; a bare name that does not exist there is an error
    // even though the loader could find one like it on the system.
    let dir = tempfile::tempdir().unwrap();
    let previous = std::env::current_dir().unwrap();
    std::fs::copy(fixture("hello-plugin"), dir.path().join("libgreeter.so")).unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let found = GreeterPlugin::load("libgreeter.so").map(|p| p.greet("cwd"));
    let not_searched = GreeterPlugin::load("libm.so.6");
    std::env::set_current_dir(previous).unwrap();
    assert_eq!(found.unwrap(), "Hello, cwd!");
    assert!(
        matches!(not_searched, Err(dynplug::Error::Open { .. })),
        "{not_searched:?}"
    );
}
