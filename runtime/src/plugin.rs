//! The host side: loading a plugin in order (docs/ARCHITECTURE.md §4) and
//! the core that every generated loader owns.

use std::borrow::Cow;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::path::Path;

use crate::call::{DropFn, JoinRelayFn, NewFn, STATUS_OK};
use crate::library::Library;
use crate::meta::{self, HEADER_LEN, InterfaceDesc, MetaError};
use crate::object::{ObjectInterface, RecordRef};
use crate::preflight::{self, FileReport};
pub use crate::shim::Shim;
use crate::vtable;
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
    note = "add `#[dynplug::plugin_interface]` to the trait's definition (if it has one, fix \
            the errors reported there)"
)]
pub unsafe trait Interface {
    /// The interface's description.
    const DESC: &'static InterfaceDesc;
    /// Its metadata record, as a plugin exports it.
    const META: &'static [u8];
    /// The function a plugin's root table hands over the records of the
    /// interfaces this one reaches with (`crate::object::nested_record`).
    const NESTED: extern "C" fn(usize) -> crate::object::RecordRef;
    /// `Self` again. `#[plugin_export]` names its trait's object table as
    /// `<<dyn Trait as Interface>::This as TableFor<T>>`: for a trait
    /// without `#[plugin_interface]` the compiler then reports only that it
    /// is not an interface, and not again that it has no table.
    type This: ?Sized;
}

/// What every plugin loader `#[plugin_interface]` generates implements
/// (`GreeterPlugin` for `trait Greeter`), so that generic code can load any
/// plugin type: a [`Catalog`](crate::Catalog)'s entries, a registry of your
/// own. Each function is the loader's inherent one of the same name, which
/// a plugin interface cannot have a method of (the macro refuses it), so
/// the names never collide with the trait's.
///
/// ```no_run
/// fn load_all<P: dynplug::Plugin>(paths: &[&str]) -> Vec<Result<P, dynplug::Error>> {
///     paths.iter().map(|path| P::load(path)).collect()
/// }
/// ```
pub trait Plugin: Sized {
    /// The interface as a trait object type: `dyn Greeter` for
    /// `GreeterPlugin`.
    type Interface: ?Sized + Interface;

    /// Loads the plugin library at `path` (the loader's `load`).
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the file and what is wrong with it.
    fn load(path: impl AsRef<Path>) -> Result<Self, Error>;

    /// Like [`load`](Plugin::load), with options (the loader's `load_with`).
    ///
    /// # Errors
    ///
    /// As for [`load`](Plugin::load).
    fn load_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Self, Error>;

    /// Loads the library's export named `name` (the loader's `load_named`).
    ///
    /// # Errors
    ///
    /// As for [`load`](Plugin::load), and [`Error::NoSuchExport`].
    fn load_named(path: impl AsRef<Path>, name: &str) -> Result<Self, Error>;

    /// The path of the plugin's library.
    fn path(&self) -> &Path;

    /// The package the plugin was built from (the loader's `package`).
    fn package(&self) -> crate::Package;
}

/// A plugin that passed every check, with its functions found and its
/// instance built; the generated `load` takes its shims, then its core.
pub struct Loaded {
    /// The instance and the library handle.
    pub core: PluginCore,
    shims: Vec<Option<*const c_void>>,
}

impl Loaded {
    /// The shim of method `index` (in declaration order), or `None` if the
    /// plugin does not define it (only possible for a method with a default
    /// body).
    #[inline]
    pub fn optional(&self, index: usize) -> Option<Shim> {
        self.shims[index].map(Shim)
    }

    /// Like [`optional`](Loaded::optional), for a method without a default body,
    /// which `load` made sure is present.
    #[inline]
    pub fn required(&self, index: usize) -> Shim {
        self.optional(index)
            .expect("dynplug: required method checked at load")
    }
}

/// What pre-flight settled about the plugin's table of functions.
pub(crate) struct Layout {
    /// The record, as the file holds it.
    record: Cow<'static, [u8]>,
    /// The number of entries in the plugin's table.
    entries: usize,
    /// For each of the host's methods, its index among the plugin's, if
    /// the plugin has it.
    slots: Vec<Option<usize>>,
    /// Whether the record says the plugin aborts on panic (`meta`).
    aborts_on_panic: bool,
    /// The name of the export the layout is of (`None`: the unnamed one).
    export: Option<String>,
}

