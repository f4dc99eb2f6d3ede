//! The rules that a host and a plugin must agree on, kept in one place for
//! the two crates that apply them: `dynplug-macros`, which generates the
//! code on each side, and `dynplug`, the runtime that checks and calls it.
//! Neither restates a rule of this crate; each takes it from here.
//!
//! What lives here:
//! - [`ABI_VERSION`]: the version of the calling convention as a whole;
//! - [`symbol`]: the names of the symbols a plugin exports;
//! - [`slot`]: the fixed entries of an interface's and an object's table;
//! - [`limit`]: how many arguments, tuple elements, fields and variants
//!   cross (the runtime has one generic type per arity, up to these);
//! - [`SCALARS`]: the types that cross as themselves;
//! - [`hash`]: how a signature is hashed, with the tag of every type
//!   constructor.
//!
//! Changing anything here except [`limit`] (which only grows what compiles)
//! changes what a plugin and its host exchange: bump [`ABI_VERSION`].
//!
//! Use the `dynplug` crate: this one is its implementation detail.

#![no_std]
#![forbid(unsafe_code)]

pub mod hash;

/// The version of the calling convention: the layout of the tables, the
/// lowered forms of the types, the status codes of a call. A plugin built
/// for another version is refused at load, before any of its code runs.
///
/// Bumped whenever shims, lowered types, symbol names or the tables change
/// incompatibly. Version 2: one table of functions per interface instead
/// of one symbol per method. Version 3: bit 2 of a record's flags says
/// whether the plugin aborts on panic, and a panic's message starts with
/// the panic's location. Version 4: the root table's fourth fixed entry
/// hands over the records of the interfaces the root reaches (objects).
/// Version 5: a fifth fixed entry hands over the plugin's package record.
/// Version 6: panics are relayed to the host's slot (the root table's third
/// entry joins the plugin to the host's relay; an object's table has no
/// panic function). Version 7: an array argument crosses as a slice of its
/// lowered elements (it was the elements by value), and `&[T; N]` as the
/// slice of the caller's elements.
pub const ABI_VERSION: u32 = 7;

/// The symbols a plugin exports, one pair per interface it implements: the
/// interface's name follows each prefix. The metadata record's prefix never
/// changes, whatever the ABI version: a host must find the record to tell
/// the user that a plugin is of another version.
pub mod symbol {
    /// The prefix of an interface's metadata record.
    pub const META_PREFIX: &str = "__dynplug_meta__";
    /// The prefix of an interface's table of functions.
    pub const VTABLE_PREFIX: &str = "__dynplug_vtable__";
    /// Between an interface's name and an export's, in the symbols of a
    /// named export (`#[plugin_export(name = "fast")]`):
    /// `__dynplug_meta__Greeter.fast`. Not a character of an identifier,
    /// nor of an export's name.
    pub const EXPORT_SEPARATOR: char = '.';
    /// The prefix of the record of the package an export was built from
    /// (its name, version, ...), read by `inspect` without running code.
    pub const PACKAGE_PREFIX: &str = "__dynplug_package__";
}

/// The fixed entries of the tables of functions, before the methods'
/// (which follow in the interface's declaration order).
pub mod slot {
    /// How many entries of a plugin's root table come before the methods'.
    pub const ROOT_FIXED: usize = 5;
    /// The root instance's constructor.
    pub const ROOT_NEW: usize = 0;
    /// The root instance's destructor.
    pub const ROOT_DROP: usize = 1;
    /// The function the host calls first at load, with its panic relay:
    /// the plugin's shims then leave the panics they catch with the host.
    pub const ROOT_RELAY: usize = 2;
    /// The function that hands over, one by one, the records of the
    /// interfaces the root reaches through its methods' types.
    pub const ROOT_NESTED: usize = 3;
    /// The function that hands over the record of the plugin's package.
    pub const ROOT_PACKAGE: usize = 4;

    /// How many entries of an object's table come before the methods'.
    pub const OBJECT_FIXED: usize = 2;
    /// The table's length in entries (an integer in a pointer).
    pub const OBJECT_LEN: usize = 0;
    /// The object's destructor.
    pub const OBJECT_DROP: usize = 1;
}

/// What crosses, counted. The runtime has one function or type per arity up
/// to each limit (and checks at compile time that it has them all); the
/// macros refuse more arguments or tuple elements, with a message naming the
/// limit, and nest more fields or variants of a `PluginType`.
pub mod limit {
    /// Arguments of a method besides its receiver.
    pub const ARGS: usize = 12;
    /// Elements of a tuple (`RawTupleN`); a `PluginType`'s fields cross as
    /// such tuples, nested when there are more.
    pub const TUPLE: usize = 12;
    /// Members of a `RawUnionN`; a `PluginType` enum's variants cross as
    /// such unions, nested when there are more.
    pub const VARIANTS: usize = 16;
}

/// The types that cross as themselves (a `Vec` or slice of them without
/// conversion), by the name a type hash gives them.
pub const SCALARS: &[&str] = &[
    "bool", "char", "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize", "f32",
    "f64",
];
