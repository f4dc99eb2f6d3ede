//! The symbols a plugin exports, named by the rules both sides share
//! (`dynplug_rules::symbol`): host and plugin derive them from the
//! interface's name, so they agree without either restating them.

use dynplug_rules::symbol::{META_PREFIX, PACKAGE_PREFIX, VTABLE_PREFIX};

pub fn meta(interface: &str) -> String {
    format!("{META_PREFIX}{interface}")
}

pub fn vtable(interface: &str) -> String {
    format!("{VTABLE_PREFIX}{interface}")
}

pub fn package(interface: &str) -> String {
    format!("{PACKAGE_PREFIX}{interface}")
}
