//! Not a benchmark: checks, once, that every approach the benchmarks time
//! works and agrees, so that `cargo test` notices when they break.

use bench_plugin::{Bench, Impl};
use dynplug_bench::calls::{CASES, Callers};
use dynplug_bench::load::{self, SIZES, Wide};

#[test]
fn every_call_approach_adds() {
    let callers = Callers::new();
    for case in CASES {
        // add(0, 1) + add(1, 1) + add(2, 1)
        assert_eq!(callers.run(case, 3), 6, "{case}");
    }
    assert_eq!(callers.dynplug(40, 2), 42);
    assert_eq!(callers.raw_fn_pointer(40, 2), 42);
}

#[test]
fn returns_match_in_process() {
    let plugin = bench_plugin::BenchPlugin::load(dynplug_bench::library("bench-plugin"))
        .expect("dynplug loads bench-plugin");
    assert_eq!(plugin.greet("world"), Impl.greet("world"));
    assert_eq!(plugin.bytes(1024), Impl.bytes(1024));
}

#[test]
fn every_load_approach_loads_every_size() {
    for n in SIZES {
        let wide = Wide::new(n);
        let (_library, functions) = load::libloading(&wide);
        assert_eq!(functions.len(), n);
        // SAFETY: `MethodFn` is the functions' type.
        assert_eq!(unsafe { functions[n - 1](1) }, n as u32);
        drop(load::dlopen2(&wide));
        drop(load::dynplug(&wide, &dynplug::LoadOptions::new()));
        let info = dynplug::inspect(&wide.path).expect("inspect");
        assert_eq!(info.interfaces[0].methods.len(), n);
    }
}

#[test]
fn objects_add_on_both_sides_and_are_made_and_dropped() {
    let objects = dynplug_bench::objects::Objects::new();
    for case in dynplug_bench::objects::CASES {
        assert_eq!(objects.run(case, 4), 1 + 2 + 3 + 4, "{case}");
    }
    objects.make_dynplug();
    objects.make_in_process();
}

#[test]
fn every_hot_call_approach_adds() {
    let callers = dynplug_bench::hot::HotCallers::new();
    for case in dynplug_bench::hot::CASES {
        // add(0, 1) + add(1, 1) + add(2, 1)
        assert_eq!(callers.run(case, 3), 6, "{case}");
    }
    assert_eq!(callers.hot_get(40, 2), 42);
    assert_eq!(callers.hot().generation(), 1);
    dynplug_bench::hot::folders().remove();
}
