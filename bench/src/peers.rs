//! What a user would pick instead of dynplug, set up as its documentation
//! shows, against the same plugin library.

use std::path::Path;

// dlopen2's derive names the trait unqualified, as its documentation imports it.
use dlopen2::wrapper::WrapperApi;

/// `bench_add`'s type, as the peers declare it.
pub type AddFn = unsafe extern "C" fn(a: i32, b: i32) -> i32;

/// A dlopen2 `WrapperApi` of the plugin's plain C `add`.
#[derive(WrapperApi)]
pub struct AddApi {
    bench_add: unsafe extern "C" fn(a: i32, b: i32) -> i32,
}

/// What `bindgen --dynamic-loading AddLib` generates for `int bench_add(int,
/// int)`, written out by hand: every function is a `Result` looked up when
/// the library is opened and checked again at every call.
pub struct AddLib {
    __library: libloading::Library,
    pub bench_add: Result<AddFn, libloading::Error>,
}

impl AddLib {
    /// Opens the library and looks up every function.
    ///
    /// # Safety
    ///
    /// As `libloading::Library::new`: the library's initialisers run.
    pub unsafe fn new<P: AsRef<Path>>(path: P) -> Result<Self, libloading::Error> {
        // SAFETY: the caller's promise.
        let library = unsafe { libloading::Library::new(path.as_ref()) }?;
        // SAFETY: as bindgen's output: the symbol has this type.
        unsafe { Self::from_library(library) }
    }

    /// Looks up every function in `library`.
    ///
    /// # Safety
    ///
    /// The library's symbols must have the declared types.
    pub unsafe fn from_library<L: Into<libloading::Library>>(
        library: L,
    ) -> Result<Self, libloading::Error> {
        let __library = library.into();
        // SAFETY: the caller's promise.
        let bench_add = unsafe { __library.get::<AddFn>(b"bench_add\0") }.map(|sym| *sym);
        Ok(AddLib {
            __library,
            bench_add,
        })
    }

    /// Calls `bench_add`.
    ///
    /// # Safety
    ///
    /// As calling the C function.
    #[inline]
    pub unsafe fn bench_add(&self, a: i32, b: i32) -> i32 {
        // SAFETY: the caller's promise.
        unsafe {
            (self
                .bench_add
                .as_ref()
                .expect("Expected function, got error."))(a, b)
        }
    }
}

/// Declares a dlopen2 `WrapperApi` named `$api` with one `fn(u32) -> u32`
/// per symbol of a `wide-N` fixture (`wide_1000::symbols!(wide_api, Name)`).
macro_rules! wide_api {
    ($api:ident ; $($symbol:ident)*) => {
        /// A dlopen2 `WrapperApi` of a `wide-N` fixture's plain C functions.
        #[derive(WrapperApi)]
        pub struct $api {
            $($symbol: unsafe extern "C" fn(x: u32) -> u32,)*
        }
    };
}

wide_10::symbols!(wide_api, Wide10Api);
wide_100::symbols!(wide_api, Wide100Api);
wide_1000::symbols!(wide_api, Wide1000Api);
