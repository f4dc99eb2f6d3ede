//! The symbols a plugin exports. Host and plugin both derive them here from
//! the interface's name, so they agree without either restating them.
//! Changing them is an ABI change (bump `ABI_VERSION` in the runtime), except
//! for the metadata symbol, which never changes: a host must find the record
//! to tell the user that a plugin is of another ABI version.

pub fn meta(interface: &str) -> String {
    format!("__dynplug_meta__{interface}")
}

pub fn vtable(interface: &str) -> String {
    format!("__dynplug_vtable__{interface}")
}
