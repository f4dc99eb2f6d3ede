//! Loading a plugin and calling it through the trait.

use std::sync::Arc;

use dynplug_tests::fixture;
use fixture_api::{Greeter, GreeterPlugin};

#[test]
fn calls_forward_to_the_plugin() {
    let plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
    assert_eq!(plugin.greet("world"), "Hello, world!");
    assert_eq!(plugin.greet(""), "Hello, !");
    assert_eq!(plugin.add(2, 3), 5);
    assert_eq!(plugin.add(i32::MAX, 1), i32::MIN);
    assert_eq!(plugin.fail(""), 7);
}

#[test]
fn mut_self_methods_change_this_instance_only() {
    let mut a = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
    let mut b = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
    assert_eq!(a.bump(), 1);
    assert_eq!(a.bump(), 2);
    assert_eq!(b.bump(), 1, "each loader has its own instance");
    assert_eq!(a.bump(), 3);
}

#[test]
fn two_loaders_of_one_file_share_the_library_whatever_the_path() {
    // Through a symbolic link (on Windows, where making one needs a
    // privilege, a hard link), the same file: the second loader shares the
    // first one's library (so closing it says the other still holds it),
    // and each has its own instance.
    let (dir, path) = dynplug_tests::isolated("hello-plugin");
    let link = dir
        .path()
        .join(format!("link-to-plugin{}", std::env::consts::DLL_SUFFIX));
    #[cfg(unix)]
    std::os::unix::fs::symlink(&path, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::hard_link(&path, &link).unwrap();
    let mut a = GreeterPlugin::load(&path).unwrap();
    let mut b = GreeterPlugin::load(&link).unwrap();
    assert_eq!(a.bump(), 1);
    assert_eq!(b.bump(), 1, "its own instance");
    let err = b.close().unwrap_err();
    assert!(
        matches!(err, dynplug::Error::InUse { others: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        a.drops(),
        1,
        "b's instance was dropped in the shared library"
    );
    a.close().unwrap();
}

/// A loader's `Debug` names its own type, the interface and the file.
#[test]
fn a_loader_debugs_as_its_own_type() {
    let path = fixture("hello-plugin");
    let plugin = GreeterPlugin::load(&path).unwrap();
    let text = format!("{plugin:?}");
    assert!(text.starts_with("GreeterPlugin {"), "{text}");
    assert!(text.contains("interface: \"Greeter\""), "{text}");
    assert!(text.contains(&format!("{:?}", path)), "{text}");
}

#[test]
fn the_path_is_the_one_given() {
    let path = fixture("hello-plugin");
    let plugin = GreeterPlugin::load(&path).unwrap();
    assert_eq!(plugin.path(), path);
    let debug = format!("{plugin:?}");
    assert!(debug.contains("Greeter"), "{debug}");
    assert!(debug.contains("hello_plugin"), "{debug}");
}

#[test]
fn a_send_sync_plugin_serves_many_threads_at_once() {
    let plugin = Arc::new(GreeterPlugin::load(fixture("hello-plugin")).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let plugin = Arc::clone(&plugin);
            std::thread::spawn(move || {
                for i in 0..500 {
                    assert_eq!(plugin.add(t, i), t + i);
                    assert_eq!(
                        plugin.greet(&format!("{t}-{i}")),
                        format!("Hello, {t}-{i}!")
                    );
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(plugin.hits(), 8 * 500);
}

#[test]
fn leak_gives_a_static_plugin() {
    let plugin: &'static GreeterPlugin =
        GreeterPlugin::load(fixture("hello-plugin")).unwrap().leak();
    let handle = std::thread::spawn(move || plugin.greet("static"));
    assert_eq!(handle.join().unwrap(), "Hello, static!");
}

#[test]
fn loaders_are_send_and_sync_exactly_when_the_trait_is() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<GreeterPlugin>();
    // `Types` has no supertraits: its loader is neither. Checked at compile
    // time by a UI test (tests/ui/loader/not_send.rs).
}
