//! Hot reload (`dynplug::Hot`): new files at a plugin's path are served
//! once they pass every check; failing ones are reported and the old
//! version keeps serving; calls in flight finish on their version.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use dynplug::{Error, Hot, HotOptions};
use dynplug_tests::fixture;
use fixture_api::{Greeter, GreeterPlugin};

const HELLO: &str = "Hello, you!";
const LOUD: &str = "HEY, you!";

/// How long a test waits for the watcher (wine is slow).
const PATIENCE: Duration = Duration::from_secs(30);

/// The plugin's path in `dir`.
fn plugin_path(dir: &Path) -> PathBuf {
    dir.join(format!("hot{}", std::env::consts::DLL_SUFFIX))
}

/// Puts `bytes` at `path` as a new file, renamed over it as a build does.
/// (On Windows a rename over a file is refused while a reload reads it:
/// tried again.)
fn put_bytes(path: &Path, bytes: &[u8]) {
    static STAGED: AtomicUsize = AtomicUsize::new(0);
    let staged = path.with_extension(format!("staged-{}", STAGED.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&staged, bytes).unwrap();
    dynplug_tests::rename_patiently(&staged, path).expect("rename into place");
}

/// Puts fixture `name` at `path` as a new file.
fn put(path: &Path, name: &str) {
    put_bytes(path, &std::fs::read(fixture(name)).unwrap());
}

/// Waits until `done`, or fails saying `what`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Options whose failures go to a channel.
fn reporting() -> (HotOptions<GreeterPlugin>, mpsc::Receiver<String>) {
    let (send, errors) = mpsc::channel();
    let send = Mutex::new(send);
    let options = HotOptions::new().on_error(move |err: &Error| {
        let _ = send.lock().unwrap().send(err.to_string());
    });
    (options, errors)
}

#[test]
fn new_versions_serve_under_concurrent_calls_and_failing_ones_keep_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let (options, errors) = reporting();
    let hot = Arc::new(Hot::<GreeterPlugin>::watch_with(&path, options).unwrap());
    assert_eq!(hot.generation(), 1);
    assert_eq!(hot.get().greet("you"), HELLO);

    // Callers on four threads, each call checked, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let loud_seen = Arc::new(AtomicU64::new(0));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (hot, stop, loud_seen) = (hot.clone(), stop.clone(), loud_seen.clone());
            std::thread::spawn(move || {
                let mut calls = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let current = hot.get();
                    let greeting = current.greet("you");
                    match current.generation() {
                        1 | 3 => assert_eq!(greeting, HELLO),
                        2 => {
                            assert_eq!(greeting, LOUD);
                            loud_seen.fetch_add(1, Ordering::Relaxed);
                        }
                        other => panic!("generation {other}"),
                    }
                    calls += 1;
                }
                calls
            })
        })
        .collect();

    put(&path, "loud-plugin");
    wait_until("the second version", || hot.generation() == 2);
    assert_eq!(hot.get().greet("you"), LOUD);

    // Three failing versions, each reported, none served.
    let expect_error = |what: &str, needle: &str| {
        let error = errors
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no error reported for {what}"));
        assert!(error.contains(needle), "{what}: {error}");
        assert!(error.contains(&*path.to_string_lossy()), "{error}");
        assert_eq!(hot.generation(), 2, "{what} was served");
        assert_eq!(hot.get().greet("you"), LOUD);
    };
    put(&path, "ctor-panic-plugin");
    expect_error(
        "a panicking constructor",
        "no configuration found for Broken",
    );
    let hello = std::fs::read(fixture("hello-plugin")).unwrap();
    put_bytes(&path, &hello[..hello.len() / 2]);
    expect_error("a truncated file", "not a loadable library");
    put(&path, "old-plugin");
    expect_error("another version of the interface", "Greeter");

    put(&path, "hello-plugin");
    wait_until("the third version", || hot.generation() == 3);
    assert_eq!(hot.get().greet("you"), HELLO);

    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        assert!(caller.join().unwrap() > 0, "a caller made no call");
    }
    assert!(
        loud_seen.load(Ordering::Relaxed) > 0,
        "no caller saw version 2"
    );
    assert!(
        errors.try_recv().is_err(),
        "more errors than failing versions"
    );
}

