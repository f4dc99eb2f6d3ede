//! Load plugins from shared libraries (`.so`, `.dylib`, `.dll`) as ordinary,
//! safe Rust values.
//!
//! Put [`#[plugin_interface]`](plugin_interface) on a trait in a crate that
//! host and plugins share; it generates a loader struct, `GreeterPlugin` for
//! `trait Greeter`, that owns the library and implements the trait:
//!
//! ```ignore
//! #[dynplug::plugin_interface]
//! pub trait Greeter: Send + Sync {
//!     fn greet(&self, name: &str) -> String;
//!     /// Optional: a plugin that does not export it still loads.
//!     fn shout(&self, s: &str) -> String { s.to_uppercase() }
//! }
//! ```
//!
//! In a plugin crate (`crate-type = ["cdylib"]`), put
//! [`#[plugin_export]`](plugin_export) on the implementation; the compiler
//! checks it against the trait:
//!
//! ```ignore
//! #[derive(Default)]
//! struct Hello;
//!
//! #[dynplug::plugin_export]
//! impl greeter_api::Greeter for Hello {
//!     fn greet(&self, name: &str) -> String { format!("Hello, {name}!") }
//! }
//! ```
//!
//! The host loads it and calls it, with no `unsafe` and no lifetime of the
//! library in sight:
//!
//! ```ignore
//! use greeter_api::{Greeter, GreeterPlugin};
//!
//! let plugin = GreeterPlugin::load("target/debug/libhello.so")?;
//! assert_eq!(plugin.greet("world"), "Hello, world!");
//! # Ok::<(), dynplug::Error>(())
//! ```
//!
//! `examples/greeter` in the repository is this example, complete.
//!
//! # What `load` does
//!
//! 1. The path is used as a path: a bare file name is never handed to the
//!    dynamic loader, which would search the system for it.
//! 2. Pre-flight, before any code of the file runs: the path must name a
//!    regular file (never opened in a way that can block) that is a shared
//!    library for this platform, and on ELF platforms every structure the
//!    dynamic loader interprets (program headers, dynamic section, symbol,
//!    hash and version tables, relocations, initialiser arrays, section
//!    headers) must be consistent, so that `dlopen` cannot crash or hang on
//!    it ([`Error::InvalidLibrary`] otherwise: empty, text, truncated,
//!    another architecture, a FIFO, a damaged table...). Only the headers
//!    and tables involved are read. The contents those structures point to
//!    (code, data) are trusted: see the README's "What `load` checks".
//! 3. The interface's metadata record is read from the file and compared
//!    with the host's: dynplug's ABI version, the interface's name, and a
//!    hash of every method's signature. A plugin of another interface is
//!    [`Error::NotAPlugin`]; one built against another version of the
//!    interface is [`Error::InterfaceMismatch`], each differing method with
//!    both signatures. A plugin compiled to abort on panic is
//!    [`Error::AbortsOnPanic`] unless [`LoadOptions::allow_abort_on_panic`]
//!    allows it (see [Panics](#panics)).
//! 4. The library is opened with `RTLD_NOW | RTLD_LOCAL` (its initialisers
//!    run here): a dependency it needs but cannot find fails now.
//! 5. The record is read again from memory and must equal the file's, and
//!    the path must still name the file that was checked.
//! 6. Every method's function is resolved, from the table the plugin
//!    exports for the interface; all missing ones are reported together
//!    ([`Error::MissingSymbols`]).
//! 7. The plugin's instance is built (`Default`, or the function given with
//!    `#[plugin_export(new = ...)]`); a panic there is [`Error::Init`].
//!
//! [`inspect`] runs steps 2 and 3 alone: it lists what a file exports
//! without running any of its code.
//!
//! Adding a method with a default body to an interface is compatible both
//! ways: older plugins load in newer hosts (the default body runs), newer
//! plugins in older hosts.
//!
//! A plugin is code you run: `load` checks that the file is the plugin it
//! claims to be, not that its author meant well. Trust a plugin file as you
//! trust a dependency.
//!
//! # Types at the boundary
//!
//! Methods take `&self` or `&mut self`. Arguments and return values may be:
//!
//! - scalars (`bool`, `char`, `i8`..`i64`, `u8`..`u64`, `isize`, `usize`,
//!   `f32`, `f64`) and `()`, by value;
//! - `u128`, `i128` and `std::time::Duration`, by value (as two words);
//! - `Box<str>` and `Box<[T]>`, as `String` and `Vec<T>`; `Box<T>` of any
//!   of these, as its `T` (a new box on the receiving side); `PathBuf`, as
//!   the platform holds it (any bytes on Unix, UTF-16 units on Windows);
//! - `HashMap`, `BTreeMap`, `HashSet` and `BTreeSet`, as their entries:
//!   copied like a `Vec` of them and rebuilt by the receiver;
//! - `&str` and `&[T]` of scalars, borrowed in place without a copy (a
//!   returned borrow must borrow from `self`: elided lifetime, or the
//!   receiver's, so the loader and its library stay alive while it lives);
//! - `String` and `Vec<T>`, moved: copied into the receiver's allocation and
//!   freed by the allocator they came from, so host and plugin may use
//!   different global allocators;
//! - `Option<T>`, `Result<T, E>`, tuples of up to 12 and arrays `[T; N]`,
//!   of any of these, nested in any combination;
//! - structs and enums with [`#[derive(PluginType)]`](PluginType), generic
//!   ones included, with any number of fields and variants.
//!
//! Arguments may also be `&T` and `&[T]` of any supported type (copied for
//! the call when they cannot be borrowed in place), `&Path` (in place on
//! Unix; on Windows its UTF-16 units, made into a path for the call; to
//! callbacks too), `&mut [T]` of scalars
//! (lent in place), `&mut T` of any supported type (copied in and written
//! back after the call: the plugin may grow a `String` or `Vec`), and
//! callbacks, `&dyn Fn(A..) -> R` or `&mut dyn FnMut(A..) -> R`, which the
//! plugin may call during the call; a panic in a callback reaches the host
//! as the same panic.
//!
//! A callback's arguments are what a method takes, and borrows the plugin
//! lends the host's closure for that one callback call: `&str`, `&T` and
//! `&[T]` of owned types (scalars, `String`, `Vec`, plugin types, ...), and
//! `Option`, `Result`, `Vec` and tuples of them. The visitor a plugin offers
//! over what it holds is written as in plain Rust:
//!
//! ```ignore
//! #[dynplug::plugin_interface]
//! pub trait Catalogue {
//!     fn visit(&self, visit: &mut dyn FnMut(&Item));
//!     fn find(&self, name: &str, found: &mut dyn FnMut(Option<&Item>));
//! }
//!
//! // In the host: borrow for the call, copy what you keep.
//! let mut names = Vec::new();
//! catalogue.visit(&mut |item| names.push(item.name.clone()));
//! ```
//!
//! `&str` and `&[T]` of scalars are the plugin's bytes, in place; other
//! values are copied into the host's memory for the call. A callback's
//! result owns its data.
//!
//! ## Borrows from a plugin
//!
//! A borrow the host receives from a plugin points into the plugin's memory,
//! and dangles once the plugin's instance is dropped or its library
//! unmapped. So nothing a plugin hands the host may borrow beyond what keeps
//! that memory alive:
//!
//! - a returned borrow borrows from `self`, the loader (which keeps the
//!   instance and the library);
//! - a callback's arguments borrow for the callback call only: the
//!   closure's lifetimes are elided, and the compiler proves that every
//!   borrow in the arguments has exactly that lifetime;
//! - the value a `&mut T` argument is written back with, the fields of a
//!   `PluginType` and a callback's result own their data.
//!
//! These are trait bounds on the types as the compiler resolves them, not
//! rules on how a type is spelled: with `type Name = &'static str;`, a
//! callback taking `(&str, Name)`, `Option<Name>` or `Vec<Name>`, a
//! `&mut (String, Name)` argument and a `Name` field are each a compile
//! error.
//!
//! Anything else is a compile error that points at the type.
//!
//! # C libraries
//!
//! The same attribute binds a plain C library at run time, like bindgen's
//! `--dynamic-loading` output, but with every function resolved (and every
//! missing one reported) at load:
//!
//! ```no_run
//! #[dynplug::plugin_interface(c_library)]
//! pub trait Libm: Send + Sync {
//!     fn cos(&self, x: f64) -> f64;
//!     #[symbol = "pow"]
//!     fn power(&self, x: f64, y: f64) -> f64;
//!     /// Optional: runs when the library lacks it (`has_exp10()` says).
//!     fn exp10(&self, x: f64) -> f64 { 10f64.powf(x) }
//! }
//!
//! // SAFETY: these declarations match libm's.
//! let libm = unsafe { LibmLibrary::load_by_name("libm.so.6") }?;
//! assert_eq!(libm.cos(0.0), 1.0);
//! # Ok::<(), dynplug::Error>(())
//! ```
//!
//! Only types with a C representation ([`CType`]) are allowed; a
//! `#[repr(C)]` struct gets one with `#[derive(CType)]`. Loading is `unsafe`:
//! no metadata can vouch for a C function's signature. Variadic functions
//! (`printf`) cannot be bound: their argument types are only known at each
//! call.
//!
//! # Panics
//!
//! A panic inside a plugin method is caught in the plugin and raised again
//! in the host's thread as a panic whose payload is a `String` naming the
//! library's file, the method, where in the plugin it panicked and the
//! plugin's message:
//!
//! ```text
//! plugin `libhello.so` panicked in method `Greeter::greet` at src/lib.rs:12:9: the disk is on fire
//! ```
//!
//! The host may catch it with [`std::panic::catch_unwind`] and go on using
//! the plugin.
//!
//! The panic is reported once, by the host: dynplug installs a panic hook
//! in the plugin's std (when the plugin builds its first instance) that
//! prints nothing for a panic inside a plugin method, constructor or
//! destructor, and hands any other panic (on a thread of the plugin's own,
//! say) to the hook it replaced. So the host's panic hook decides what is
//! printed, plugin panics included; a panic in the plugin's constructor is
//! only the [`Error::Init`] it becomes. The plugin's std is normally a copy
//! of its own; if host and plugin share one (both linked with `-C
//! prefer-dynamic`), they share the hook too, and a hook the host sets after
//! loading replaces the plugin's: a plugin panic then also prints from it.
//! A panic in a host callback is reported by the host's hook, once, and
//! reaches the host again as the same payload.
//!
//! A plugin compiled with `panic = "abort"` cannot unwind: its first panic
//! ends the whole process, and nothing can catch that. The plugin's crate
//! records its panic strategy in the interface's metadata, so `load`
//! refuses such a plugin with [`Error::AbortsOnPanic`] before running any
//! of its code, unless [`LoadOptions::allow_abort_on_panic`] allows it;
//! [`inspect`] shows it ([`InterfaceInfo::aborts_on_panic`]). The panics
//! of an allowed one print from the plugin's std, which is all that can
//! report them before the process ends.
//!
//! # Sharing, threads, lifetime
//!
//! A loader owns a shared handle to its library: two loaders of one file
//! share the library, and each has its own instance. A loader is `Send`
//! and `Sync` exactly when the trait has `Send` and `Sync` supertraits
//! (which also makes the plugin's type `Send + Sync`). Dropping a loader
//! drops its instance inside the plugin.
//!
//! # Closing and unloading
//!
//! Safe code never unmaps a library. Dropping a loader, or calling its
//! `close()`, drops its instance inside the plugin and releases its handle;
//! the library stays mapped for the rest of the process ([`Closed::KeptMapped`]),
//! so nothing the plugin left behind (a thread still running its code, a
//! callback or thread-local destructor it registered, a pointer into its
//! memory) can ever dangle.
//!
//! Unloading is an `unsafe` opt-in, [`LoadOptions::unload_when_unused`],
//! whose caller promises that nothing of the plugin's outlives its last
//! loader. Then the last loader's drop or `close()` unloads the library,
//! and `close()` says what the system did: [`Closed::Unloaded`], or
//! [`Closed::StillMapped`] when the system kept it mapped all the same
//! (glibc does while a thread-local destructor of the library is
//! registered). While other loaders hold the library, `close()` returns
//! [`Error::InUse`].

