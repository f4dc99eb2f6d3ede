//! Comparing the host's view of an interface with a plugin's.

use crate::MethodDifference;
use crate::meta::{InterfaceDesc, InterfaceMeta};

/// The methods of an interface whose objects cross that the plugin has at
/// another index than the host: an object's table is indexed in the
/// plugin's order, and a proxy calls it in the host's. Also a method the
/// plugin lacks at an index where the plugin has another one. New methods
/// go at the end of the trait.
pub(crate) fn moved_methods(host: &InterfaceDesc, plugin: &InterfaceMeta) -> Vec<MethodDifference> {
    let mut out = Vec::new();
    for (index, h) in host.methods.iter().enumerate() {
        let at = plugin.methods.iter().position(|p| p.name == h.name);
        let moved = match at {
            Some(at) => at != index,
            None => index < plugin.methods.len(),
        };
        if moved {
            let plugin_side = match at {
                Some(at) => format!(
                    "{} (method {} of {}: objects are called by position; keep the \
                     methods in order and add new ones at the end)",
                    plugin.methods[at].signature,
                    at + 1,
                    plugin.methods.len()
                ),
                None => format!(
                    "{} at its place (method {} of {})",
                    plugin.methods[index].signature,
                    index + 1,
                    plugin.methods.len()
                ),
            };
            out.push(MethodDifference {
                method: h.name.to_owned(),
                host: Some(format!(
                    "{} (method {} of {})",
                    h.signature,
                    index + 1,
                    host.methods.len()
                )),
                plugin: Some(plugin_side),
                types: Vec::new(),
            });
        }
    }
    out
}

/// The difference in `Send`/`Sync` supertraits of `host` and `plugin`.
pub(crate) fn supertraits_difference(
    host: &InterfaceDesc,
    plugin: &InterfaceMeta,
) -> MethodDifference {
    MethodDifference {
        method: MethodDifference::SUPERTRAITS.to_owned(),
        host: Some(supertraits(host.send, host.sync)),
        plugin: Some(supertraits(plugin.send, plugin.sync)),
        types: Vec::new(),
    }
}

/// Every method whose signature differs between host and plugin, in the
/// host's order, then the plugin's new methods.
///
/// Compatible, so not listed: a method the host has with a default body and
/// the plugin lacks (the default runs), and a method the plugin has with a
/// default body that the host does not know (it is never called).
///
/// Nor is the plugin's panic strategy a difference of the interface: `load`
/// decides on it from the record's own bit (`InterfaceMeta::aborts_on_panic`)
/// and the options.
pub(crate) fn differences(host: &InterfaceDesc, plugin: &InterfaceMeta) -> Vec<MethodDifference> {
    let mut out = Vec::new();
    // A loader is `Send`/`Sync` when the host's trait says so; the plugin's
    // type must have been held to the same promise. Promising more is fine.
    if (host.send && !plugin.send) || (host.sync && !plugin.sync) {
        out.push(supertraits_difference(host, plugin));
    }
    // Usually both sides list the same methods in the same order: then
    // each is compared in place, and no lookup table is built.
    let aligned = host.methods.len() == plugin.methods.len()
        && host
            .methods
            .iter()
            .zip(&plugin.methods)
            .all(|(h, p)| h.name == p.name);
    let by_name: std::collections::HashMap<&str, &crate::meta::MethodMeta> = if aligned {
        std::collections::HashMap::new()
    } else {
        plugin
            .methods
            .iter()
            .map(|p| (p.name.as_str(), p))
            .collect()
    };
    for (index, h) in host.methods.iter().enumerate() {
        let same_place = plugin.methods.get(index).filter(|p| p.name == h.name);
        match same_place.or_else(|| by_name.get(h.name).copied()) {
            Some(p) if p.hash == h.hash => {}
            Some(p) => out.push(MethodDifference {
                method: h.name.to_owned(),
                host: Some(h.signature.to_owned()),
                plugin: Some(p.signature.clone()),
                types: redefined_types(h.params, &p.params),
            }),
            None if h.required => out.push(MethodDifference {
                method: h.name.to_owned(),
                host: Some(h.signature.to_owned()),
                plugin: None,
                types: Vec::new(),
            }),
            None => {}
        }
    }
    if aligned {
        return out;
    }
    let host_names: std::collections::HashSet<&str> = host.methods.iter().map(|h| h.name).collect();
    for p in &plugin.methods {
        if p.required && !host_names.contains(p.name.as_str()) {
            out.push(MethodDifference {
                method: p.name.clone(),
                host: None,
                plugin: Some(p.signature.clone()),
                types: Vec::new(),
            });
        }
    }
    out
}

fn supertraits(send: bool, sync: bool) -> String {
    match (send, sync) {
        (true, true) => "Send + Sync",
        (true, false) => "Send",
        (false, true) => "Sync",
        (false, false) => "neither Send nor Sync",
    }
    .to_owned()
}

/// The types written the same on both sides whose hashes differ: a user
/// type (`#[derive(PluginType)]`) whose definition changed, or an alias
/// that now names another type.
fn redefined_types(host: &[(&str, u64)], plugin: &[(String, u64)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ((h_text, h_hash), (p_text, p_hash)) in host.iter().zip(plugin) {
        if h_text == p_text && h_hash != p_hash && !out.iter().any(|t| t == h_text) {
            out.push((*h_text).to_owned());
        }
    }
    out
}