#[test]
fn a_file_written_in_place_is_loaded_once_complete_and_not_reported_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let (options, errors) = reporting();
    let hot = Hot::<GreeterPlugin>::watch_with(&path, options.settle(Duration::from_millis(300)))
        .unwrap();

    // The same file written over in four pieces, a pause between each,
    // as a slow writer does.
    let loud = std::fs::read(fixture("loud-plugin")).unwrap();
    dynplug_tests::write_in_place(&path, &loud, 4, Duration::from_millis(30));
    wait_until("the rewritten version", || hot.generation() == 2);
    assert_eq!(hot.get().greet("you"), LOUD);
    // Reported would be each half-written state tried; none may be.
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        errors.try_recv().is_err(),
        "a half-written file was reported"
    );
    assert_eq!(hot.generation(), 2);
}

#[test]
fn reload_checks_now_and_old_versions_live_while_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let hot = Hot::<GreeterPlugin>::watch_with(&path, HotOptions::new().watch(false)).unwrap();
    assert!(!hot.reload().unwrap(), "an unchanged file reloaded");
    let first = hot.version();
    let in_flight = hot.get();

    put(&path, "loud-plugin");
    assert!(hot.reload().unwrap());
    assert_eq!(hot.generation(), 2);
    assert_eq!(hot.get().greet("you"), LOUD);
    // The old version still answers through the handles taken before.
    assert_eq!(first.generation(), 1);
    assert_eq!(first.greet("you"), HELLO);
    assert_eq!(in_flight.generation(), 1);
    assert_eq!(in_flight.greet("you"), HELLO);
    assert!(!hot.reload().unwrap());

    // A failing version: the error is returned, the old one serves.
    put(&path, "ctor-panic-plugin");
    let err = hot.reload().unwrap_err();
    assert!(matches!(err, Error::Init { .. }), "{err:?}");
    assert_eq!(hot.generation(), 2);
    assert_eq!(hot.get().greet("you"), LOUD);
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(hot.reload().unwrap_err(), Error::Open { .. }));
    assert_eq!(hot.get().greet("you"), LOUD);
}

#[test]
fn a_cache_serves_its_version_until_a_new_one_is_in_service() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let hot = Hot::<GreeterPlugin>::watch_with(&path, HotOptions::new().watch(false)).unwrap();
    let mut cache = hot.cache();
    assert_eq!(cache.get().generation(), 1);
    assert_eq!(cache.get().greet("you"), HELLO);
    put(&path, "loud-plugin");
    assert!(hot.reload().unwrap());
    // The next look sees the new version, on this thread and another.
    assert_eq!(cache.get().generation(), 2);
    assert_eq!(cache.get().greet("you"), LOUD);
    let mut elsewhere = hot.cache();
    let seen = std::thread::spawn(move || elsewhere.get().greet("you"))
        .join()
        .unwrap();
    assert_eq!(seen, LOUD);
}

#[test]
fn the_hand_over_hook_moves_state_and_can_refuse_the_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    // State moved through the interface: the new version is greeted as
    // often as the old one was.
    let moving =
        HotOptions::new()
            .watch(false)
            .hand_over(|old: &GreeterPlugin, new: &mut GreeterPlugin| {
                for _ in 0..old.hits() {
                    new.greet("again");
                }
                assert_eq!(new.bump(), 1);
                Ok(())
            });
    let hot = Hot::<GreeterPlugin>::watch_with(&path, moving).unwrap();
    for _ in 0..3 {
        hot.get().greet("you");
    }
    put(&path, "hello-plugin");
    assert!(hot.reload().unwrap());
    assert_eq!(hot.generation(), 2);
    assert_eq!(hot.get().hits(), 3);

    // A hook that refuses, then one that panics: the old version serves.
    for (hook, says) in [
        (
            Box::new(|_: &GreeterPlugin, _: &mut GreeterPlugin| Err("state too new".into()))
                as Box<dyn Fn(&GreeterPlugin, &mut GreeterPlugin) -> _ + Send + Sync>,
            "returned an error: state too new",
        ),
        (
            Box::new(|_: &GreeterPlugin, _: &mut GreeterPlugin| panic!("hook broke")),
            "panicked: hook broke",
        ),
    ] {
        let options = HotOptions::new().watch(false).hand_over(hook);
        put(&path, "hello-plugin");
        let refusing = Hot::<GreeterPlugin>::watch_with(&path, options).unwrap();
        put(&path, "loud-plugin");
        let err = refusing.reload().unwrap_err();
        let Error::HandOver { path: p, reason } = &err else {
            panic!("not HandOver: {err:?}");
        };
        assert_eq!(p, &path);
        assert_eq!(reason, says);
        assert_eq!(refusing.generation(), 1);
        assert_eq!(refusing.get().greet("you"), HELLO);
    }
}