/// The record's and the table's symbols of `desc`'s export `export` (the
/// interface's own, unnamed, when `None`).
fn symbols(
    desc: &'static InterfaceDesc,
    export: Option<&str>,
) -> (Cow<'static, str>, Cow<'static, str>) {
    match export {
        None => (desc.meta_symbol.into(), desc.vtable_symbol.into()),
        Some(_) => {
            let (meta, vtable) = preflight::export_symbols(desc.name, export);
            (meta.into(), vtable.into())
        }
    }
}

/// Loads the plugin at `path` for interface `I`, in the order of
/// docs/ARCHITECTURE.md §4: pre-flight checks of the file (no code of it runs), the metadata
/// comparison, `dlopen`, the same record read again from memory, the
/// table of functions read, the instance built.
pub fn load<I: ObjectInterface + ?Sized>(
    path: &Path,
    options: &LoadOptions,
) -> Result<Loaded, Error> {
    let desc = I::DESC;
    let wanted = options.export.as_deref();
    let opened = crate::signature::prepared(path, preflight::open_to_load(path)?, options)?;
    // The cache of checked files knows unnamed exports of files at their
    // paths only.
    let layout = if wanted.is_none() && !opened.is_copy() && already_checked::<I>(&opened) {
        same_interface(desc, I::META)
    } else {
        preflight_for::<I>(path, &opened, wanted)?
    };
    if layout.aborts_on_panic && !options.allow_abort_on_panic {
        return Err(Error::AbortsOnPanic {
            path: path.to_path_buf(),
            interface: desc.name.to_owned(),
        });
    }

    // SAFETY: a plugin is code the user chose to run (see the crate's docs on
    // trust); everything dynplug can check about it before running it was
    // checked above.
    let lib = unsafe { Library::open(path, &opened, options) }?;
    drop(opened);
    let path = lib.path().to_path_buf();
    let interface = desc.name.to_owned();
    let changed = || Error::InvalidLibrary {
        path: path.clone(),
        reason: format!(
            "the `{interface}` metadata in memory differs from the file's: \
             the file changed while it was being loaded"
        ),
    };
    // Pre-flight made sure the file itself defines both symbols.
    let (meta_symbol, vtable_symbol) = symbols(desc, layout.export.as_deref());
    let record = lib.symbol(&meta_symbol).ok_or_else(changed)?;
    // SAFETY: the loader mapped the record the file holds at this symbol,
    // whose header and length pre-flight checked; `same_record` reads no
    // more than the file's record length.
    if !unsafe { same_record(record.cast::<u8>(), &layout.record) } {
        return Err(changed());
    }
    let table = lib.symbol(&vtable_symbol).ok_or_else(changed)?;
    // SAFETY: the record in memory is the one pre-flight checked, so the
    // table next to it is the one `#[plugin_export]` made for that record:
    // `layout.entries` pointers long.
    let table =
        unsafe { std::slice::from_raw_parts(table.cast::<*const c_void>(), layout.entries) };
    let (shims, fixed) =
        resolve(desc, &layout, table).map_err(|missing| Error::MissingSymbols {
            path: path.clone(),
            interface: interface.clone(),
            missing,
        })?;
    // SAFETY: these are the table's first entries, of these types
    // (`crate::vtable`), and not null (`resolve`).
    let (new_fn, drop_fn, join_relay) = unsafe {
        (
            std::mem::transmute::<*const c_void, NewFn>(fixed[vtable::NEW]),
            std::mem::transmute::<*const c_void, DropFn>(fixed[vtable::DROP]),
            std::mem::transmute::<*const c_void, JoinRelayFn>(fixed[vtable::RELAY]),
        )
    };
    // Before any other function of the plugin: the panics its shims catch
    // are relayed to where this side takes them (`crate::export::relay`).
    // SAFETY: the entry at RELAY has this type (`crate::vtable`) and is not
    // null (`resolve`); it takes a relay that outlives the plugin (`offer`
    // pins the library of the end of this side's chain).
    let theirs = unsafe { join_relay(crate::export::relay::offer()) };
    if !std::ptr::eq(theirs, crate::export::relay::end()) {
        // The plugin joined another host's relay before (two libraries in
        // one process that each use dynplug): this side joins it too, if
        // it can, so that it finds the plugin's panics.
        // SAFETY: `theirs` is the end of the plugin's chain, pinned by the
        // side that offered it.
        unsafe { crate::export::join_relay(theirs) };
    }

    // SAFETY: the entry at NESTED has this type (`crate::vtable`) and is not
    // null (`resolve`).
    let nested = unsafe {
        std::mem::transmute::<*const c_void, extern "C" fn(usize) -> RecordRef>(
            fixed[vtable::NESTED],
        )
    };
    check_nested::<I>(&path, nested)?;
    // SAFETY: the entry at PACKAGE has this type (`crate::vtable`) and is
    // not null (`resolve`).
    let package = unsafe {
        std::mem::transmute::<*const c_void, extern "C" fn() -> RecordRef>(fixed[vtable::PACKAGE])
    };

    // SAFETY: the constructor shim takes no argument and catches panics.
    let made = unsafe { new_fn() };
    if made.status != STATUS_OK {
        // SAFETY: the shim reported a panic, whose message waits in the slot.
        let (text, _) = crate::export::take_panic();
        let (location, message) = crate::export::split_panic_text(&text);
        return Err(Error::Init {
            path,
            interface,
            message: message.to_owned(),
            location: (!location.is_empty()).then(|| location.to_owned()),
        });
    }
    let core = PluginCore {
        // SAFETY: status OK means the value is set.
        instance: unsafe { made.value.assume_init() },
        drop_fn,
        package,
        interface: desc.name,
        lib,
    };
    Ok(Loaded { core, shims })
}

