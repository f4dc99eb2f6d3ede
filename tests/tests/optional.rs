//! Methods with a default body are optional.

use dynplug_tests::fixture;
use fixture_api::{Greeter, GreeterPlugin};

#[test]
fn a_plugin_without_the_method_runs_the_default() {
    let plugin = GreeterPlugin::load(fixture("hello-plugin")).unwrap();
    assert!(
        !plugin.has_shout(),
        "hello-plugin keeps the default `shout`"
    );
    assert_eq!(plugin.shout("hi"), "HI! (host default)");
}

#[test]
fn a_plugin_with_the_method_runs_its_own() {
    let plugin = GreeterPlugin::load(fixture("loud-plugin")).unwrap();
    assert!(plugin.has_shout(), "loud-plugin exports its own `shout`");
    assert_eq!(plugin.shout("hi"), "HI (plugin)");
}

#[test]
fn new_builds_the_instance_with_the_given_function() {
    let mut plugin = GreeterPlugin::load(fixture("loud-plugin")).unwrap();
    assert_eq!(plugin.greet("you"), "HEY, you!");
    assert_eq!(
        plugin.bump(),
        110,
        "Loud::with_greeting starts the count at 100"
    );
    assert_eq!(plugin.add(6, 7), 42);
}
