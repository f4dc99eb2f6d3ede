//! Attempts to break the promises of loading and unloading: safe code
//! never unmaps a library, never gets old code for a new file, never
//! crashes, and `close()` and the errors say truthfully what happened.

use dynplug_tests::fixture;
use fixture_api::{Greeter, GreeterPlugin, Linger, LingerPlugin};
use std::path::{Path, PathBuf};

/// Renames a fresh copy of fixture `name` over `path`: a new file (inode)
/// at the same path, as a build writes it.
fn replace_with(name: &str, path: &Path) {
    let staged = path.with_extension("staged");
    std::fs::copy(fixture(name), &staged).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

/// `dir/<spelling>/<file>`, built as a string so that the spelling stays.
fn spelled(dir: &Path, spelling: &str, file: &str) -> PathBuf {
    PathBuf::from(format!("{}/{spelling}{file}", dir.display()))
}

#[test]
fn one_path_spelled_two_ways_still_gets_the_new_file() {
    // `dir/./libp.so` and `dir/libp.so` are one path. Load the first file
    // by the first spelling, rebuild it, load it by the second: the new
    // file's code must answer, not the old one's.
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("libspelled.so");
    replace_with("hello-plugin", &plain);
    let old = GreeterPlugin::load(spelled(dir.path(), "./", "libspelled.so")).unwrap();
    assert_eq!(old.greet("x"), "Hello, x!");
    replace_with("loud-plugin", &plain);
    let new = GreeterPlugin::load(&plain).unwrap();
    assert_eq!(new.greet("x"), "HEY, x!", "the new file's code");
}

#[test]
fn one_path_spelled_many_ways_always_gets_the_new_file() {
    // Every file renamed over the path, loaded by one of many spellings of
    // it (kept mapped, the default), must be a library of its own: no
    // spelling may name an older generation to the dynamic loader.
    // Spellings with `.` components first, then plain ones: a plain
    // spelling's later generation names must not meet an earlier one's.
    let dotted = ["./", ".//", "././", "././/"];
    let plain_ones = ["", "//"];
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("libmany.so");
    let mut kept: Vec<LingerPlugin> = Vec::new();
    for round in 0..80 {
        replace_with("linger-plugin", &plain);
        let spelling = if round < 40 {
            dotted[round % dotted.len()]
        } else {
            plain_ones[round % plain_ones.len()]
        };
        let path = spelled(dir.path(), spelling, "libmany.so");
        let plugin = LingerPlugin::load(&path).unwrap();
        let address = plugin.static_address();
        if let Some(old) = kept.iter().position(|p| p.static_address() == address) {
            panic!(
                "round {round}: {} was served generation {old}'s library",
                path.display()
            );
        }
        kept.push(plugin);
    }
}
