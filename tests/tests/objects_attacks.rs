//! Adversarial tests of objects across the boundary: paths by which a
//! plugin's object reaches the host other than a return value, panics in
//! objects' destructors on both sides, and plugins built against another
//! version of a nested interface. A test that fails documents a bug: each
//! asserts the behaviour the design promises (docs/ARCHITECTURE.md §9).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dynplug::{Error, LoadOptions};
use dynplug_tests::{Own, child_case, fixture, is_mapped, isolated, own, run_in_child};
use objattack_api::{Attack, AttackPlugin, Keeper, Log};
use objattack_evolve_v2::Services;

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .unwrap_or_default(),
    }
}

/// The host's keeper: keeps what the plugin gives it, and what a lent log
/// spawns.
#[derive(Default)]
struct HostKeeper {
    kept: RefCell<Vec<Box<dyn Log>>>,
}

impl Keeper for HostKeeper {
    fn keep(&self, log: Box<dyn Log>) {
        self.kept.borrow_mut().push(log);
    }
    fn look(&self, log: &dyn Log) {
        self.kept.borrow_mut().push(log.spawn());
    }
}

/// The host's log: `line` returns 1; counts its drops; panics in its drop
/// when asked to.
struct HostLog {
    drops: Arc<AtomicUsize>,
    bomb: bool,
}

impl Log for HostLog {
    fn line(&self, _text: &str) -> u32 {
        1
    }
    fn spawn(&self) -> Box<dyn Log> {
        Box::new(HostLog {
            drops: self.drops.clone(),
            bomb: false,
        })
    }
}

impl Drop for HostLog {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.bomb {
            panic!("the host's log blew up in its drop");
        }
    }
}

/// In the child: loads an isolated copy of the plugin that may be unloaded,
/// lets `get` put plugin objects in the keeper, drops the loader, and
/// checks that the library stays mapped while the host keeps them, and is
/// unloaded after. With the bug, the library is unmapped under the kept
/// object: the assertion fails, and dropping the object while unwinding
/// calls unmapped code (the parent sees the child fail either way).
fn kept_objects_hold_the_library(get: impl FnOnce(&AttackPlugin, &HostKeeper)) {
    let (_dir, path) = isolated("objattack-plugin");
    // SAFETY: the fixture starts no thread and registers nothing.
    let options = unsafe { LoadOptions::new().unload_when_unused(true) };
    let attack = AttackPlugin::load_with(&path, &options).unwrap();
    let keeper = HostKeeper::default();
    get(&attack, &keeper);
    assert_eq!(keeper.kept.borrow().len(), 1);
    drop(attack);
    assert!(
        is_mapped(&path),
        "a plugin object the host keeps must keep its library loaded"
    );
    assert_eq!(keeper.kept.borrow()[0].line("still there"), 7);
    drop(keeper);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    assert!(!is_mapped(&path), "the last object unloaded it");
}

