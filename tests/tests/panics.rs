//! A panic in a plugin method reaches the host as an ordinary panic,
//! reported once, by the host; a plugin that would abort instead is refused
//! unless allowed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use dynplug::{Error, LoadOptions};
use dynplug_tests::{child_case, fixture, fixture_file_name, run_in_child};
use fixture_api::{Greeter, GreeterPlugin};
use rich_api::{Rich, RichPlugin};

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
    assert!(text.contains(&fixture_file_name("hello-plugin")), "{text}");
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

/// `file:line:` of the `panic!` in `hello-plugin`'s `fail`, as the plugin's
/// panic location names it (the path as cargo hands it to rustc, relative
/// to the workspace).
fn hello_fail_location() -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hello-plugin/src/lib.rs");
    let text = std::fs::read_to_string(&source).expect("read hello-plugin's source");
    let line = text
        .lines()
        .position(|l| l.contains("panic!(\"{message}\")"))
        .expect("hello-plugin's fail panics")
        + 1;
    format!("tests/fixtures/hello-plugin/src/lib.rs:{line}:")
}

#[test]
fn the_host_panic_names_where_the_plugin_panicked() {
    let plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| plugin.fail("where?"))).unwrap_err();
    let text = payload.downcast::<String>().unwrap();
    let expected = format!(
        "plugin `{}` panicked in method `Greeter::fail` at {}",
        fixture_file_name("hello-plugin"),
        hello_fail_location()
    );
    assert!(text.starts_with(&expected), "{text}\nexpected: {expected}");
    assert!(text.ends_with(": where?"), "{text}");
}

#[test]
fn a_plugin_panic_prints_once_from_the_host_with_library_method_and_location() {
    if child_case().is_some() {
        let plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
        let caught = catch_unwind(AssertUnwindSafe(|| plugin.fail("printed exactly once")));
        assert!(caught.is_err());
        assert_eq!(plugin.greet("after"), "Hello, after!");
        return;
    }
    let out = run_in_child(
        "a_plugin_panic_prints_once_from_the_host_with_library_method_and_location",
        "once",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    assert_eq!(
        stderr.matches("printed exactly once").count(),
        1,
        "{stderr}"
    );
    let line = stderr
        .lines()
        .find(|l| l.contains("printed exactly once"))
        .unwrap();
    for part in [
        &*fixture_file_name("hello-plugin"),
        "`Greeter::fail`",
        &hello_fail_location(),
    ] {
        assert!(line.contains(part), "{part} missing from {line}\n{stderr}");
    }
    // The only report is the host's panic (the one `panic_any` raises in
    // the loader); the plugin's std said nothing.
    assert_eq!(stderr.matches(" panicked at ").count(), 1, "{stderr}");
}

#[test]
fn a_host_panic_hook_silences_plugin_panics_entirely() {
    if child_case().is_some() {
        static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
        std::panic::set_hook(Box::new(|info| {
            let text = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default();
            SEEN.lock().unwrap().push(text);
        }));
        let plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
        let caught = catch_unwind(AssertUnwindSafe(|| plugin.fail("keep this quiet")));
        assert!(caught.is_err());
        // A constructor's panic is an error, never printed.
        let err = GreeterPlugin::load(fixture("ctor-panic-plugin")).unwrap_err();
        let seen = std::mem::take(&mut *SEEN.lock().unwrap());
        let _ = std::panic::take_hook();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].contains("keep this quiet"), "{seen:?}");
        let Error::Init {
            message, location, ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(message, "no configuration found for Broken");
        let location = location.as_deref().unwrap_or_default();
        assert!(
            location.starts_with("tests/fixtures/ctor-panic-plugin/src/lib.rs:"),
            "{location}"
        );
        assert!(err.to_string().contains(location), "{err}");
        return;
    }
    let out = run_in_child("a_host_panic_hook_silences_plugin_panics_entirely", "quiet");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    assert!(!stderr.contains("keep this quiet"), "{stderr}");
    assert!(!stderr.contains("no configuration found"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_panic_in_a_host_callback_prints_once_and_comes_back_as_itself() {
    if child_case().is_some() {
        let rich = RichPlugin::load(fixture("rich-plugin")).unwrap();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            rich.call_n(3, &|i| {
                if i == 1 {
                    panic!("the callback gave up");
                }
            })
        }));
        let payload = caught.unwrap_err();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"the callback gave up")
        );
        return;
    }
    let out = run_in_child(
        "a_panic_in_a_host_callback_prints_once_and_comes_back_as_itself",
        "callback",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    assert_eq!(
        stderr.matches("the callback gave up").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches(" panicked at ").count(), 1, "{stderr}");
}

