//! Plain C libraries, bound through a trait with
//! `#[plugin_interface(c_library)]`: every function resolved up front, all
//! missing ones reported at once, optional ones allowed to be absent. No
//! metadata can be checked, so loading is `unsafe`; the file is still
//! checked to be a library for this platform before it is opened.

use std::ffi::c_void;
use std::path::{Path, PathBuf};

use crate::error::OsText;
use crate::library::Library;
use crate::{Error, LoadOptions, preflight};

/// Types with a C representation: what a `c_library` method may take and
/// return.
///
/// # Safety
///
/// The type must have a layout C agrees on: a primitive, a raw or function
/// pointer, or a `#[repr(C)]` / `#[repr(transparent)]` type of such fields.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no C representation",
    label = "not a C type",
    note = "a `c_library` method takes and returns C types: integers, floats, bool, raw \
            pointers (`*const c_char`...), `extern \"C\" fn` pointers (in an `Option` when \
            they may be null), and `#[repr(C)]` types with `#[derive(dynplug::CType)]`"
)]
pub unsafe trait CType {}

macro_rules! c_types {
    ($($ty:ty),*) => {$(
        // SAFETY: a primitive with a C equivalent.
        unsafe impl CType for $ty {}
    )*};
}

c_types!(
    bool,
    u8,
    u16,
    u32,
    u64,
    usize,
    i8,
    i16,
    i32,
    i64,
    isize,
    f32,
    f64,
    ()
);

// SAFETY: a raw pointer to a sized type is a C pointer (one to `str`, a
// slice or a trait object is two words: not C).
unsafe impl<T> CType for *const T {}
// SAFETY: as above.
unsafe impl<T> CType for *mut T {}
// SAFETY: a non-null pointer to a sized type is a C pointer.
unsafe impl<T> CType for std::ptr::NonNull<T> {}

/// C function pointer types: `extern "C" fn(..)` and `unsafe extern "C" fn(..)`.
///
/// # Safety
///
/// Implemented for function pointers with the C ABI only.
pub unsafe trait CFnPtr {}

macro_rules! fn_ptrs {
    ($(($($arg:ident),*))*) => {$(
        // SAFETY: a C function pointer whose signature is C's.
        unsafe impl<R: CType, $($arg: CType),*> CFnPtr for extern "C" fn($($arg),*) -> R {}
        // SAFETY: as above.
        unsafe impl<R: CType, $($arg: CType),*> CFnPtr for unsafe extern "C" fn($($arg),*) -> R {}
        // SAFETY: a non-null C function pointer whose signature is C's.
        unsafe impl<R: CType, $($arg: CType),*> CType for extern "C" fn($($arg),*) -> R {}
        // SAFETY: as above.
        unsafe impl<R: CType, $($arg: CType),*> CType for unsafe extern "C" fn($($arg),*) -> R {}
    )*};
}

