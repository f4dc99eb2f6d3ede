//! Compile errors of `#[plugin_interface]` and `#[plugin_export]`, checked
//! against their expected output (`ui/<area>/<mistake>.stderr`). Regenerate
//! with `TRYBUILD=overwrite cargo test -p dynplug-tests --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/interface/*.rs");
    t.compile_fail("ui/types/*.rs");
    t.compile_fail("ui/export/*.rs");
    t.compile_fail("ui/loader/*.rs");
    t.compile_fail("ui/derive/*.rs");
    t.compile_fail("ui/c_library/*.rs");
    t.pass("ui/pass/*.rs");
}