fn assert_child_passed(test: &str) {
    let out = run_in_child(test, "run");
    assert!(
        out.status.success(),
        "child failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Was a bug: a plugin's object passed to a host object's method
/// (`Keeper::keep(Box<dyn Log>)`) is lifted by the host's shim with no
/// library (`ObjectCore::new` outside any `with_owner`): the host can keep
/// it after the plugin's library is unloaded.
#[test]
fn a_plugin_object_given_to_a_host_service_keeps_its_library() {
    if child_case().is_some() {
        kept_objects_hold_the_library(|attack, keeper| attack.give(keeper));
        return;
    }
    assert_child_passed("a_plugin_object_given_to_a_host_service_keeps_its_library");
}

/// Was a bug: the proxy of a plugin's object lent to the host (`Keeper::look(&dyn
/// Log)`) has no library (`ObjectCore::lent`), so an object its methods
/// return (`spawn`) is lifted with none either.
#[test]
fn an_object_made_by_a_lent_plugin_object_keeps_its_library() {
    if child_case().is_some() {
        kept_objects_hold_the_library(|attack, keeper| attack.show(keeper));
        return;
    }
    assert_child_passed("an_object_made_by_a_lent_plugin_object_keeps_its_library");
}

/// The plugin, from a copy of its own: its count of live objects is this
/// test's alone (tests run in parallel).
fn attack() -> Own<AttackPlugin> {
    own("objattack-plugin", |path| AttackPlugin::load(path).unwrap())
}

#[test]
fn a_panic_in_a_plugin_objects_drop_reaches_the_host_once() {
    let a = attack();
    let before = a.live();
    let bomb = a.bomb();
    assert_eq!(bomb.line("x"), 7);
    let err = catch_unwind(AssertUnwindSafe(|| drop(bomb))).unwrap_err();
    let text = panic_text(err);
    assert!(text.contains("destructor"), "{text}");
    assert!(text.contains("blew up"), "{text}");
    assert_eq!(a.live(), before, "the object was dropped, once");
}

#[test]
fn a_panic_in_a_plugin_objects_drop_while_unwinding_does_not_abort() {
    let a = attack();
    let before = a.live();
    let err = catch_unwind(AssertUnwindSafe(|| {
        let _bomb = a.bomb();
        panic!("the host's own panic");
    }))
    .unwrap_err();
    assert_eq!(panic_text(err), "the host's own panic");
    assert_eq!(a.live(), before);
}

#[test]
fn a_panic_in_a_host_objects_drop_in_the_plugin_comes_back() {
    let a = attack();
    let drops = Arc::new(AtomicUsize::new(0));
    let log = Box::new(HostLog {
        drops: drops.clone(),
        bomb: true,
    });
    let err = catch_unwind(AssertUnwindSafe(|| a.swallow(log))).unwrap_err();
    let text = panic_text(err);
    assert!(
        text.contains("blew up") || text.contains("panicked"),
        "{text}"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    // The plugin still works.
    assert_eq!(a.log().line("x"), 7);
}

#[test]
fn a_host_object_given_to_the_plugin_is_dropped_once_there() {
    let a = attack();
    let drops = Arc::new(AtomicUsize::new(0));
    let keeper = HostKeeper::default();
    keeper.keep(Box::new(HostLog {
        drops: drops.clone(),
        bomb: false,
    }));
    let log = keeper.kept.borrow_mut().pop().unwrap();
    a.swallow(log);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

// Plugins built against another version of a nested interface.

/// BUG: nested interfaces are told apart by their bare names
/// (`object::closure` keeps the first interface of each name, and a
/// record is matched by name): `video::Codec`, met after `audio::Codec`,
/// is never checked, and a plugin whose `video::Codec::frames` returns a
/// `u64` where the host expects a `String` loads.
#[test]
fn two_nested_interfaces_of_one_name_are_both_checked() {
    let result = objattack_evolve_v2::RegistryPlugin::load(fixture("objattack-evolve-plugin"));
    match result {
        Err(Error::InterfaceMismatch { interface, .. }) => assert_eq!(interface, "Codec"),
        Err(other) => panic!("expected InterfaceMismatch, got {other:?}"),
        Ok(_) => panic!(
            "loaded a plugin whose video::Codec::frames returns u64 where the host expects String"
        ),
    }
}

/// Was a bug: as above, a nested interface named as the root is taken for the
/// root and never checked.
#[test]
fn a_nested_interface_named_as_the_root_is_checked() {
    let result = objattack_evolve_v2::CodecPlugin::load(fixture("objattack-evolve-plugin"));
    match result {
        Err(Error::InterfaceMismatch { interface, .. }) => assert_eq!(interface, "Codec"),
        Err(other) => panic!("expected InterfaceMismatch, got {other:?}"),
        Ok(_) => panic!(
            "loaded a plugin whose video::Codec::frames returns u64 where the host expects String"
        ),
    }
}

/// Was a bug: the host's `Sink` is neither `Send` nor `Sync`; the plugin was
/// built against a `Sink: Send + Sync`, so it may move the host's sink to
/// its threads. `check::differences` only refuses a plugin that promises
/// less than the host (right for objects the plugin makes); for objects
/// the host makes (arguments) the plugin must not assume more.
#[test]
fn a_plugin_that_assumes_a_host_service_is_send_is_refused() {
    let result = objattack_evolve_v2::ServicesPlugin::load(fixture("objattack-evolve-plugin"));
    let services = match result {
        Err(Error::InterfaceMismatch { interface, .. }) => {
            assert_eq!(interface, "Sink");
            return;
        }
        Err(other) => panic!("expected InterfaceMismatch, got {other:?}"),
        Ok(services) => services,
    };
    // What the plugin then does: calls a `!Send` object of the host's from
    // one of its threads.
    struct RcSink(Rc<RefCell<Vec<(u32, std::thread::ThreadId)>>>);
    impl objattack_evolve_v2::Sink for RcSink {
        fn write(&self, n: u32) {
            self.0.borrow_mut().push((n, std::thread::current().id()));
        }
    }
    let seen = Rc::new(RefCell::new(Vec::new()));
    services.attach(Box::new(RcSink(seen.clone())));
    assert!(services.write_from_thread(5));
    let (_, thread) = seen.borrow()[0];
    panic!(
        "loaded; the host's !Send sink (an Rc) was then called on thread {thread:?}, \
         not the host's {:?}",
        std::thread::current().id()
    );
}

/// Was a bug (what the unchecked interface above led to): the host calls
/// `video::Codec::frames` of a plugin built against the other version and
/// reads the plugin's `RetSlot<u64>` as a `RetSlot<OwnedBuf<u8>>` (another
/// layout: undefined behaviour; seen here as a status byte read out of the
/// wrong place, a spurious panic with an empty message). A mismatched
/// plugin must be refused at load, never reach a call: the child must exit
/// cleanly.
#[test]
fn a_call_on_a_nested_interface_of_a_shared_name_does_not_crash() {
    if child_case().is_some() {
        use objattack_evolve_v2::Registry;
        let Ok(registry) =
            objattack_evolve_v2::RegistryPlugin::load(fixture("objattack-evolve-plugin"))
        else {
            return;
        };
        let frames = registry.video().frames();
        println!("frames: {} bytes", frames.len());
        return;
    }
    assert_child_passed("a_call_on_a_nested_interface_of_a_shared_name_does_not_crash");
}

/// A load of the v1 plugin with the v2 host's view: a refusal, expected
/// to name `interface` (and, if given, `method`).
fn refused<P: std::fmt::Debug>(
    result: Result<P, Error>,
    interface: &str,
    method: Option<&str>,
) -> String {
    match result {
        Err(err @ Error::InterfaceMismatch { .. }) => {
            let text = err.to_string();
            let Error::InterfaceMismatch {
                interface: named,
                differences,
                ..
            } = &err
            else {
                unreachable!()
            };
            assert_eq!(named, interface, "{text}");
            if let Some(method) = method {
                assert!(differences.iter().any(|d| d.method == method), "{text}");
            }
            text
        }
        other => panic!("expected InterfaceMismatch naming {interface}, got {other:?}"),
    }
}

fn evolve() -> std::path::PathBuf {
    fixture("objattack-evolve-plugin")
}

#[test]
fn a_nested_interface_with_methods_swapped_is_refused() {
    use objattack_evolve_v2::more::ReorderRootPlugin;
    refused(ReorderRootPlugin::load(evolve()), "Reordered", None);
}

#[test]
fn a_nested_interface_with_a_new_required_method_is_refused() {
    use objattack_evolve_v2::more::GrowRootPlugin;
    refused(GrowRootPlugin::load(evolve()), "Grown", Some("b"));
}

#[test]
fn a_nested_interface_with_a_new_optional_method_loads_and_runs_its_default() {
    use objattack_evolve_v2::more::{OptionalRoot, OptionalRootPlugin};
    let root = OptionalRootPlugin::load(evolve()).unwrap();
    let (_, object) = root.get();
    assert_eq!(object.a(), 1);
    assert_eq!(object.b(), 42, "the host's default body");
}

#[test]
fn a_nested_interface_whose_plugin_type_changed_is_refused() {
    use objattack_evolve_v2::more::MeasureRootPlugin;
    refused(MeasureRootPlugin::load(evolve()), "Measure", Some("dims"));
}

#[test]
fn a_nested_interface_the_plugin_built_without_send_is_refused() {
    use objattack_evolve_v2::more::WorkerRootPlugin;
    refused(WorkerRootPlugin::load(evolve()), "Worker", None);
}

#[test]
fn a_change_behind_a_cycle_of_nested_interfaces_is_refused() {
    use objattack_evolve_v2::more::CycleRootPlugin;
    refused(CycleRootPlugin::load(evolve()), "Other", Some("n"));
}

/// An object type may override the hidden `__dynplug_into_raw` (safe code)
/// and panic in it: the panic reaches the host as the method's, and the
/// objects already lowered and those not yet lowered are dropped, once.
///
/// Known gap (a leak, not undefined behaviour): the object lowered before
/// the panic is forgotten; its raw form owns it and nothing drops it. Only
/// an override of the hidden method can panic there.
#[test]
#[ignore = "known leak: objects lowered before a panic in an override of the hidden \
            `__dynplug_into_raw` are not dropped (see docs/ARCHITECTURE.md §9)"]
fn a_panic_while_lowering_objects_reaches_the_host_and_drops_them() {
    let a = attack();
    let before = a.live();
    let err = catch_unwind(AssertUnwindSafe(|| a.traps().len())).unwrap_err();
    let text = panic_text(err);
    assert!(text.contains("a trap in the lowering"), "{text}");
    assert_eq!(
        a.live(),
        before,
        "every log the plugin made for the Vec was dropped"
    );
}

/// A host object's method panics while it holds a plugin object it was
/// given: the object is dropped once (in the plugin), and the panic comes
/// back to the plugin as a panic the plugin can catch.
#[test]
fn a_panic_in_a_host_service_given_a_plugin_object_drops_it_once() {
    struct Panicky;
    impl Keeper for Panicky {
        fn keep(&self, log: Box<dyn Log>) {
            assert_eq!(log.line("x"), 7);
            panic!("the host's keeper refuses");
        }
        fn look(&self, _: &dyn Log) {}
    }
    let a = attack();
    let before = a.live();
    assert!(a.give_caught(&Panicky));
    assert_eq!(a.live(), before);
}
