//! Objects across the boundary: a plugin's methods return `Box<dyn I>` of
//! other interfaces (and of their own), which the host uses as ordinary
//! trait objects. Each object keeps its library loaded, runs its `Drop`
//! once, in the plugin, and carries its panics to the host; the interfaces
//! an object's methods use are checked when the factory is loaded. The
//! other way, the host gives the plugin objects of its own (host services):
//! to keep (`Box<dyn Log>`), or lent for a call (`&dyn Log`,
//! `&mut dyn Counter`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use dynplug::{Error, LoadOptions};
use dynplug_tests::{Own, child_case, fixture, is_mapped, isolated, own, run_in_child};
// The host's side of these tests allocates with fixture-alloc too: a block
// freed by the wrong side aborts the process, and live bytes are counted
// on both sides.
use fixture_alloc as _;
use objects_api::{Counter, Factory, FactoryPlugin, Log, Node, Session};

/// A loader of the plugin, from a copy of its own: the plugin's counts of
/// live objects and bytes are this test's alone (tests run in parallel).
fn factory() -> Own<FactoryPlugin> {
    own("objects-plugin", |path| FactoryPlugin::load(path).unwrap())
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .unwrap_or_default(),
    }
}

#[test]
fn sessions_work_after_their_factory_is_dropped() {
    let (_dir, path) = isolated("objects-plugin");
    let f = FactoryPlugin::load(&path).unwrap();
    let mut a = f.open("a");
    let b = f.open("b");
    let live = f.live();
    drop(f);
    a.push(b"hello");
    a.push(b", world");
    assert_eq!(a.name(), "a");
    assert_eq!(a.total(), 12);
    assert_eq!(b.total(), 0);
    let fork = a.fork("x");
    assert_eq!(fork.name(), "a/x");
    drop(a);
    drop(b);
    // Another loader of the same library sees the plugin's count.
    let f = FactoryPlugin::load(&path).unwrap();
    assert_eq!(f.live(), live - 2 + 1, "the fork is alive, a and b are not");
    drop(fork);
    assert_eq!(f.live(), live - 2);
}

/// A library kept mapped (the default) is never unloaded, so its objects
/// hold no handle of it (making and dropping one touches no shared
/// counter): closing the last loader while they live is not `InUse`, and
/// they, and the objects they make, still name the library in their panics.
#[test]
fn objects_of_a_kept_library_name_it_after_its_last_loader() {
    let (_dir, path) = isolated("objects-plugin");
    let f = FactoryPlugin::load(&path).unwrap();
    let session = f.open("kept");
    assert_eq!(f.close().unwrap(), dynplug::Closed::KeptMapped);
    assert!(is_mapped(&path));
    let fork = session.fork("x");
    drop(session);
    assert_eq!(fork.name(), "kept/x");
    let payload = catch_unwind(AssertUnwindSafe(|| fork.fail("after the loader"))).unwrap_err();
    let text = panic_text(payload);
    assert!(
        text.contains("objects_plugin") || text.contains("objects-plugin"),
        "{text}"
    );
    assert!(text.contains("`Session::fail`"), "{text}");
    assert!(text.contains("after the loader"), "{text}");
    drop(fork);
    assert!(is_mapped(&path), "a kept library stays mapped");
}

#[test]
fn an_object_keeps_its_library_loaded() {
    let (_dir, path) = isolated("objects-plugin");
    // SAFETY: the objects fixture starts no thread and registers nothing.
    let options = unsafe { LoadOptions::new().unload_when_unused(true) };
    let f = FactoryPlugin::load_with(&path, &options).unwrap();
    let session = f.open("kept");
    let tree = f.tree(1);
    drop(f);
    assert!(
        is_mapped(&path),
        "the session and the tree hold the library"
    );
    assert_eq!(session.name(), "kept");
    drop(session);
    assert!(is_mapped(&path), "the tree holds the library");
    let children = tree.children();
    drop(tree);
    assert!(is_mapped(&path), "the children hold the library");
    assert_eq!(children[1].label(), "root.1");
    drop(children);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    assert!(!is_mapped(&path), "the last object unloaded it");
}