#![warn(missing_docs)]

mod abi;
mod call;
mod callback;
mod catalog;
mod check;
mod clib;
mod copy;
#[cfg(all(unix, not(target_vendor = "apple")))]
mod elf;
mod error;
mod export;
#[cfg(feature = "hot")]
mod hot;
mod inspect;
mod library;
mod meta;
mod object;
mod options;
mod os;
mod plugin;
mod preflight;
mod shim;
mod signature;
mod vtable;

pub use catalog::{Catalog, Entry, ScanOptions};
pub use clib::CType;
pub use dynplug_macros::{CType, PluginType, plugin_export, plugin_interface};
pub use error::{Error, MethodDifference};
#[cfg(feature = "hot")]
pub use hot::{Current, Hot, HotCache, HotOptions, Version};
pub use inspect::{InterfaceInfo, LibraryInfo, MethodInfo, inspect};
pub use library::Closed;
pub use meta::Package;
pub use options::LoadOptions;
pub use plugin::Plugin;
pub use signature::{InvalidKey, PublicKey, signature_path, verify_signature};

/// What generated code needs. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::abi::{
        Abi, BorrowsProbe, Boxed, CallbackArg, Lent, MutHolder, Owned, OwnedBuf, RawMut, RawOption,
        RawResult, RawSlice, RawSliceMut, RefArg, ReturnAbi, Scalar, SliceHolder, as_array, fnv1a,
        hold_owned, lift_slice, lower_owned, lower_slice, mix, signature_hash, view_owned,
    };
    pub use crate::abi::{
        Args1, Args2, Args3, Args4, Args5, Args6, Args7, Args8, Args9, Args10, Args11, Args12,
        ProbeAbi, ProbeNotAbi,
    };
    pub use crate::abi::{
        RawEnum, RawUnion1, RawUnion2, RawUnion3, RawUnion4, RawUnion5, RawUnion6, RawUnion7,
        RawUnion8, RawUnion9, RawUnion10, RawUnion11, RawUnion12, RawUnion13, RawUnion14,
        RawUnion15, RawUnion16,
    };
    pub use crate::abi::{
        RawTuple1, RawTuple2, RawTuple3, RawTuple4, RawTuple5, RawTuple6, RawTuple7, RawTuple8,
        RawTuple9, RawTuple10, RawTuple11, RawTuple12,
    };
    pub use crate::call::{RetSlot, STATUS_OK, STATUS_PANICKED};
    pub use crate::callback::{RawFn, RawOptionalFn, call_back, host_callback};
    pub use crate::clib::{CFnPtr, CLibrary, CLoaded, CSymbol};

    /// C-library loading, for the generated `c_library` bindings.
    pub mod clib {
        pub use crate::clib::{load, load_by_names};
    }

    /// Compiles only if `T` has a C representation.
    pub const fn assert_ctype<T: crate::CType>() {}
    pub use crate::export::{DefaultInstance, call, drop_instance, join_relay, new_instance};
    pub use crate::meta::{
        InterfaceDesc, MethodDesc, PackageDesc, encode, encode_package, encoded_len, package_len,
        str_eq, to_array, with_panic_strategy,
    };
    pub use crate::plugin::{Interface, Loaded, PluginCore, Shim, load};
    pub use crate::plugin::{NoSendSupertrait, NoSendSyncSupertraits, NoSyncSupertrait};
    pub use crate::preflight::quick_preflight;

    /// Forgets which files passed pre-flight, so that the next load of each
    /// reads it again: for dynplug's benchmarks and tests.
    pub fn forget_checked_files() {
        #[cfg(unix)]
        crate::preflight::checked::clear();
    }
    pub use crate::__object_abi as object_abi;
    pub use crate::object::{
        Instance, LentMut, LentRef, Node as ObjectNode, ObjectCore, ObjectInterface, ObjectTable,
        OwnedObject, Owner as ObjectOwner, RawObject, RecordRef, TableFor, boxed_object, drop_box,
        finish, method_entry, nested_record,
    };
    pub use crate::vtable::{VTable, vtable, vtable_len};
    pub use core::ffi::c_void;
    /// The rules both sides agree on: generated code takes the slots and
    /// the type hashes' constructors from here.
    pub use dynplug_rules as rules;

    /// Compiles only if `T` is `Send`.
    pub const fn assert_send<T: ?Sized + Send>() {}
    /// Compiles only if `T` is `Sync`.
    pub const fn assert_sync<T: ?Sized + Sync>() {}
    pub use core::option::Option;
    pub use core::result::Result;
    pub use std::path::Path;
}
