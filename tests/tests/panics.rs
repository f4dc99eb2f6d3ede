//! A panic in a plugin method reaches the host as an ordinary panic.

use std::panic::{AssertUnwindSafe, catch_unwind};

use dynplug_tests::{child_case, fixture, run_in_child};
use fixture_api::{Greeter, GreeterPlugin};

#[test]
fn a_plugin_panic_is_a_host_panic_with_a_string_payload() {
    let plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
    let payload =
        catch_unwind(AssertUnwindSafe(|| plugin.fail("the disk is on fire"))).unwrap_err();
    let text = payload
        .downcast_ref::<String>()
        .expect("the payload is a String");
    assert!(text.contains("the disk is on fire"), "{text}");
    assert!(text.contains("Greeter::fail"), "{text}");
    assert!(text.contains("libhello_plugin"), "{text}");
}

#[test]
fn the_plugin_is_usable_after_a_panic() {
    let mut plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
    for round in 1..=3 {
        let caught = catch_unwind(AssertUnwindSafe(|| plugin.fail(&format!("round {round}"))));
        let text = caught.unwrap_err().downcast::<String>().unwrap();
        assert!(text.contains(&format!("round {round}")), "{text}");
        assert_eq!(plugin.bump(), round);
        assert_eq!(plugin.greet("again"), "Hello, again!");
    }
}

#[test]
fn panics_on_many_threads_keep_their_own_messages() {
    let plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let plugin = &plugin;
            s.spawn(move || {
                for i in 0..10 {
                    let message = format!("thread {t} call {i}");
                    let caught = catch_unwind(AssertUnwindSafe(|| plugin.fail(&message)));
                    let text = caught.unwrap_err().downcast::<String>().unwrap();
                    assert!(text.ends_with(&message), "{text}");
                }
            });
        }
    });
}

#[test]
fn an_uncaught_plugin_panic_ends_the_host_as_a_panic_not_an_abort() {
    if child_case().is_some() {
        let plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
        plugin.fail("nobody catches this");
        unreachable!();
    }
    let out = run_in_child(
        "an_uncaught_plugin_panic_ends_the_host_as_a_panic_not_an_abort",
        "panic",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The test harness reports a panicking test as failed (exit 101); an
    // abort would be a signal with no exit code.
    assert_eq!(out.status.code(), Some(101), "{:?}\n{stderr}", out.status);
    assert!(stderr.contains("nobody catches this"), "{stderr}");
    assert!(stderr.contains("Greeter::fail"), "{stderr}");
}