#[test]
fn a_panic_on_a_plugins_own_thread_still_prints_from_the_plugin() {
    if child_case().is_some() {
        let plugin = GreeterPlugin::load(fixture("thread-panic-plugin")).unwrap();
        assert_eq!(plugin.fail("a worker of the plugin gave up"), 1);
        let caught = catch_unwind(AssertUnwindSafe(|| plugin.greet("the host")));
        assert!(caught.is_err());
        return;
    }
    let out = run_in_child(
        "a_panic_on_a_plugins_own_thread_still_prints_from_the_plugin",
        "thread",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    // The plugin's std reports its own thread's panic (no shim on that
    // stack) ...
    assert_eq!(
        stderr.matches("a worker of the plugin gave up").count(),
        1,
        "{stderr}"
    );
    let worker = stderr
        .lines()
        .find(|l| l.contains("'plugin-worker'"))
        .unwrap_or_else(|| panic!("no report of the worker's panic:\n{stderr}"));
    assert!(
        worker.contains("tests/fixtures/thread-panic-plugin/src/lib.rs:"),
        "{worker}"
    );
    // ... and the method's panic once, from the host.
    assert_eq!(
        stderr.matches("greet panics for the host").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches(" panicked at ").count(), 2, "{stderr}");
}

/// `abort-plugin` compiled with `-C panic=abort`, once per test process,
/// and copied out of the way; its path.
///
/// With [`dynplug_tests::FIXTURE_DIR`] set, it is that folder's (built
/// with `-C panic=abort` by whoever built the folder, as
/// `scripts/ci/compilers.sh` does). Otherwise it is built by cargo in the
/// test's own target directory and profile,
/// as `cargo test` built the other fixtures, so only the fixture's crate is
/// compiled: `cargo rustc` passes `-C panic=abort` to it alone, and rustc
/// lets a `panic = "abort"` library link dependencies compiled to unwind.
/// (Cargo allows no `panic` in a per-package profile, and a profile of its
/// own would compile every dependency again, proc macros included.)
fn abort_plugin() -> PathBuf {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        if std::env::var_os(dynplug_tests::FIXTURE_DIR).is_some() {
            let built = fixture("abort-plugin");
            let copy = dir.path().join(built.file_name().expect("file name"));
            std::fs::copy(&built, &copy).expect("copy abort-plugin");
            return (dir, copy);
        }
        let exe = std::env::current_exe().expect("current_exe");
        // <target>/<profile>/deps/<test binary>, or
        // <target>/<triple>/<profile>/deps/<test binary> when cross-built.
        let profile_dir = exe.parent().and_then(Path::parent).expect("profile folder");
        let mut target_dir = profile_dir.parent().expect("target folder");
        let triple = env!("DYNPLUG_TESTS_TARGET");
        let cross = target_dir.file_name() == Some(std::ffi::OsStr::new(triple));
        if cross {
            target_dir = target_dir.parent().expect("target folder");
        }
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => panic!("unexpected test binary location {}", exe.display()),
        };
        let started = std::time::Instant::now();
        let out = Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "rustc",
                "-p",
                "abort-plugin",
                "--lib",
                "--locked",
                "--offline",
            ])
            .args(["--profile", profile])
            .args(if cross {
                vec!["--target", triple]
            } else {
                vec![]
            })
            .arg("--target-dir")
            .arg(target_dir)
            .args(["--", "-C", "panic=abort"])
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "building abort-plugin failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "abort-plugin built with panic=abort in {:?}",
            started.elapsed()
        );
        let file = format!(
            "{}abort_plugin{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        );
        let copy = dir.path().join(&file);
        std::fs::copy(profile_dir.join(&file), &copy).expect("copy abort-plugin");
        (dir, copy)
    });
    path.clone()
}