/// The most records of nested interfaces a plugin is asked for.
const MAX_NESTED: usize = 4096;

/// Checks the interfaces `I` reaches through its methods' types (whose
/// objects may cross) against the records the plugin was built with, which
/// `nested` hands over: every one the plugin has must be compatible, and
/// keep each method the host knows at the host's index (an object's table
/// is indexed as the host's trait is). One the plugin does not reach, it
/// never returns an object of: nothing to check.
fn check_nested<I: ObjectInterface + ?Sized>(
    path: &Path,
    nested: extern "C" fn(usize) -> RecordRef,
) -> Result<(), Error> {
    if !I::MENTIONS_OBJECTS {
        return Ok(());
    }
    let host = crate::object::closure(I::NODE);
    if host.is_empty() {
        return Ok(());
    }
    let mut records: Vec<&[u8]> = Vec::new();
    for index in 0..MAX_NESTED {
        let found = nested(index);
        if found.len == 0 || found.ptr.is_null() {
            break;
        }
        // SAFETY: the plugin's `nested_record` hands over one of its static
        // records, `len` bytes at `ptr`, which stay mapped with the library.
        records.push(unsafe { std::slice::from_raw_parts(found.ptr, found.len) });
    }
    // Records are told apart by name: two different interfaces of one name
    // (or one named as the root) cannot be matched to the plugin's.
    let shared = |name: &str, side_host: bool| {
        let text = format!("one of them reached from `{}`", I::DESC.name);
        Error::InterfaceMismatch {
            path: path.to_path_buf(),
            interface: name.to_owned(),
            differences: vec![crate::MethodDifference {
                method: crate::MethodDifference::SHARED_NAME.to_owned(),
                host: side_host.then(|| text.clone()),
                plugin: (!side_host).then(|| text.clone()),
                types: Vec::new(),
            }],
        }
    };
    for (i, node) in host.iter().enumerate() {
        let name = node.desc.name;
        if name == I::DESC.name || host[..i].iter().any(|n| n.desc.name == name) {
            return Err(shared(name, true));
        }
    }
    let mut decoded = Vec::with_capacity(records.len());
    for record in &records {
        let meta = meta::decode(record).map_err(|err| Error::InvalidLibrary {
            path: path.to_path_buf(),
            reason: format!("a record of an interface its objects use: {err}"),
        })?;
        if meta.name == I::DESC.name
            || decoded
                .iter()
                .any(|(m, _): &(meta::InterfaceMeta, &[u8])| m.name == meta.name)
        {
            return Err(shared(&meta.name, false));
        }
        decoded.push((meta, *record));
    }
    for node in host {
        let desc = node.desc;
        let interface = desc.name.to_owned();
        let Some((plugin, record)) = decoded.iter().find(|(m, _)| m.name == desc.name) else {
            continue;
        };
        if *record == node.meta {
            continue;
        }
        if plugin.abi_version != meta::ABI_VERSION {
            return Err(Error::AbiMismatch {
                path: path.to_path_buf(),
                interface,
                host: meta::ABI_VERSION,
                plugin: plugin.abi_version,
            });
        }
        let mut differences = check::differences(desc, plugin);
        // Objects cross both ways: a plugin must not assume the host's
        // objects `Send` or `Sync` where the host's trait does not say so,
        // nor the host the plugin's. The supertraits must be the same.
        if (plugin.send, plugin.sync) != (desc.send, desc.sync)
            && !differences
                .iter()
                .any(|d| d.method == crate::MethodDifference::SUPERTRAITS)
        {
            differences.insert(0, check::supertraits_difference(desc, plugin));
        }
        differences.extend(check::moved_methods(desc, plugin));
        if !differences.is_empty() {
            return Err(Error::InterfaceMismatch {
                path: path.to_path_buf(),
                interface,
                differences,
            });
        }
    }
    Ok(())
}