/// A panic in an object's method names the library that caught it, found
/// from the address the host's panic relay keeps with it (the proxy keeps
/// nothing of the object across its call): for a library that may be
/// unloaded too, whose objects hold a counted handle. Finding the name
/// holds no handle of its own: the last object still unloads it.
#[test]
fn a_panic_in_an_object_of_an_unloadable_library_names_it_and_holds_nothing() {
    let (_dir, path) = isolated("objects-plugin");
    // SAFETY: the objects fixture starts no thread and registers nothing.
    let options = unsafe { LoadOptions::new().unload_when_unused(true) };
    let f = FactoryPlugin::load_with(&path, &options).unwrap();
    let session = f.open("counted");
    drop(f);
    for round in 0..3 {
        let payload = catch_unwind(AssertUnwindSafe(|| session.fail("counted"))).unwrap_err();
        let text = panic_text(payload);
        assert!(
            text.starts_with("plugin `")
                && (text.contains("objects_plugin") || text.contains("objects-plugin")),
            "round {round}: {text}"
        );
        assert!(
            text.contains("in method `Session::fail` of an object"),
            "{text}"
        );
        assert!(text.ends_with("counted"), "{text}");
    }
    drop(session);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    assert!(!is_mapped(&path), "the last object unloaded it");
}

#[test]
fn objects_inside_other_types() {
    let f = factory();
    let before = f.live();
    assert!(f.maybe(false).is_none());
    assert_eq!(f.maybe(true).unwrap().name(), "maybe");
    let many = f.many(3);
    let names: Vec<String> = many.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["0", "1", "2"]);
    assert_eq!(f.live(), before + 3);
    drop(many);
    assert_eq!(f.fallible("").err().as_deref(), Some("no name"));
    assert_eq!(f.fallible("ok").unwrap().name(), "ok");
    let (session, id) = f.pair(7);
    assert_eq!((session.name().as_str(), id), ("pair 7", 7));
    drop(session);
    let held = f.held(9);
    assert_eq!(held.id, 9);
    assert_eq!(held.session.name(), "held 9");
    drop(held);
    assert_eq!(f.live(), before);
}

fn walk(node: &dyn Node, labels: &mut Vec<String>) {
    labels.push(node.label());
    for child in node.children() {
        walk(&*child, labels);
    }
}

#[test]
fn a_tree_of_objects_dropped_in_any_order() {
    let f = factory();
    let before = f.live();
    let root = f.tree(3);
    let mut labels = Vec::new();
    walk(&*root, &mut labels);
    assert_eq!(labels.len(), 1 + 2 + 4 + 8);
    assert_eq!(labels[1], "root.0");
    assert_eq!(labels[2], "root.0.0");
    // Children outlive their parent, grandchildren their parents.
    let mut children = root.children();
    drop(root);
    let grandchildren = children[0].children();
    children.remove(0);
    assert_eq!(grandchildren[1].label(), "root.0.1");
    assert_eq!(f.live(), before + 1 + 2);
    drop(children);
    drop(grandchildren);
    assert_eq!(f.live(), before);
}

#[test]
fn every_drop_runs_once_and_nothing_leaks() {
    let f = factory();
    // Warm up what the plugin allocates once (thread-locals, the hook, the
    // tables its panic hook learns at the first object of each type).
    drop(f.open("warm").fork("up"));
    drop(f.tree(2));
    let (objects, bytes) = (f.live(), f.plugin_bytes());
    for round in 0..50 {
        let mut s = f.open(&format!("round {round}"));
        s.push(&[round as u8; 100]);
        let forks: Vec<Box<dyn Session>> = (0..3).map(|i| s.fork(&i.to_string())).collect();
        assert_eq!(f.live(), objects + 4);
        drop(s);
        drop(forks);
        drop(f.tree(2));
    }
    assert_eq!(f.live(), objects, "each object dropped once");
    assert_eq!(f.plugin_bytes(), bytes, "the plugin freed all it allocated");
}

