//! Instances are dropped inside the plugin, once; safe code never unmaps a
//! library; with the `unsafe` opt-in, `close` unloads and says truthfully
//! what the system did.

use dynplug::{Closed, Error, LoadOptions};
use dynplug_tests::{child_case, is_mapped, isolated, run_in_child};
use fixture_api::{Greeter, GreeterPlugin, Linger, LingerPlugin};

/// Unloading allowed: sound for the fixtures used with it here, which
/// leave nothing behind unless a test makes them.
fn unloading() -> LoadOptions {
    // SAFETY: the hello fixture starts no thread and registers nothing;
    // the tests that make the linger fixture leave something behind say so.
    unsafe { LoadOptions::new().unload_when_unused(true) }
}

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
fn close_drops_the_instance_and_keeps_the_library_by_default() {
    let (_dir, path) = isolated("hello-plugin");
    let plugin = GreeterPlugin::load(&path).unwrap();
    assert_eq!(plugin.close().unwrap(), Closed::KeptMapped);
    assert!(is_mapped(&path), "safe code never unmaps");
    let again = GreeterPlugin::load(&path).unwrap();
    assert_eq!(
        again.drops(),
        1,
        "the instance was dropped; statics live on"
    );
}

#[test]
fn close_unloads_the_library_when_allowed() {
    let (_dir, path) = isolated("hello-plugin");
    let plugin = GreeterPlugin::load_with(&path, &unloading()).unwrap();
    assert!(is_mapped(&path));
    assert_eq!(plugin.close().unwrap(), Closed::Unloaded);
    assert!(!is_mapped(&path), "unmapped after close");
    // And it can be loaded again, fresh.
    let again = GreeterPlugin::load(&path).unwrap();
    assert_eq!(again.drops(), 0, "statics start over after an unload");
}

#[test]
fn close_while_another_loader_holds_the_library_is_in_use() {
    let (_dir, path) = isolated("hello-plugin");
    let keeper = GreeterPlugin::load_with(&path, &unloading()).unwrap();
    let closer = GreeterPlugin::load_with(&path, &unloading()).unwrap();
    let err = closer.close().unwrap_err();
    assert!(matches!(err, Error::InUse { others: 1, .. }), "{err:?}");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    assert_eq!(
        keeper.drops(),
        1,
        "the closing loader's instance was dropped"
    );
    assert!(is_mapped(&path));
    assert_eq!(keeper.close().unwrap(), Closed::Unloaded);
    assert!(!is_mapped(&path));
}

#[test]
fn unload_when_unused_unloads_with_the_last_loader() {
    let (_dir, path) = isolated("hello-plugin");
    let a = GreeterPlugin::load_with(&path, &unloading()).unwrap();
    let b = GreeterPlugin::load_with(&path, &unloading()).unwrap();
    drop(a);
    assert!(is_mapped(&path), "b still holds it");
    drop(b);
    assert!(!is_mapped(&path));
}

#[test]
fn one_loader_that_wants_it_kept_keeps_it() {
    let (_dir, path) = isolated("hello-plugin");
    let a = GreeterPlugin::load_with(&path, &unloading()).unwrap();
    let b = GreeterPlugin::load(&path).unwrap();
    drop(a);
    assert_eq!(b.close().unwrap(), Closed::KeptMapped);
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

/// Waits until the plugin's thread has run `more` rounds past `from`, for
/// at most two seconds.
fn wait_for_rounds(plugin: &LingerPlugin, from: u64, more: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let now = plugin.rounds();
        if now >= from + more || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_thread_the_plugin_left_running_survives_close() {
    // A plain C thread of the plugin's, still running when its last loader
    // is closed: safe code keeps the library mapped, so it runs on.
    if child_case().is_some() {
        let (_dir, path) = isolated("linger-plugin");
        let plugin = LingerPlugin::load(&path).unwrap();
        assert!(plugin.start_thread());
        let before = wait_for_rounds(&plugin, 0, 5);
        assert_eq!(plugin.close().unwrap(), Closed::KeptMapped);
        std::thread::sleep(std::time::Duration::from_millis(100));
        let again = LingerPlugin::load(&path).unwrap();
        let after = wait_for_rounds(&again, before, 20);
        assert!(
            after >= before + 20,
            "the thread runs on: {before} -> {after}"
        );
        return;
    }
    let out = run_in_child("a_thread_the_plugin_left_running_survives_close", "run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
}

#[test]
fn unloading_under_a_running_thread_crashes_which_is_why_it_is_unsafe() {
    // The same plugin with unloading allowed breaks the promise the
    // `unsafe` opt-in asks for: the library goes, its thread's code with
    // it, and the process dies. This is what safe code can no longer do.
    if child_case().is_some() {
        let (_dir, path) = isolated("linger-plugin");
        // SAFETY: deliberately broken: the plugin's thread outlives it.
        let options = unsafe { LoadOptions::new().unload_when_unused(true) };
        let plugin = LingerPlugin::load_with(&path, &options).unwrap();
        assert!(plugin.start_thread());
        wait_for_rounds(&plugin, 0, 5);
        let closed = plugin.close().unwrap();
        // One write: the line is there whole or not at all.
        let line = format!("closed: {closed:?}\n");
        std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        return;
    }
    let out = run_in_child(
        "unloading_under_a_running_thread_crashes_which_is_why_it_is_unsafe",
        "run",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The plugin's thread may crash before `close`'s result is printed (it
    // runs on as soon as its code is unmapped; seen on a loaded machine):
    // the crash says the library went, and a printed result must say so.
    assert!(
        stderr.contains("closed: Unloaded") || !stderr.contains("closed:"),
        "{stderr}"
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(11), "{:?}\n{stderr}", out.status);
}

#[test]
fn close_says_when_the_system_keeps_the_library_mapped() {
    // glibc keeps a library mapped while one of its thread-local
    // destructors is registered on a living thread: unloading was asked
    // for and accepted, but the library is still there, and `close` says so.
    let (_dir, path) = isolated("linger-plugin");
    let plugin = LingerPlugin::load_with(&path, &unloading()).unwrap();
    assert_eq!(plugin.touch_thread_local(), 1);
    assert_eq!(plugin.close().unwrap(), Closed::StillMapped);
    assert!(is_mapped(&path));
}