#[cfg(target_os = "linux")]
const FLAT_TEST: &str = "a_thousand_reloads_leave_memory_and_descriptors_flat";

/// With unloading allowed, each old version is unloaded once its last
/// handle goes: 1,000 reloads leave the process's memory and descriptors
/// where 100 left them. In a child process, alone.
#[cfg(target_os = "linux")]
#[test]
fn a_thousand_reloads_leave_memory_and_descriptors_flat() {
    use dynplug::LoadOptions;
    use fixture_api::{Linger, LingerPlugin};
    if dynplug_tests::child_case().is_none() {
        let out = dynplug_tests::run_in_child(FLAT_TEST, "flat");
        dynplug_tests::assert_child_passed(&out);
        return;
    }
    let status = |field: &str| -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let fds = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    let bytes = std::fs::read(fixture("linger-plugin")).unwrap();
    put_bytes(&path, &bytes);
    // SAFETY: linger-plugin starts no thread and registers no destructor
    // unless a method asks it to, and only `ping` is called.
    let load = unsafe { LoadOptions::new().unload_when_unused(true) };
    let options = HotOptions::new().watch(false).load_options(load);
    let hot = Hot::<LingerPlugin>::watch_with(&path, options).unwrap();
    let mut at_100 = None;
    for round in 1..=1000 {
        put_bytes(&path, &bytes);
        assert!(hot.reload().unwrap(), "round {round}");
        assert_eq!(hot.get().ping(), 1);
        if round == 100 {
            at_100 = Some((status("VmRSS:"), fds()));
        }
        assert!(
            mapped_copies() <= 2,
            "round {round}: {} versions mapped",
            mapped_copies()
        );
    }
    let (rss_100, fds_100) = at_100.unwrap();
    let (rss, fds) = (status("VmRSS:"), fds());
    assert_eq!(hot.generation(), 1001);
    assert_eq!(fds, fds_100, "descriptors grew");
    // One version kept would be about 0.5 MB each: 450 MB over 900. (Not
    // under an emulator, qemu-user on aarch64, whose own cache of
    // translated code grows with every new copy of the code it runs.)
    if std::env::var_os(dynplug_tests::RUNNER).is_none() {
        assert!(
            rss < rss_100 + 16 * 1024,
            "memory grew from {rss_100} kB to {rss} kB over 900 reloads"
        );
    }
    println!("child: checks done");
}

/// A new file that another program holds for a moment (Windows: opened
/// with no sharing, as a build's rename or an antivirus scan may) is looked
/// at again until it is free, not reported as failing. (A CI run under wine
/// reported a sharing violation for a file the test had just put.)
#[cfg(windows)]
#[test]
fn a_file_held_by_another_program_for_a_moment_is_loaded_once_free() {
    use std::io::Write;
    use std::os::windows::fs::OpenOptionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let (options, errors) = reporting();
    let hot = Hot::<GreeterPlugin>::watch_with(&path, options).unwrap();
    // Written in place through a handle that shares nothing, kept open
    // while the watcher looks (every 100 ms).
    let mut held = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .share_mode(0)
        .open(&path)
        .unwrap();
    held.write_all(&std::fs::read(fixture("loud-plugin")).unwrap())
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(hot.generation(), 1, "loaded while held");
    drop(held);
    wait_until("the version once free", || hot.generation() == 2);
    assert_eq!(hot.get().greet("you"), LOUD);
    assert!(
        errors.try_recv().is_err(),
        "a file held for a moment was reported"
    );
}