#[test]
fn a_panic_in_an_object_method_names_the_library_interface_and_method() {
    let f = factory();
    let s = f.open("p");
    let payload = catch_unwind(AssertUnwindSafe(|| s.fail("the sky fell"))).unwrap_err();
    let text = panic_text(payload);
    assert!(
        text.contains("objects_plugin") || text.contains("objects-plugin"),
        "{text}"
    );
    assert!(text.contains("`Session::fail`"), "{text}");
    assert!(text.contains("the sky fell"), "{text}");
    // The object is still usable after its method panicked.
    assert_eq!(s.name(), "p");
}

#[test]
fn a_method_left_to_its_default_body_runs_it() {
    let s = factory().open("d");
    assert_eq!(s.describe(), "session d");
}

#[test]
fn objects_of_a_send_sync_trait_go_to_other_threads() {
    let f = factory();
    let mut s = f.open("threads");
    s.push(b"abc");
    let shared: &dyn Session = &*s;
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| assert_eq!(shared.total(), 3));
        }
    });
    let moved = std::thread::spawn(move || {
        s.push(b"de");
        s.total()
    })
    .join()
    .unwrap();
    assert_eq!(moved, 5);
}

#[test]
fn a_plugin_built_against_another_session_is_refused_at_load() {
    let err = objects_api_v2::FactoryPlugin::load(fixture("objects-plugin")).unwrap_err();
    let text = err.to_string();
    match &err {
        Error::InterfaceMismatch {
            interface,
            differences,
            ..
        } => {
            assert_eq!(interface, "Session", "{text}");
            assert_eq!(differences.len(), 1, "{text}");
            assert_eq!(differences[0].method, "push", "{text}");
            let host = differences[0].host.as_deref().unwrap_or_default();
            let plugin = differences[0].plugin.as_deref().unwrap_or_default();
            assert!(host.contains("Vec<u8>"), "{text}");
            assert!(plugin.contains("&[u8]"), "{text}");
        }
        other => panic!("expected InterfaceMismatch, got {other:?}"),
    }
    assert!(text.contains("Session"), "{text}");
}

/// The host's log: records lines, counts its drops, and the threads it was
/// called on.
#[derive(Default, Clone)]
struct HostLog {
    lines: Arc<Mutex<Vec<String>>>,
    threads: Arc<Mutex<Vec<std::thread::ThreadId>>>,
    drops: Arc<AtomicUsize>,
}

struct Kept(HostLog);

impl Log for Kept {
    fn line(&self, text: &str) {
        self.0.lines.lock().unwrap().push(text.to_owned());
        self.0
            .threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
    }
    fn lines(&self) -> u32 {
        self.0.lines.lock().unwrap().len() as u32
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        self.0.drops.fetch_add(1, Ordering::SeqCst);
    }
}

impl HostLog {
    fn boxed(&self) -> Box<dyn Log> {
        Box::new(Kept(self.clone()))
    }
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
    fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }
}

#[test]
fn a_host_service_kept_by_the_plugin_is_called_later_from_its_threads() {
    let f = factory();
    assert!(!f.log_now("nobody listens"));
    let log = HostLog::default();
    f.attach(log.boxed());
    assert!(f.log_now("first"));
    assert!(f.log_from_thread("second"));
    assert_eq!(log.lines(), ["first", "second (from a plugin thread)"]);
    let threads = log.threads.lock().unwrap().clone();
    assert_eq!(threads[0], std::thread::current().id());
    assert_ne!(threads[1], std::thread::current().id());
    assert_eq!(log.drops(), 0);
    f.drop_log();
    assert_eq!(log.drops(), 1, "dropped once, by the plugin");
    assert!(!f.log_now("gone"));
    assert_eq!(log.drops(), 1);
}

