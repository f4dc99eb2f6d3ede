//! Instances are dropped inside the plugin, once; libraries stay mapped
//! unless asked otherwise; `close` unloads or says who still holds it.

use dynplug::{Error, LoadOptions};
use dynplug_tests::{is_mapped, isolated};
use fixture_api::{Greeter, GreeterPlugin};

#[test]
fn dropping_a_loader_drops_its_instance_once() {
    let (_dir, path) = isolated("hello-plugin");
    let witness = GreeterPlugin::load(&path).unwrap();
    assert_eq!(witness.drops(), 0);
    for expected in 1..=3 {
        let other = GreeterPlugin::load(&path).unwrap();
        assert_eq!(other.greet("x"), "Hello, x!");
        drop(other);
        assert_eq!(witness.drops(), expected);
    }
}

#[test]
fn by_default_the_library_stays_mapped() {
    let (_dir, path) = isolated("hello-plugin");
    let plugin = GreeterPlugin::load(&path).unwrap();
    assert!(is_mapped(&path));
    drop(plugin);
    assert!(is_mapped(&path), "stays mapped after the last loader");
    // Loading it again works and shares the still-mapped library.
    let again = GreeterPlugin::load(&path).unwrap();
    assert_eq!(again.drops(), 1);
}

#[test]
fn close_unloads_the_library() {
    let (_dir, path) = isolated("hello-plugin");
    let plugin = GreeterPlugin::load(&path).unwrap();
    assert!(is_mapped(&path));
    plugin.close().unwrap();
    assert!(!is_mapped(&path), "unmapped after close");
    // And it can be loaded again, fresh.
    let again = GreeterPlugin::load(&path).unwrap();
    assert_eq!(again.drops(), 0, "statics start over after an unload");
}

#[test]
fn close_while_another_loader_holds_the_library_is_in_use() {
    let (_dir, path) = isolated("hello-plugin");
    let keeper = GreeterPlugin::load(&path).unwrap();
    let closer = GreeterPlugin::load(&path).unwrap();
    let err = closer.close().unwrap_err();
    assert!(matches!(err, Error::InUse { others: 1, .. }), "{err:?}");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    assert_eq!(
        keeper.drops(),
        1,
        "the closing loader's instance was dropped"
    );
    assert!(is_mapped(&path));
    keeper.close().unwrap();
    assert!(!is_mapped(&path));
}

#[test]
fn unload_when_unused_unloads_with_the_last_loader() {
    let (_dir, path) = isolated("hello-plugin");
    let options = LoadOptions::new().unload_when_unused(true);
    let a = GreeterPlugin::load_with(&path, &options).unwrap();
    let b = GreeterPlugin::load_with(&path, &options).unwrap();
    drop(a);
    assert!(is_mapped(&path), "b still holds it");
    drop(b);
    assert!(!is_mapped(&path));
}

#[test]
fn one_loader_that_wants_it_kept_keeps_it() {
    let (_dir, path) = isolated("hello-plugin");
    let a = GreeterPlugin::load_with(&path, &LoadOptions::new().unload_when_unused(true)).unwrap();
    let b = GreeterPlugin::load(&path).unwrap();
    drop(a);
    drop(b);
    assert!(is_mapped(&path));
}

#[test]
fn a_leaked_loader_keeps_the_library_in_use() {
    let (_dir, path) = isolated("hello-plugin");
    let leaked = GreeterPlugin::load(&path).unwrap().leak();
    let other = GreeterPlugin::load(&path).unwrap();
    assert!(matches!(other.close(), Err(Error::InUse { .. })));
    assert_eq!(leaked.greet("still"), "Hello, still!");
}

#[test]
fn a_file_rebuilt_at_the_same_path_loads_as_the_new_file() {
    // The old library stays mapped (the default); the dynamic loader would
    // hand back the old code for the same name. A new file at that path
    // (a rebuild: written elsewhere, renamed over) must load as itself.
    let (dir, path) = isolated("hello-plugin");
    let old = GreeterPlugin::load(&path).unwrap();
    assert_eq!(old.greet("x"), "Hello, x!");
    let staged = dir.path().join("staged.so");
    std::fs::copy(dynplug_tests::fixture("loud-plugin"), &staged).unwrap();
    std::fs::rename(&staged, &path).unwrap();
    let new = GreeterPlugin::load(&path).unwrap();
    assert_eq!(new.greet("x"), "HEY, x!", "the new file's code");
    assert_eq!(
        old.greet("y"),
        "Hello, y!",
        "the old loader keeps the old code"
    );
    // And the old file's generation, when loaded again, is still the new one.
    let again = GreeterPlugin::load(&path).unwrap();
    assert_eq!(again.greet("z"), "HEY, z!");
}
