//! The symbols a plugin exports. Host and plugin both derive them here from
//! the interface's name, so they agree without either restating them.
//! Changing them is an ABI change (bump `ABI_VERSION` in the runtime), except
//! for the metadata symbol, which never changes: a host must find the record
//! to tell the user that a plugin is of another ABI version.

pub fn meta(interface: &str) -> String {
    format!("__dynplug_meta__{interface}")
}

pub fn new(interface: &str) -> String {
    format!("__dynplug_new__{interface}")
}

pub fn drop(interface: &str) -> String {
    format!("__dynplug_drop__{interface}")
}

pub fn panic(interface: &str) -> String {
    format!("__dynplug_panic__{interface}")
}

pub fn method(interface: &str, method: &str) -> String {
    format!("__dynplug_fn__{interface}__{method}")
}
