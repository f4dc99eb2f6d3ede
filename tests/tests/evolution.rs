//! An interface that gains an optional method stays compatible both ways:
//! a new host loads an old plugin (the host's default body runs), an old
//! host loads a new plugin (the new method is never called). Incompatible
//! changes are in `load_errors.rs`.

use dynplug::{MethodInfo, inspect};
use dynplug_tests::fixture;
use evolve_api_v1::{Evolving as _, EvolvingPlugin as V1Host};
use evolve_api_v2::{Evolving as _, EvolvingPlugin as V2Host};

#[test]
fn a_v2_host_loads_a_v1_plugin_and_runs_its_own_default() {
    let plugin = V2Host::load(fixture("evolve-plugin-v1")).unwrap();
    assert_eq!(plugin.version(), 1);
    assert_eq!(plugin.name(), "plugin one");
    assert_eq!(plugin.describe(false), "host default");
    assert_eq!(plugin.describe(true), "host default (verbose)");
}

#[test]
fn a_v1_host_loads_a_v2_plugin_and_ignores_the_new_method() {
    let plugin = V1Host::load(fixture("evolve-plugin-v2")).unwrap();
    assert_eq!(plugin.version(), 2);
    assert_eq!(plugin.name(), "plugin two");
}

#[test]
fn a_v1_host_loads_a_v1_plugin() {
    let plugin = V1Host::load(fixture("evolve-plugin-v1")).unwrap();
    assert_eq!(plugin.version(), 1);
    assert_eq!(plugin.name(), "plugin one");
}

#[test]
fn a_v2_host_loads_a_v2_plugin_and_runs_the_plugins_describe() {
    let plugin = V2Host::load(fixture("evolve-plugin-v2")).unwrap();
    assert_eq!(plugin.version(), 2);
    assert_eq!(plugin.name(), "plugin two");
    assert_eq!(plugin.describe(false), "plugin two's own describe");
    assert_eq!(
        plugin.describe(true),
        "plugin two, version 2 (verbose)",
        "the plugin's body, with the argument passed through"
    );
}

/// `(name, signature, required)` of every method of the one interface the
/// plugin exports, which must be `Evolving`.
fn methods_of(plugin: &str) -> Vec<(String, String, bool)> {
    let info = inspect(fixture(plugin)).unwrap();
    assert_eq!(info.interfaces.len(), 1, "{info}");
    let interface = &info.interfaces[0];
    assert_eq!(interface.name, "Evolving");
    assert!(interface.loadable(), "{info}");
    interface
        .methods
        .iter()
        .map(|m: &MethodInfo| (m.name.clone(), m.signature.clone(), m.required))
        .collect()
}

#[test]
fn inspect_lists_the_methods_each_plugin_was_built_with() {
    let method =
        |name: &str, signature: &str, required| (name.to_owned(), signature.to_owned(), required);
    assert_eq!(
        methods_of("evolve-plugin-v1"),
        [
            method("version", "fn version(&self) -> u32", true),
            method("name", "fn name(&self) -> String", true),
        ]
    );
    assert_eq!(
        methods_of("evolve-plugin-v2"),
        [
            method("version", "fn version(&self) -> u32", true),
            method("name", "fn name(&self) -> String", true),
            method(
                "describe",
                "fn describe(&self, verbose: bool) -> String",
                false
            ),
        ]
    );
}