/// The private copies still mapped (each version's, a memfd): distinct
/// inodes among the mappings named so.
#[cfg(target_os = "linux")]
fn mapped_copies() -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let inodes: std::collections::HashSet<&str> = maps
        .lines()
        .filter(|l| l.contains("/memfd:dynplug-copy"))
        .filter_map(|l| l.split_whitespace().nth(4))
        .collect();
    inodes.len()
}

/// Whether the version `weak` points at is still alive.
fn alive<T>(weak: &std::sync::Weak<T>) -> bool {
    weak.strong_count() > 0
}

/// A thread has four slots; more handles at once are counted references.
/// Either kind keeps its version through a reload, and the old version goes
/// with the last handle, whichever kind that is.
#[test]
fn handles_beyond_a_threads_slots_keep_their_version_until_the_last_goes() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let hot = Hot::<GreeterPlugin>::watch_with(&path, HotOptions::new().watch(false)).unwrap();
    for (round, fixture, old_greeting) in [(1, "loud-plugin", HELLO), (2, "hello-plugin", LOUD)] {
        let old = Arc::downgrade(&hot.version());
        let mut held: Vec<_> = (0..6).map(|_| Some(hot.get())).collect();
        put(&path, fixture);
        assert!(hot.reload().unwrap());
        assert_eq!(hot.get().generation(), round + 1);
        for current in held.iter().flatten() {
            assert_eq!(current.generation(), round);
            assert_eq!(current.greet("you"), old_greeting);
        }
        // Round 1 lets the shielded handles (the first four) go last, round
        // 2 the counted ones.
        let order = match round {
            1 => [5, 0, 1, 4, 2, 3],
            _ => [0, 1, 2, 3, 4, 5],
        };
        for (dropped, &index) in order.iter().enumerate() {
            assert!(alive(&old), "round {round}: gone after {dropped} handles");
            held[index] = None;
        }
        assert!(
            !alive(&old),
            "round {round}: the old version outlived its handles"
        );
    }
}

/// A handle in a thread-local value is dropped after the thread gave its
/// slots back: the slot stays its own until then (the record is not
/// handed to another thread), and the old version goes with it.
#[test]
fn a_handle_dropped_as_its_thread_ends_still_shields_its_version() {
    use dynplug::Current;
    use std::cell::RefCell;
    thread_local! {
        static KEPT: RefCell<Option<Current<'static, GreeterPlugin>>> =
            const { RefCell::new(None) };
    }
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let options = HotOptions::new().watch(false);
    let hot: &'static Hot<GreeterPlugin> =
        Box::leak(Box::new(Hot::watch_with(&path, options).unwrap()));
    let old = Arc::downgrade(&hot.version());
    let (kept, was_kept) = mpsc::channel();
    let (end, ended) = mpsc::channel::<()>();
    let keeper = std::thread::spawn(move || {
        // Kept first, so dropped after the slots are given back (thread
        // locals go in the reverse order of their first use).
        KEPT.with(|slot| *slot.borrow_mut() = Some(hot.get()));
        kept.send(()).unwrap();
        ended.recv().unwrap_err();
        KEPT.with(|slot| slot.borrow().as_ref().unwrap().greet("you"))
    });
    was_kept.recv().unwrap();
    put(&path, "loud-plugin");
    assert!(hot.reload().unwrap());
    assert!(alive(&old), "dropped while a thread-local handle held it");
    drop(end);
    assert_eq!(keeper.join().unwrap(), HELLO);
    // Other threads take slots now.
    for _ in 0..8 {
        let greeting = std::thread::spawn(|| hot.get().greet("you"))
            .join()
            .unwrap();
        assert_eq!(greeting, LOUD);
    }
    assert!(!alive(&old), "the old version outlived its last handle");
}

