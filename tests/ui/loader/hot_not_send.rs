// Hot reload loads each version on the watcher's thread and shares it
// between the callers' threads: the interface must be `Send + Sync`.
fn main() {
    // `Types` has neither supertrait: refused.
    let _ = dynplug::Hot::<fixture_api::TypesLoader>::watch("libtypes.so");
}
