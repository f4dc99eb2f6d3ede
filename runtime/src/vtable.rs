//! The table of functions a plugin exports for each interface it
//! implements: its constructor, destructor, panic-relay, nested-interface
//! and package functions, then one shim per method in the interface's
//! declaration order (null for a method whose default body the impl keeps).
//!
//! One symbol per interface, whatever its number of methods: a load looks
//! up two symbols (this table and the metadata record) instead of one per
//! method, which is what makes it cheaper than `dlopen` plus a lookup per
//! function (see BENCHMARKS.md).

use std::ffi::c_void;

use crate::meta::{InterfaceDesc, str_eq};

// The fixed entries (`dynplug_rules::slot`), with their types:
// - `NEW`, the constructor: `extern "C" fn() -> RetSlot<*mut c_void>`;
// - `DROP`, the destructor: `unsafe extern "C" fn(*mut c_void) -> RetSlot<u8>`;
// - `RELAY`, called first at load with the host's panic relay:
//   `extern "C" fn(*const Relay)` (`crate::export::relay`);
// - `NESTED`, the records of the interfaces the root reaches through its
//   methods' types, one by one, as the plugin was built with them
//   (`crate::object::nested_record`);
// - `PACKAGE`, the record of the plugin's package:
//   `extern "C" fn() -> RecordRef`.
pub use dynplug_rules::slot::{
    ROOT_DROP as DROP, ROOT_FIXED as FIXED, ROOT_NESTED as NESTED, ROOT_NEW as NEW,
    ROOT_PACKAGE as PACKAGE, ROOT_RELAY as RELAY,
};

/// A plugin's table for one interface: `N` is [`vtable_len`] of its
/// description.
#[repr(transparent)]
pub struct VTable<const N: usize>(pub [*const c_void; N]);

// SAFETY: the table holds code addresses and is never written after the
// dynamic loader relocated it; reading it from any thread is fine.
unsafe impl<const N: usize> Sync for VTable<N> {}

/// The number of entries in the table of `desc`.
pub const fn vtable_len(desc: &InterfaceDesc) -> usize {
    FIXED + desc.methods.len()
}

/// Builds the table of `desc` at compile time: `fixed` in order, then for
/// each of the interface's methods the shim in `methods` of the same name,
/// or null if the impl does not define it. `methods` usually lists the
/// methods in the trait's order; then each is found in place. A name in
/// `methods` that is not one of the interface's is left out: the compiler
/// already refuses such an impl, and one error is enough.
pub const fn vtable<const N: usize>(
    desc: &InterfaceDesc,
    fixed: [*const c_void; FIXED],
    methods: &[(&str, *const c_void)],
) -> VTable<N> {
    assert!(N == vtable_len(desc), "dynplug: vtable length mismatch");
    let mut table = [std::ptr::null(); N];
    let mut i = 0;
    while i < FIXED {
        table[i] = fixed[i];
        i += 1;
    }
    let mut m = 0;
    while m < desc.methods.len() {
        let name = desc.methods[m].name;
        let mut j = if m < methods.len() { m } else { 0 };
        let mut tried = 0;
        while tried < methods.len() {
            if str_eq(methods[j].0, name) {
                table[FIXED + m] = methods[j].1;
                break;
            }
            j = (j + 1) % methods.len();
            tried += 1;
        }
        m += 1;
    }
    VTable(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::MethodDesc;

    const fn method(name: &'static str) -> MethodDesc {
        MethodDesc {
            name,
            required: true,
            hash: 0,
            signature: "",
            params: &[],
        }
    }

    const DESC: InterfaceDesc = InterfaceDesc {
        name: "T",
        send: false,
        sync: false,
        methods: &[method("a"), method("b"), method("c")],
        meta_symbol: "m",
        vtable_symbol: "v",
    };

    fn at(n: usize) -> *const c_void {
        std::ptr::without_provenance(n)
    }

    #[test]
    fn methods_land_in_the_interfaces_order() {
        // Out of order, and `b` left to its default body.
        let table: VTable<8> = vtable(
            &DESC,
            [at(1), at(2), at(3), at(4), at(5)],
            &[("c", at(30)), ("a", at(10))],
        );
        assert_eq!(
            table.0,
            [
                at(1),
                at(2),
                at(3),
                at(4),
                at(5),
                at(10),
                std::ptr::null(),
                at(30)
            ]
        );
    }

    #[test]
    fn in_order_methods_are_placed_in_place() {
        let table: VTable<8> = vtable(
            &DESC,
            [at(1), at(2), at(3), at(4), at(5)],
            &[("a", at(10)), ("b", at(20)), ("c", at(30))],
        );
        assert_eq!(table.0[FIXED..], [at(10), at(20), at(30)]);
    }

    #[test]
    fn a_foreign_method_is_left_out() {
        let table: VTable<8> = vtable(&DESC, [at(1), at(2), at(3), at(4), at(5)], &[("z", at(10))]);
        assert!(table.0[FIXED..].iter().all(|p| p.is_null()));
    }
}