/// The last handle of an old version goes while another thread takes
/// counted versions (as `HotCache`s renewing after a reload do): the old
/// version goes with it, each of 100 rounds. (Found by review.)
#[test]
fn an_old_version_goes_with_its_last_handle_while_another_thread_takes_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let hot = Hot::<GreeterPlugin>::watch_with(&path, HotOptions::new().watch(false)).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                drop(hot.version());
            }
        });
        for round in 1..=100 {
            let current = hot.get();
            let old = Arc::downgrade(&hot.version());
            put(
                &path,
                if round % 2 == 1 {
                    "loud-plugin"
                } else {
                    "hello-plugin"
                },
            );
            assert!(hot.reload().unwrap());
            assert!(alive(&old));
            drop(current);
            // The other thread's count lives a moment at most.
            wait_until(&format!("round {round}'s old version to go"), || {
                !alive(&old)
            });
        }
        stop.store(true, Ordering::Relaxed);
    });
}

#[cfg(target_os = "linux")]
const RACE_TEST: &str =
    "reloads_under_calls_on_many_threads_unload_each_old_version_after_its_last_call";

/// Four threads call (two handles at a time, so slots are taken and given
/// back in every order) while 300 versions are put in service, with
/// unloading allowed: a version dropped too early is a call into unmapped
/// code (a crash, hence a child process), one kept too long stays mapped.
#[cfg(target_os = "linux")]
#[test]
fn reloads_under_calls_on_many_threads_unload_each_old_version_after_its_last_call() {
    use dynplug::LoadOptions;
    use fixture_api::{Linger, LingerPlugin};
    if dynplug_tests::child_case().is_none() {
        let out = dynplug_tests::run_in_child(RACE_TEST, "race");
        dynplug_tests::assert_child_passed(&out);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    let bytes = std::fs::read(fixture("linger-plugin")).unwrap();
    put_bytes(&path, &bytes);
    // SAFETY: linger-plugin starts no thread and registers no destructor
    // unless a method asks it to, and only `ping` and `static_address` are
    // called.
    let load = unsafe { LoadOptions::new().unload_when_unused(true) };
    let options = HotOptions::new().watch(false).load_options(load);
    let hot = Arc::new(Hot::<LingerPlugin>::watch_with(&path, options).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (hot, stop) = (hot.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut calls = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let first = hot.get();
                    let second = hot.get();
                    assert_eq!(first.ping() + second.ping(), 2);
                    assert!(second.generation() >= first.generation());
                    if second.generation() == first.generation() {
                        assert_eq!(first.static_address(), second.static_address());
                    }
                    drop(first);
                    assert_eq!(second.ping(), 1);
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let mut versions = Vec::new();
    for round in 1..=300 {
        put_bytes(&path, &bytes);
        assert!(hot.reload().unwrap(), "round {round}");
        versions.push(Arc::downgrade(&hot.version()));
    }
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        assert!(caller.join().unwrap() > 0, "a caller made no call");
    }
    let current = versions.pop().unwrap();
    assert!(alive(&current));
    let kept = versions.iter().filter(|version| alive(version)).count();
    assert_eq!(kept, 0, "old versions alive with no handle");
    assert_eq!(mapped_copies(), 1, "old versions still mapped");
    println!("child: checks done");
}

/// Runs `work` on a thread and fails if it has not returned within
/// `PATIENCE` (a deadlock), leaving the thread behind.
fn within_patience<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, done) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(work());
    });
    done.recv_timeout(PATIENCE)
        .unwrap_or_else(|_| panic!("{what} never returned (a deadlock?)"))
}

