//! The host side: loading a plugin in order (DESIGN.md 4) and the core that
//! every generated loader owns.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::path::Path;

use crate::abi::{Abi, ReturnAbi};
use crate::call::{DropFn, NewFn, RetSlot, STATUS_CALLBACK_PANICKED, STATUS_OK, TakePanicFn};
use crate::library::Library;
use crate::meta::{self, HEADER_LEN, InterfaceDesc, MetaError};
use crate::preflight::{self, FileReport};
pub use crate::shim::Shim;
use crate::{Error, LoadOptions, check};

/// Implemented by `#[plugin_interface]` for `dyn Trait`: what the host and
/// the plugin side know of an interface.
///
/// # Safety
///
/// `DESC` and `META` must describe the trait it is implemented for, as the
/// interface macro generates them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dynplug plugin interface",
    label = "not a plugin interface",
    note = "add `#[dynplug::plugin_interface]` to the trait's definition"
)]
pub unsafe trait Interface {
    /// The interface's description.
    const DESC: &'static InterfaceDesc;
    /// Its metadata record, as a plugin exports it.
    const META: &'static [u8];
}

/// A plugin that passed every check, with its symbols resolved and its
/// instance built; the generated `load` takes its symbols, then its core.
pub struct Loaded {
    /// The instance and the library handle.
    pub core: PluginCore,
    symbols: Vec<Option<*const c_void>>,
}

impl Loaded {
    /// The shim of method `index` (in declaration order), or `None` if the
    /// plugin does not export it (only possible for a method with a default
    /// body).
    #[inline]
    pub fn method(&self, index: usize) -> Option<Shim> {
        self.symbols[index].map(Shim)
    }

    /// Like [`method`](Loaded::method), for a method without a default body,
    /// which `load` made sure is present.
    #[inline]
    pub fn required(&self, index: usize) -> Shim {
        self.method(index)
            .expect("dynplug: required symbol checked at load")
    }
}

/// Loads the plugin at `path` for interface `I`, in the order of DESIGN.md
/// 4: pre-flight checks of the file (no code of it runs), the metadata
/// comparison, `dlopen`, the same record read again from memory, every
/// symbol resolved, the instance built.
pub fn load<I: Interface + ?Sized>(path: &Path, options: &LoadOptions) -> Result<Loaded, Error> {
    let desc = I::DESC;
    let report = preflight::check(path)?;
    let in_file = checked_record(path, desc, &report)?;

    // SAFETY: a plugin is code the user chose to run (see the crate's docs on
    // trust); everything dynplug can check about it before running it was
    // checked above.
    let lib = unsafe { Library::open(path, options) }?;
    let path = lib.path().to_path_buf();
    let interface = desc.name.to_owned();
    let changed = || Error::InvalidLibrary {
        path: path.clone(),
        reason: format!(
            "the `{interface}` metadata in memory differs from the file's: \
             the file changed while it was being loaded"
        ),
    };
    let record = report
        .symbols
        .contains(desc.meta_symbol)
        .then(|| lib.symbol(desc.meta_symbol))
        .flatten()
        .ok_or_else(changed)?;
    // SAFETY: the loader mapped the record the file holds at this symbol,
    // whose header and length pre-flight checked; `same_record` reads no
    // more than the file's record length.
    if !unsafe { same_record(record.cast::<u8>(), &in_file) } {
        return Err(changed());
    }
    let (symbols, fixed) =
        resolve(&lib, desc, &report).map_err(|missing| Error::MissingSymbols {
            path: path.clone(),
            interface: interface.clone(),
            missing,
        })?;
    let [new_fn, drop_fn, panic_fn] = fixed;
    // SAFETY: these symbols carry dynplug's reserved names for this interface
    // and the metadata check passed: they are the shims of these types.
    let (new_fn, drop_fn, take_panic) = unsafe {
        (
            std::mem::transmute::<*const c_void, NewFn>(new_fn),
            std::mem::transmute::<*const c_void, DropFn>(drop_fn),
            std::mem::transmute::<*const c_void, TakePanicFn>(panic_fn),
        )
    };

    // SAFETY: the constructor shim takes no argument and catches panics.
    let made = unsafe { new_fn() };
    if made.status != STATUS_OK {
        // SAFETY: the shim reported a panic, whose message waits in the slot.
        let message = unsafe { String::lift_ret(take_panic()) };
        return Err(Error::Init {
            path,
            interface,
            message,
        });
    }
    let core = PluginCore {
        // SAFETY: status OK means the value is set.
        instance: unsafe { made.value.assume_init() },
        drop_fn,
        take_panic,
        interface: desc.name,
        lib,
    };
    Ok(Loaded { core, symbols })
}

