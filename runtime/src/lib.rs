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
//!    both signatures.
//! 4. The library is opened with `RTLD_NOW | RTLD_LOCAL` (its initialisers
//!    run here): a dependency it needs but cannot find fails now.
//! 5. The record is read again from memory and must equal the file's.
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
//! - `&str` and `&[T]` of scalars, borrowed in place without a copy (a
//!   returned borrow must borrow from `self`: elided lifetime, or the
//!   receiver's, so the loader and its library stay alive while it lives);
//! - `String` and `Vec<T>`, moved: copied into the receiver's allocation and
//!   freed by the allocator they came from, so host and plugin may use
//!   different global allocators;
//! - `Option<T>`, `Result<T, E>` and tuples of up to 12, of any of these,
//!   nested in any combination;
//! - structs and enums with [`#[derive(PluginType)]`](PluginType).
//!
//! Arguments may also be `&T` and `&[T]` of any supported type (copied for
//! the call when they cannot be borrowed in place), `&mut [T]` of scalars
//! (lent in place), `&mut T` of any supported type (copied in and written
//! back after the call: the plugin may grow a `String` or `Vec`), and
//! callbacks, `&dyn Fn(A..) -> R` or `&mut dyn FnMut(A..) -> R`, which the
//! plugin may call during the call; a panic in a callback reaches the host
//! as the same panic.
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
//! library's file, the method (`Greeter::greet`) and the plugin's message.
//! The host may catch it with [`std::panic::catch_unwind`] and go on using
//! the plugin. A plugin built with `panic = "abort"` aborts the process
//! instead: nothing can catch that.
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
//! By default a library stays mapped after its last loader is gone:
//! unloading is unreliable across platforms (see
//! [`LoadOptions::unload_when_unused`]). `close()` on a loader drops its
//! instance and unloads the library now, or returns [`Error::InUse`] if
//! other loaders still hold it. Unloading is only as safe as the plugin: one
//! that left a thread running, or handed out a reference to its own static
//! data, crashes the process when its library is unmapped.

#![warn(missing_docs)]

mod abi;
mod call;
mod callback;
mod check;
mod clib;
#[cfg(all(unix, not(target_vendor = "apple")))]
mod elf;
mod error;
mod export;
mod inspect;
mod library;
mod meta;
mod options;
mod os;
mod plugin;
mod preflight;
mod shim;
mod vtable;

pub use clib::CType;
pub use dynplug_macros::{CType, PluginType, plugin_export, plugin_interface};
pub use error::{Error, MethodDifference};
pub use inspect::{InterfaceInfo, LibraryInfo, MethodInfo, inspect};
pub use options::LoadOptions;

/// What generated code needs. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::abi::{
        Abi, MutHolder, Owned, OwnedBuf, RawMut, RawOption, RawResult, RawSlice, RawSliceMut,
        ReturnAbi, Scalar, SliceHolder, fnv1a, lift_slice, lower_slice, mix, signature_hash,
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
    pub use crate::callback::{RawFn, call_back, host_callback};
    pub use crate::clib::{CFnPtr, CLibrary, CLoaded, CSymbol};

    /// C-library loading, for the generated `c_library` bindings.
    pub mod clib {
        pub use crate::clib::{load, load_by_names};
    }

    /// Compiles only if `T` owns all of its data.
    pub const fn assert_owned<T: Owned>() {}

    /// Compiles only if `T` has a C representation.
    pub const fn assert_ctype<T: crate::CType>() {}
    pub use crate::export::{DefaultInstance, call, drop_instance, new_instance, take_panic};
    pub use crate::meta::{InterfaceDesc, MethodDesc, encode, encoded_len, str_eq, to_array};
    pub use crate::plugin::{Interface, Loaded, PluginCore, Shim, load};
    pub use crate::plugin::{NoSendSupertrait, NoSendSyncSupertraits, NoSyncSupertrait};
    pub use crate::preflight::quick_preflight;

    /// Forgets which files passed pre-flight, so that the next load of each
    /// reads it again: for dynplug's benchmarks and tests.
    pub fn forget_checked_files() {
        #[cfg(unix)]
        crate::preflight::checked::clear();
    }
    pub use crate::vtable::{VTable, vtable, vtable_len};
    pub use core::ffi::c_void;

    /// Compiles only if `T` is `Send`.
    pub const fn assert_send<T: ?Sized + Send>() {}
    /// Compiles only if `T` is `Sync`.
    pub const fn assert_sync<T: ?Sized + Sync>() {}
    pub use core::option::Option;
    pub use core::result::Result;
    pub use std::path::Path;
}