/// Whether the quick pre-flight passed the open file for `I` before, and
/// it has not changed since (`preflight::checked`).
fn already_checked<I: Interface + ?Sized>(opened: &preflight::Opened) -> bool {
    #[cfg(unix)]
    {
        preflight::checked::contains(&opened.metadata, I::META)
    }
    #[cfg(not(unix))]
    {
        let _ = opened;
        false
    }
}

/// Pre-flight of the file at `path`, open as `opened`, for `I`'s export
/// `wanted` (`None`: the unnamed one, or the only one): the quick one when
/// the file carries the host's very record there, else the full one.
fn preflight_for<I: Interface + ?Sized>(
    path: &Path,
    opened: &preflight::Opened,
    wanted: Option<&str>,
) -> Result<Layout, Error> {
    let desc = I::DESC;
    let expected = vtable::vtable_len(desc) * std::mem::size_of::<*const c_void>();
    let (meta_symbol, vtable_symbol) = symbols(desc, wanted);
    let quick = preflight::quick(
        path,
        opened,
        &meta_symbol,
        &vtable_symbol,
        Some(expected as u64),
    )?;
    match quick {
        // The usual case: the plugin was built against this very interface.
        Some(found) if found.record == I::META => {
            if found.vtable_size != expected as u64 {
                return Err(Error::InvalidLibrary {
                    path: path.to_path_buf(),
                    reason: format!(
                        "its `{}` table of functions is {} bytes long; the interface needs {expected}",
                        desc.name, found.vtable_size
                    ),
                });
            }
            #[cfg(unix)]
            if wanted.is_none() && !opened.is_copy() {
                preflight::checked::insert(&opened.file, &opened.metadata, I::META);
            }
            Ok(Layout {
                export: wanted.map(str::to_owned),
                ..same_interface(desc, I::META)
            })
        }
        // Anything else, compatible or not: the full pre-flight decides
        // and words the error.
        _ => {
            let report = preflight::check_opened(path, opened)?;
            checked_layout(path, desc, &report, wanted)
        }
    }
}

/// The layout of a plugin whose record is the host's, `meta`: every method
/// in place.
fn same_interface(desc: &InterfaceDesc, meta: &'static [u8]) -> Layout {
    Layout {
        record: Cow::Borrowed(meta),
        entries: vtable::vtable_len(desc),
        slots: (0..desc.methods.len()).map(Some).collect(),
        // The host's record never has the bit set (`meta`); read anyway, so
        // that both paths decide from the record alone.
        aborts_on_panic: meta::aborts_on_panic(meta).unwrap_or(true),
        export: None,
    }
}