#[test]
fn a_reload_from_the_hooks_does_not_deadlock() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    type Slot = Arc<std::sync::OnceLock<std::sync::Weak<Hot<GreeterPlugin>>>>;
    let slot: Slot = Default::default();
    let inner: Arc<Mutex<Vec<String>>> = Default::default();
    let (from_hook, from_report, seen) = (slot.clone(), slot.clone(), inner.clone());
    let reported: Arc<Mutex<Vec<String>>> = Default::default();
    let report_said = reported.clone();
    let options = HotOptions::new()
        .watch(false)
        .hand_over(move |_: &GreeterPlugin, _: &mut GreeterPlugin| {
            let hot = from_hook.get().and_then(|weak| weak.upgrade()).unwrap();
            let said = format!("{:?}", hot.reload().map_err(|err| err.to_string()));
            inner.lock().unwrap().push(said);
            Ok(())
        })
        .on_reload(move |_| {
            let hot = from_report.get().and_then(|weak| weak.upgrade()).unwrap();
            let said = format!("{:?}", hot.reload().map_err(|err| err.to_string()));
            report_said.lock().unwrap().push(said);
        });
    let hot = Arc::new(Hot::<GreeterPlugin>::watch_with(&path, options).unwrap());
    slot.set(Arc::downgrade(&hot)).unwrap();
    put(&path, "loud-plugin");
    let reloading = hot.clone();
    let result = within_patience("reload()", move || {
        reloading.reload().map_err(|e| e.to_string())
    });
    assert_eq!(result, Ok(true));
    assert_eq!(hot.generation(), 2);
    assert_eq!(hot.get().greet("you"), LOUD);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains("hand-over hook"), "{seen:?}");
    // From `on_reload`, after the reload: a reload of its own, which finds
    // the file unchanged.
    assert_eq!(*reported.lock().unwrap(), ["Ok(false)"]);
}

#[test]
fn a_panicking_callback_does_not_stop_the_watch() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let errors = Arc::new(AtomicUsize::new(0));
    let counted = errors.clone();
    let options = HotOptions::<GreeterPlugin>::new()
        .on_reload(|generation| {
            if generation == 2 {
                panic!("on_reload broke");
            }
        })
        .on_error(move |_| {
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("on_error broke");
            }
        });
    let hot = Hot::<GreeterPlugin>::watch_with(&path, options).unwrap();
    put(&path, "loud-plugin");
    wait_until("the second version", || hot.generation() == 2);
    put(&path, "ctor-panic-plugin");
    wait_until("the failure reported", || {
        errors.load(Ordering::SeqCst) == 1
    });
    put(&path, "hello-plugin");
    wait_until("the third version", || hot.generation() == 3);
    assert_eq!(hot.get().greet("you"), HELLO);
}

/// (Not on Windows, where whether a watched folder can be removed, and
/// what is heard then, depends on the file system and was not tried.)
#[cfg(not(windows))]
#[test]
fn a_removed_folder_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("plugins");
    std::fs::create_dir(&folder).unwrap();
    let path = plugin_path(&folder);
    put(&path, "hello-plugin");
    let (options, errors) = reporting();
    let hot = Hot::<GreeterPlugin>::watch_with(&path, options).unwrap();
    std::fs::remove_dir_all(&folder).unwrap();
    let error = errors
        .recv_timeout(PATIENCE)
        .expect("the lost watch was not reported");
    assert!(error.contains("plugins"), "{error}");
    assert!(error.contains("no longer"), "{error}");
    assert_eq!(hot.get().greet("you"), HELLO);
}

#[cfg(target_os = "linux")]
const DROP_TEST: &str = "dropping_the_hot_during_a_reload_ends_its_thread";

#[cfg(target_os = "linux")]
#[test]
fn dropping_the_hot_during_a_reload_ends_its_thread() {
    if dynplug_tests::child_case().is_none() {
        let out = dynplug_tests::run_in_child(DROP_TEST, "drop");
        dynplug_tests::assert_child_passed(&out);
        return;
    }
    let watchers = || {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter(|task| {
                let comm = task.as_ref().unwrap().path().join("comm");
                std::fs::read_to_string(comm).is_ok_and(|c| c.trim() == "dynplug-hot")
            })
            .count()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path(dir.path());
    put(&path, "hello-plugin");
    let (entered, hooked) = mpsc::channel();
    let entered = Mutex::new(entered);
    let options = HotOptions::new().hand_over(move |_: &GreeterPlugin, _: &mut GreeterPlugin| {
        let _ = entered.lock().unwrap().send(());
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    });
    let hot = Hot::<GreeterPlugin>::watch_with(&path, options).unwrap();
    // (The thread names itself once it runs.)
    wait_until("the watcher's thread", || watchers() == 1);
    put(&path, "loud-plugin");
    hooked.recv_timeout(PATIENCE).unwrap();
    drop(hot);
    wait_until("the watcher's thread to end", || watchers() == 0);
    println!("child: checks done");
}