/// The file's record for `desc`, checked against it: present, readable, of
/// this ABI version, and every method compatible.
fn checked_record(
    path: &Path,
    desc: &InterfaceDesc,
    report: &FileReport,
) -> Result<Vec<u8>, Error> {
    let interface = desc.name.to_owned();
    let Some(found) = report.interface(desc.name) else {
        return Err(Error::NotAPlugin {
            path: path.to_path_buf(),
            interface,
            found: report.names(),
        });
    };
    let malformed = |err: MetaError| Error::InvalidLibrary {
        path: path.to_path_buf(),
        reason: format!("the `{}` {err}", desc.name),
    };
    let record = found.record.clone().map_err(malformed)?;
    let meta = meta::decode(&record).map_err(malformed)?;
    if meta.name != desc.name {
        return Err(malformed(MetaError::Malformed(
            "the record's interface name differs from its symbol's",
        )));
    }
    if meta.abi_version != meta::ABI_VERSION {
        return Err(Error::AbiMismatch {
            path: path.to_path_buf(),
            interface,
            host: meta::ABI_VERSION,
            plugin: meta.abi_version,
        });
    }
    let differences = check::differences(desc, &meta);
    if !differences.is_empty() {
        return Err(Error::InterfaceMismatch {
            path: path.to_path_buf(),
            interface,
            differences,
        });
    }
    Ok(record)
}

/// Whether the record at `memory` is `file`, byte for byte.
///
/// # Safety
///
/// `memory` must point to at least [`HEADER_LEN`] readable bytes, and to as
/// many as its header's length says if that is `file.len()`.
unsafe fn same_record(memory: *const u8, file: &[u8]) -> bool {
    // SAFETY: the caller promises the header is readable.
    let header = unsafe { std::slice::from_raw_parts(memory, HEADER_LEN) };
    match meta::read_header(header) {
        Ok((total, _)) if total == file.len() => {
            // SAFETY: the caller promises `total` bytes are readable.
            unsafe { std::slice::from_raw_parts(memory, total) == file }
        }
        _ => false,
    }
}

/// Resolves every symbol of `desc`: the method shims (`None` for a missing
/// optional one) and the constructor, destructor and panic functions; or
/// every missing symbol.
#[allow(clippy::type_complexity, reason = "private, used once")]
fn resolve(
    lib: &Library,
    desc: &InterfaceDesc,
    report: &FileReport,
) -> Result<(Vec<Option<*const c_void>>, [*const c_void; 3]), Vec<String>> {
    // Only the file's own exports: `dlsym` on a handle also searches the
    // library's dependencies, whose shims are not for this instance.
    let own = |symbol: &str| {
        report
            .symbols
            .contains(symbol)
            .then(|| lib.symbol(symbol))
            .flatten()
    };
    let mut missing = Vec::new();
    let symbols: Vec<Option<*const c_void>> = desc
        .methods
        .iter()
        .map(|m| {
            let found = own(m.symbol);
            if found.is_none() && m.required {
                missing.push(m.symbol.to_owned());
            }
            found
        })
        .collect();
    let fixed = [desc.new_symbol, desc.drop_symbol, desc.panic_symbol].map(|symbol| {
        own(symbol).unwrap_or_else(|| {
            missing.push(symbol.to_owned());
            std::ptr::null()
        })
    });
    if missing.is_empty() {
        Ok((symbols, fixed))
    } else {
        Err(missing)
    }
}

/// What every generated loader owns: the plugin instance and the shared
/// handle to its library, which is released last.
pub struct PluginCore {
    instance: *mut c_void,
    drop_fn: DropFn,
    take_panic: TakePanicFn,
    interface: &'static str,
    lib: Library,
}