// The fixture is built by cargo at test time (`abort_plugin`): a host
// program, which a test binary run under wine cannot start.
#[cfg_attr(
    all(windows, not(target_env = "msvc")),
    ignore = "builds a fixture with cargo at test time; not under wine"
)]
#[test]
fn a_plugin_that_aborts_on_panic_is_refused_and_inspect_says_so() {
    let path = abort_plugin();
    let err = GreeterPlugin::load(&path).unwrap_err();
    assert!(
        matches!(&err, Error::AbortsOnPanic { interface, .. } if interface == "Greeter"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("panic = \"abort\""), "{text}");
    assert!(text.contains("allow_abort_on_panic(true)"), "{text}");
    assert!(text.contains(&fixture_file_name("abort-plugin")), "{text}");
    // Refused every time, not only on the first load.
    assert!(matches!(
        GreeterPlugin::load(&path),
        Err(Error::AbortsOnPanic { .. })
    ));

    let info = dynplug::inspect(&path).unwrap();
    assert!(info.interfaces[0].aborts_on_panic, "{info:?}");
    assert!(info.to_string().contains("panics abort"), "{info}");
    let hello = dynplug::inspect(fixture("hello-plugin")).unwrap();
    assert!(!hello.interfaces[0].aborts_on_panic, "{hello:?}");
}

// The fixture is built by cargo at test time (`abort_plugin`): a host
// program, which a test binary run under wine cannot start.
#[cfg_attr(
    all(windows, not(target_env = "msvc")),
    ignore = "builds a fixture with cargo at test time; not under wine"
)]
#[test]
fn an_allowed_aborting_plugin_loads_works_and_aborts_the_process_at_a_panic() {
    if let Some(path) = child_case() {
        let options = LoadOptions::new().allow_abort_on_panic(true);
        let plugin = GreeterPlugin::load_with(&path, &options).unwrap();
        assert_eq!(plugin.add(2, 3), 5);
        eprintln!("loaded and called");
        let _ = catch_unwind(AssertUnwindSafe(|| plugin.fail("this ends the process")));
        eprintln!("survived the panic");
        return;
    }
    let path = abort_plugin();
    let out = run_in_child(
        "an_allowed_aborting_plugin_loads_works_and_aborts_the_process_at_a_panic",
        path.to_str().expect("UTF-8 path"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("loaded and called"), "{stderr}");
    assert!(!stderr.contains("survived the panic"), "{stderr}");
    // The plugin's std reports the panic (nothing else could), then aborts.
    assert!(stderr.contains("this ends the process"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(6),
            "SIGABRT: {:?}\n{stderr}",
            out.status
        );
    }
    #[cfg(not(unix))]
    assert!(!out.status.success(), "{:?}\n{stderr}", out.status);
}

const HOST_LIBRARY_TEST: &str =
    "a_plugin_loaded_first_by_a_host_library_that_is_closed_still_reports_its_panics";

/// A library that is itself a dynplug host (a Python extension, a mod
/// loader) loads a plugin first, so the plugin's panics go to that
/// library's relay; the program then closes the library and loads the same
/// plugin itself. The library stays mapped (the end of a relay chain is
/// pinned), and the program's loader joins the plugin's relay: its panics
/// still name the plugin with their message. Before, the plugin's relay
/// pointed into the closed library. In a child process, for the crash.
#[test]
fn a_plugin_loaded_first_by_a_host_library_that_is_closed_still_reports_its_panics() {
    if child_case().is_none() {
        let out = run_in_child(HOST_LIBRARY_TEST, "host-library");
        dynplug_tests::assert_child_passed(&out);
        return;
    }
    // A copy of its own: no other test's load of the fixture joined it.
    let (_dir, plugin_path) = dynplug_tests::isolated("hello-plugin");
    let path = plugin_path.to_str().expect("a UTF-8 temporary path");
    let mut out = vec![0u8; 4096];
    // SAFETY: relay-host's initialisers only set up its own std and
    // dynplug; `relay_host_fail` has this signature.
    let len = unsafe {
        let host = libloading::Library::new(fixture("relay-host")).unwrap();
        let fail: libloading::Symbol<
            unsafe extern "C" fn(*const u8, usize, *mut u8, usize) -> usize,
        > = host.get(b"relay_host_fail\0").unwrap();
        let len = fail(path.as_ptr(), path.len(), out.as_mut_ptr(), out.len());
        host.close().unwrap();
        len
    };
    assert_ne!(
        len,
        usize::MAX,
        "the host library loaded the plugin and saw it panic"
    );
    let text = String::from_utf8_lossy(&out[..len]);
    assert!(
        text.contains("Greeter::fail") && text.ends_with("from the host library"),
        "{text}"
    );

    let plugin = GreeterPlugin::load(&plugin_path).unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| plugin.fail("from the program"))).unwrap_err();
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("Greeter::fail"), "{text}");
    assert!(
        text.ends_with("from the program"),
        "the message reached the program: {text}"
    );
    println!("child: checks done");
}