fn_ptrs! {
    () (A) (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) (A, B, C, D, E, F)
    (A, B, C, D, E, F, G) (A, B, C, D, E, F, G, H) (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J) (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
}

// SAFETY: `Option` of a function pointer is a nullable C function pointer.
unsafe impl<F: CFnPtr> CType for Option<F> {}

/// A function the binding wants, as the macro describes it.
#[derive(Debug)]
pub struct CSymbol {
    /// The C symbol.
    pub name: &'static str,
    /// Whether the method has no default body (the function must exist).
    pub required: bool,
}

/// A C library opened and its functions resolved.
pub struct CLoaded {
    /// The library handle, for the loader to keep.
    pub core: CLibrary,
    symbols: Vec<Option<*const c_void>>,
}

impl CLoaded {
    /// The address of function `index` as the function pointer type `F`,
    /// or `None` if the library lacks it (an optional function).
    ///
    /// # Safety
    ///
    /// `F` must be a function pointer type, the one the binding declares.
    #[inline]
    pub unsafe fn optional<F: Copy>(&self, index: usize) -> Option<F> {
        assert_eq!(size_of::<F>(), size_of::<*const c_void>());
        // SAFETY: `F` is a function pointer type (the caller's promise), and
        // the address is the function's.
        self.symbols[index].map(|address| unsafe { std::mem::transmute_copy(&address) })
    }

    /// Like [`optional`](CLoaded::optional), for a required function,
    /// which loading made sure exists.
    ///
    /// # Safety
    ///
    /// As for [`optional`](CLoaded::optional).
    #[inline]
    pub unsafe fn required<F: Copy>(&self, index: usize) -> F {
        // SAFETY: the caller's promise, passed on.
        unsafe { self.optional(index) }.expect("dynplug: required symbol checked at load")
    }
}

/// The shared handle a C library binding owns.
#[derive(Clone)]
pub struct CLibrary(Library);

impl CLibrary {
    /// The path the library was opened with (or the name it was found by).
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Unloads the library now, unless another binding still uses it or a
    /// loader that kept it mapped (the default) shared it (or a plugin
    /// loader's objects of it were made while one did), and says what the
    /// system did.
    ///
    /// # Safety
    ///
    /// Nothing obtained from the library (a function pointer it returned,
    /// a pointer to its data, a thread or callback it started) may be used
    /// or run afterwards.
    pub unsafe fn close(self) -> Result<crate::Closed, Error> {
        // SAFETY: the caller's promise, passed on.
        unsafe { self.0.unload() }
    }
}

impl CLibrary {
    /// The loader's `Debug`: its own type's name and the path.
    #[doc(hidden)]
    pub fn debug_as(&self, loader: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(loader)
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.debug_as("CLibrary", f)
    }
}

/// Opens the C library at `path` (checked to be a library for this
/// platform first) and resolves `symbols`; `interface`, the binding
/// trait's name, is for the errors.
///
/// # Safety
///
/// The library's initialisers run, and the caller vouches for the
/// declarations the functions will be called through.
pub unsafe fn load(
    path: &Path,
    options: &LoadOptions,
    interface: &str,
    symbols: &[CSymbol],
) -> Result<CLoaded, Error> {
    let opened = crate::signature::prepared(path, preflight::open_to_load(path)?, options)?;
    let report = preflight::check_opened(path, &opened)?;
    // SAFETY: the caller trusts the library.
    let lib = unsafe { Library::open(path, &opened, options) }?;
    resolve(lib, interface, symbols, Some(&report.exports))
}

/// Opens the first of `names` that loads, in order, and resolves
/// `symbols`. A bare name (`libm.so.6`) is searched for as the system's
/// dynamic loader searches (`LD_LIBRARY_PATH`, its cache, the system
/// folders); a name with a path separator is a path, checked and loaded as
/// [`load`] does. An entry that fails (not found, not a library, lacking a
/// required function) does not stop the search; if none loads, the error
/// lists every entry with why it failed.
///
/// # Safety
///
/// As for [`load`], for whichever file the system finds.
pub unsafe fn load_by_names(
    names: &[&str],
    options: &LoadOptions,
    interface: &str,
    symbols: &[CSymbol],
) -> Result<CLoaded, Error> {
    let mut failures = Vec::new();
    for name in names {
        let loaded = if name.is_empty() {
            // `dlopen("")` is `dlopen(NULL)`: the program itself, whose
            // symbols would stand in for a library's.
            Err(Error::Open {
                path: PathBuf::new(),
                reason: "an empty name names no library".to_owned(),
                source: Box::new(OsText("empty library name".to_owned())),
            })
        } else if name.contains(std::path::MAIN_SEPARATOR) || name.contains('/') {
            // SAFETY: the caller's promise, passed on.
            unsafe { load(Path::new(name), options, interface, symbols) }
        } else {
            // SAFETY: the caller trusts the library found under this name.
            unsafe { Library::open_by_name(name, options) }
                .map_err(|err| Error::loader(Path::new(name), Path::new(name), &err))
                .and_then(|lib| resolve(lib, interface, symbols, None))
        };
        match loaded {
            Ok(loaded) => return Ok(loaded),
            Err(err) => failures.push(format!("`{name}`: {}", failure_text(&err))),
        }
    }
    let reason = if names.is_empty() {
        "no library name given".to_owned()
    } else {
        format!("none of the names loads: {}", failures.join("; "))
    };
    Err(Error::Open {
        path: names.join(", ").into(),
        source: Box::new(OsText(reason.clone())),
        reason,
    })
}

/// An error's text without its leading path: the list names each entry.
fn failure_text(err: &Error) -> String {
    let text = err.to_string();
    let path = err.path().display().to_string();
    match text.strip_prefix(&path).and_then(|t| t.strip_prefix(": ")) {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// Resolves `symbols`; with `exports` (the file's own exported names, from
/// pre-flight), only functions the library itself defines: `dlsym` on a
/// handle also searches the libraries it depends on.
fn resolve(
    lib: Library,
    interface: &str,
    symbols: &[CSymbol],
    exports: Option<&std::collections::HashSet<String>>,
) -> Result<CLoaded, Error> {
    let mut missing = Vec::new();
    let found: Vec<Option<*const c_void>> = symbols
        .iter()
        .map(|s| {
            let own = exports.is_none_or(|e| e.contains(s.name));
            let address = own
                .then(|| lib.symbol(s.name))
                .flatten()
                .filter(|a| !a.is_null());
            if address.is_none() && s.required {
                missing.push(s.name.to_owned());
            }
            address
        })
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingSymbols {
            path: lib.path().to_path_buf(),
            interface: interface.to_owned(),
            missing,
        });
    }
    Ok(CLoaded {
        core: CLibrary(lib),
        symbols: found,
    })
}