impl PluginCore {
    /// The instance, to pass to a method's shim.
    #[inline(always)]
    pub fn instance(&self) -> *mut c_void {
        self.instance
    }

    /// The path of the library.
    pub fn path(&self) -> &Path {
        self.lib.path()
    }

    /// Finishes a call of `method`: lifts the value, or re-raises the
    /// plugin's panic in this thread. What the value borrows, it borrows
    /// for `'s`, the borrow of the loader (see [`ReturnAbi`]).
    ///
    /// # Safety
    ///
    /// `ret` must be what the shim of `method`, returning `T`, returned.
    #[inline(always)]
    pub unsafe fn finish<'s, T: ReturnAbi<'s>>(
        &'s self,
        method: &'static str,
        ret: RetSlot<T::Ret>,
    ) -> T {
        if crate::call::failed(ret.status) {
            self.method_panicked(method, ret.status);
        }
        // SAFETY: status OK means the value is set, and the caller promises
        // it is `T`'s lowered return value.
        unsafe { T::lift_ret(ret.value.assume_init()) }
    }

    #[cold]
    #[inline(never)]
    fn method_panicked(&self, method: &str, status: u8) -> ! {
        if status == STATUS_CALLBACK_PANICKED {
            // A callback of ours panicked: raise that panic again, as it was.
            if let Some(payload) = crate::callback::take_host_panic() {
                std::panic::resume_unwind(payload);
            }
        }
        std::panic::panic_any(self.panic_text(&format!("method `{}::{method}`", self.interface)))
    }

    fn panic_text(&self, what: &str) -> String {
        // SAFETY: called right after the plugin reported a panic on this
        // thread; the slot holds its message (or is empty).
        let message = unsafe { String::lift_ret((self.take_panic)()) };
        let file = self.path().file_name().unwrap_or(self.path().as_os_str());
        format!(
            "plugin `{}` panicked in {what}: {message}",
            file.to_string_lossy()
        )
    }

    /// Drops the instance inside the plugin. Called once.
    fn drop_instance(&mut self) {
        // SAFETY: the instance came from the constructor shim and is dropped
        // only here, once (callers make sure of it).
        let ret = unsafe { (self.drop_fn)(self.instance) };
        if ret.status != STATUS_OK {
            let text = self.panic_text(&format!("the destructor of its `{}`", self.interface));
            if std::thread::panicking() {
                eprintln!("{text}");
            } else {
                std::panic::panic_any(text);
            }
        }
    }

    /// Drops the instance, then unloads the library if no other loader
    /// uses it.
    pub fn close(self) -> Result<(), Error> {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, and `lib` is not used through it
        // again: the handle is moved out exactly once. Moved out first, so
        // that a panic in the instance's destructor still releases it.
        let lib = unsafe { std::ptr::read(&this.lib) };
        this.drop_instance();
        lib.close()
    }
}

// SAFETY: the core only hands out the instance pointer; whether the loader
// that owns it may cross or be shared between threads is decided by the
// loader's marker field (`NoSendSupertrait`, ...), which follows the trait's
// supertraits, and so the plugin type's own `Send`/`Sync`.
unsafe impl Send for PluginCore {}
// SAFETY: as above.
unsafe impl Sync for PluginCore {}

/// In a loader whose trait has neither `Send` nor `Sync` as a supertrait:
/// the loader is neither.
pub struct NoSendSyncSupertraits(PhantomData<*mut ()>);

/// In a loader whose trait has `Sync` but not `Send` as a supertrait.
pub struct NoSendSupertrait(PhantomData<*mut ()>);
// SAFETY: only `Send` is withheld; the trait's `Sync` supertrait allows
// sharing.
unsafe impl Sync for NoSendSupertrait {}

/// In a loader whose trait has `Send` but not `Sync` as a supertrait.
pub struct NoSyncSupertrait(PhantomData<*mut ()>);
// SAFETY: only `Sync` is withheld; the trait's `Send` supertrait allows
// moving.
unsafe impl Send for NoSyncSupertrait {}

impl Drop for PluginCore {
    fn drop(&mut self) {
        self.drop_instance();
    }
}

impl std::fmt::Debug for PluginCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("interface", &self.interface)
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}