#[test]
fn a_host_service_replaced_or_left_with_the_plugin_is_dropped_once() {
    let (first, second) = (HostLog::default(), HostLog::default());
    let f = factory();
    f.attach(first.boxed());
    f.attach(second.boxed());
    assert_eq!(first.drops(), 1, "replaced");
    assert_eq!(second.drops(), 0);
    drop(f);
    assert_eq!(second.drops(), 1, "dropped with the plugin's instance");
}

#[test]
fn a_host_service_handed_back_is_the_hosts_object_again() {
    let f = factory();
    let log = HostLog::default();
    f.attach(log.boxed());
    let back = f.detach().unwrap();
    assert!(f.detach().is_none());
    back.line("through two proxies");
    assert_eq!(back.lines(), 1);
    assert_eq!(log.lines(), ["through two proxies"]);
    drop(f);
    assert_eq!(log.drops(), 0, "the host holds it");
    drop(back);
    assert_eq!(log.drops(), 1);
}

#[test]
fn objects_go_both_ways_in_one_call() {
    let f = factory();
    let before = f.live();
    let log = HostLog::default();
    let wrapped = f.wrap(log.boxed(), "plugin: ");
    assert_eq!(f.live(), before + 1);
    wrapped.line("hello");
    assert_eq!(wrapped.lines(), 1);
    assert_eq!(log.lines(), ["plugin: hello"]);
    drop(wrapped);
    assert_eq!(f.live(), before, "the plugin's wrapper dropped");
    assert_eq!(log.drops(), 1, "and with it the host's log, once");
}

#[test]
fn a_host_object_is_lent_for_the_call() {
    let f = factory();
    let log = HostLog::default();
    let kept = Kept(log.clone());
    assert_eq!(f.note(&kept, "lent"), 1);
    assert_eq!(f.note(&kept, "again"), 2);
    assert_eq!(log.lines(), ["lent", "again"]);
    assert_eq!(log.drops(), 0, "a lent object is not dropped by the plugin");
    drop(kept);
    assert_eq!(log.drops(), 1);
}

struct Tally(u32);

impl Counter for Tally {
    fn add(&mut self, n: u32) -> u32 {
        self.0 += n;
        self.0
    }
    fn fail(&mut self) {
        panic!("the host's counter refuses at {}", self.0);
    }
}

#[test]
fn a_host_object_is_lent_mutably_and_mutated() {
    let f = factory();
    let mut tally = Tally(10);
    assert_eq!(f.count(&mut tally, 5), 15);
    assert_eq!(tally.0, 15);
}

#[test]
fn a_panic_in_a_host_object_comes_back_to_the_host() {
    let f = factory();
    let mut tally = Tally(3);
    let payload = catch_unwind(AssertUnwindSafe(|| f.poke(&mut tally))).unwrap_err();
    let text = panic_text(payload);
    assert!(text.contains("`Factory::poke`"), "{text}");
    // The plugin's proxy of the host's object names the host: the address
    // kept with the panic is in no library the plugin loaded.
    assert!(
        text.contains("the host panicked in method `Counter::fail` of an object"),
        "{text}"
    );
    assert!(text.contains("the host's counter refuses at 3"), "{text}");
    // Both sides still work.
    assert_eq!(f.count(&mut tally, 1), 4);
}

#[test]
fn host_services_leak_nothing_on_either_side() {
    let f = factory();
    let log = HostLog::default();
    // Warm up what each side allocates once.
    drop(f.wrap(log.boxed(), ">"));
    f.attach(log.boxed());
    f.drop_log();
    let (objects, bytes) = (f.live(), f.plugin_bytes());
    for round in 0..50 {
        f.attach(log.boxed());
        f.log_now(&format!("round {round}"));
        let wrapped = f.wrap(log.boxed(), ">");
        wrapped.line("w");
        let _ = f.note(&*wrapped, "n");
        drop(wrapped);
        drop(f.detach());
    }
    assert_eq!(f.live(), objects);
    assert_eq!(f.plugin_bytes(), bytes, "the plugin freed all it allocated");
    assert_eq!(log.drops(), 2 + 100, "each host object dropped once");
}