/// The file's record for `desc`'s export `wanted` (`None`: the unnamed
/// one, else the only one), checked against it (present, readable, of this
/// ABI version, every method compatible), and where the plugin's table
/// holds each of the host's methods.
pub(crate) fn checked_layout(
    path: &Path,
    desc: &'static InterfaceDesc,
    report: &FileReport,
    wanted: Option<&str>,
) -> Result<Layout, Error> {
    let interface = desc.name.to_owned();
    let not_a_plugin = || Error::NotAPlugin {
        path: path.to_path_buf(),
        interface: interface.clone(),
        found: report.names(),
    };
    let named = report.export_names(desc.name);
    let found = match (wanted, report.export(desc.name, wanted)) {
        (_, Some(found)) => found,
        (Some(name), None) if report.names().contains(&interface) => {
            return Err(Error::NoSuchExport {
                path: path.to_path_buf(),
                interface,
                name: name.to_owned(),
                exports: named,
            });
        }
        (Some(_), None) => return Err(not_a_plugin()),
        // No unnamed export: the only named one, if there is one.
        (None, None) => match named.as_slice() {
            [] => return Err(not_a_plugin()),
            [only] => report
                .export(desc.name, Some(only))
                .expect("listed by export_names"),
            _ => {
                return Err(Error::SeveralExports {
                    path: path.to_path_buf(),
                    interface,
                    exports: named,
                });
            }
        },
    };
    let (_, vtable_symbol) = symbols(desc, found.export.as_deref());
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
    if !report.symbols.contains(&*vtable_symbol) {
        return Err(Error::MissingSymbols {
            path: path.to_path_buf(),
            interface,
            missing: vec![vtable_symbol.into_owned()],
        });
    }
    // The load reads one entry per method of the record: the table the
    // loader finds must be that long (the quick path checks the same).
    let entries = vtable::FIXED + meta.methods.len();
    let size = (entries * std::mem::size_of::<*const c_void>()) as u64;
    if let Some(&found) = report.table_sizes.get(&*vtable_symbol) {
        if found != size {
            return Err(Error::InvalidLibrary {
                path: path.to_path_buf(),
                reason: format!(
                    "its `{}` table of functions is {found} bytes long; its record's {} \
                     methods need {size}",
                    desc.name,
                    meta.methods.len()
                ),
            });
        }
    }
    let slots = desc
        .methods
        .iter()
        .enumerate()
        .map(|(index, h)| match meta.methods.get(index) {
            Some(p) if p.name == h.name => Some(index),
            _ => meta.methods.iter().position(|p| p.name == h.name),
        })
        .collect();
    Ok(Layout {
        record: Cow::Owned(record),
        entries,
        slots,
        aborts_on_panic: meta.aborts_on_panic,
        export: found.export.clone(),
    })
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

/// Reads the plugin's table: each host method's shim (`None` for an
/// optional one the plugin leaves to its default body) and the constructor,
/// destructor and panic functions; or every function that is missing, by
/// name.
#[allow(clippy::type_complexity, reason = "private, used once")]
fn resolve(
    desc: &InterfaceDesc,
    layout: &Layout,
    table: &[*const c_void],
) -> Result<(Vec<Option<*const c_void>>, [*const c_void; vtable::FIXED]), Vec<String>> {
    let mut missing = Vec::new();
    let fixed: [*const c_void; vtable::FIXED] = std::array::from_fn(|i| table[i]);
    for (entry, what) in fixed.iter().zip([
        "<constructor>",
        "<destructor>",
        "<panic message>",
        "<nested interfaces>",
        "<package>",
    ]) {
        if entry.is_null() {
            missing.push(what.to_owned());
        }
    }
    let shims = desc
        .methods
        .iter()
        .zip(&layout.slots)
        .map(|(m, slot)| {
            let shim = slot
                .map(|index| table[vtable::FIXED + index])
                .filter(|shim| !shim.is_null());
            if shim.is_none() && m.required {
                missing.push(m.name.to_owned());
            }
            shim
        })
        .collect();
    if missing.is_empty() {
        Ok((shims, fixed))
    } else {
        Err(missing)
    }
}

/// What every generated loader owns: the plugin instance and the shared
/// handle to its library, which is released last.
pub struct PluginCore {
    instance: *mut c_void,
    drop_fn: DropFn,
    package: extern "C" fn() -> RecordRef,
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

    /// The package the plugin was built from, as its record says; an empty
    /// one if the record cannot be read (it is the plugin's own static,
    /// which pre-flight does not vouch for).
    pub fn package(&self) -> crate::Package {
        let record = (self.package)();
        if record.ptr.is_null() || record.len > preflight::MAX_RECORD {
            return crate::Package::default();
        }
        // SAFETY: the plugin hands over its own static record, which lives
        // as long as its library, which this core holds.
        let bytes = unsafe { std::slice::from_raw_parts(record.ptr, record.len) };
        meta::decode_package(bytes).unwrap_or_default()
    }

    fn panic_text(&self, what: &str) -> String {
        // Called right after the plugin reported a panic on this thread:
        // the relay holds its text.
        let (text, _) = crate::export::take_panic();
        crate::object::panic_report(Some(self.path()), what, &text)
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

    /// Drops the instance, then releases the library handle: see
    /// [`Library::close`].
    pub fn close(self) -> Result<crate::Closed, Error> {
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

impl crate::object::CallCore for PluginCore {
    #[inline(always)]
    fn owner(&self) -> crate::object::Owner<'_> {
        // Objects in the value keep this library loaded.
        crate::object::Owner::library(&self.lib)
    }

    #[cold]
    #[inline(never)]
    fn call_failed(&self, interface: &'static str, method: &'static str, status: u8) -> ! {
        crate::object::raise_failed(status, |text, _| {
            let what = format!("method `{interface}::{method}`");
            crate::object::panic_report(Some(self.path()), &what, text)
        })
    }
}

impl Drop for PluginCore {
    fn drop(&mut self) {
        self.drop_instance();
    }
}

impl PluginCore {
    /// The loader's `Debug`: its own type's name, the interface and the
    /// path.
    #[doc(hidden)]
    pub fn debug_as(&self, loader: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(loader)
            .field("interface", &self.interface)
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PluginCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.debug_as("Plugin", f)
    }
}