/// A host object that borrows from the caller's stack.
struct Borrowing<'a>(&'a mut u32);

impl Counter for Borrowing<'_> {
    fn add(&mut self, n: u32) -> u32 {
        *self.0 += n;
        *self.0
    }
    fn fail(&mut self) {
        panic!("borrowing counter");
    }
}

#[test]
fn a_lent_host_object_may_borrow_from_the_stack() {
    let f = factory();
    let mut total = 40;
    assert_eq!(f.count(&mut Borrowing(&mut total), 2), 42);
    assert_eq!(total, 42);
}

/// The objects example (`cargo run -p objects-host`), as its host uses it.
#[test]
fn the_objects_example_opens_sessions_that_log_through_the_host() {
    use objects_example_api::{Config, Summary, Transcoder, TranscoderPlugin};

    struct Lines(Arc<Mutex<Vec<String>>>);
    impl objects_example_api::Log for Lines {
        fn info(&self, text: &str) {
            self.0.lock().unwrap().push(text.to_owned());
        }
    }
    let lines = Arc::new(Mutex::new(Vec::new()));
    let t = TranscoderPlugin::load(fixture("objects-example-plugin")).unwrap();
    let config = |name: &str| Config {
        name: name.to_owned(),
        shout: true,
    };
    let mut session = t.open(config("s"), Box::new(Lines(lines.clone()))).unwrap();
    let refused = t.open(config(""), Box::new(Lines(lines.clone())));
    assert_eq!(refused.err().as_deref(), Some("a session needs a name"));
    drop(t);
    assert_eq!(session.push("abc"), "ABC");
    assert_eq!(
        session.finish(),
        Summary {
            chunks: 1,
            chars: 3
        }
    );
    drop(session);
    assert_eq!(
        *lines.lock().unwrap(),
        ["s: opened", "s: finished after 1 chunks", "s: closed"]
    );
}

/// Objects both ways, many times, leave both heaps as they were: the
/// plugin's (its count through `plugin_bytes`) and the host's (this
/// binary's allocator, counted in a child process where nothing else runs).
#[test]
fn objects_both_ways_leave_both_heaps_as_they_were() {
    if child_case().is_none() {
        let out = run_in_child("objects_both_ways_leave_both_heaps_as_they_were", "run");
        assert!(
            out.status.success(),
            "child failed ({:?}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let f = factory();
    let log = HostLog::default();
    let round = |i: u32| {
        let mut s = f.open(&format!("s{i}"));
        s.push(&[1, 2, 3]);
        drop(s.fork("f"));
        let wrapped = f.wrap(log.boxed(), ">");
        wrapped.line("w");
        let _ = f.note(&*wrapped, "n");
        drop(wrapped);
        f.attach(log.boxed());
        f.log_now("now");
        drop(f.detach());
        let mut tally = Tally(0);
        f.count(&mut tally, 2);
        drop(f.tree(2));
    };
    // What each side allocates once (thread-locals, registries, lazily
    // grown tables) is allocated in the first rounds; after them, rounds
    // must leave both heaps exactly as they found them.
    let heaps = |f: &Own<FactoryPlugin>, log: &HostLog| {
        log.lines.lock().unwrap().clear();
        log.lines.lock().unwrap().shrink_to_fit();
        log.threads.lock().unwrap().clear();
        log.threads.lock().unwrap().shrink_to_fit();
        (fixture_alloc::live_bytes(), f.plugin_bytes())
    };
    for i in 0..50 {
        round(i);
    }
    let settled = heaps(&f, &log);
    for i in 0..50 {
        round(i);
    }
    let after = heaps(&f, &log);
    assert_eq!(after.1, settled.1, "the plugin's heap");
    assert_eq!(after.0, settled.0, "the host's heap");
}
