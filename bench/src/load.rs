//! Loading an interface of N methods (the `wide-N` fixtures), each
//! approach: what a program does before its first call.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

use dlopen2::wrapper::{Container, WrapperApi};

use crate::peers::{Wide10Api, Wide100Api, Wide1000Api};

/// The method counts of the `wide-N` fixtures.
pub const SIZES: [usize; 3] = [10, 100, 1000];

/// A `wide-N` fixture: its library and its plain C symbols.
#[derive(Debug, Clone)]
pub struct Wide {
    /// Its method count.
    pub n: usize,
    /// Its shared library.
    pub path: PathBuf,
    /// The plain C functions the peers look up.
    pub symbols: &'static [&'static CStr],
}

impl Wide {
    /// The fixture of `n` methods (one of [`SIZES`]).
    ///
    /// # Panics
    ///
    /// If there is no such fixture, or its library is not built.
    pub fn new(n: usize) -> Wide {
        let symbols: &'static [&'static CStr] = match n {
            10 => &wide_10::C_SYMBOLS,
            100 => &wide_100::C_SYMBOLS,
            1000 => &wide_1000::C_SYMBOLS,
            _ => panic!("no wide-{n} fixture; one of {SIZES:?}"),
        };
        Wide {
            n,
            path: crate::library(&format!("wide-{n}")),
            symbols,
        }
    }

    /// The same fixture at another path (a copy: another file to the
    /// dynamic loader).
    pub fn at(&self, path: PathBuf) -> Wide {
        Wide {
            path,
            ..self.clone()
        }
    }
}

/// `fn(u32) -> u32`, the type of every method's plain C function.
pub type MethodFn = unsafe extern "C" fn(x: u32) -> u32;

/// libloading: `dlopen`, then one `get` per method, keeping the pointers
/// (what a program that calls them later holds).
pub fn libloading(wide: &Wide) -> (libloading::Library, Vec<MethodFn>) {
    // SAFETY: the fixture's initialisers are Rust's, and every symbol has
    // type `MethodFn`.
    unsafe {
        let library = libloading::Library::new(&wide.path).expect("libloading opens");
        let functions = wide
            .symbols
            .iter()
            .map(|name| {
                *library
                    .get::<MethodFn>(name.to_bytes_with_nul())
                    .expect("symbol")
            })
            .collect();
        (library, functions)
    }
}

/// A dlopen2 container of a `wide-N` fixture.
#[allow(
    clippy::large_enum_variant,
    reason = "kept by value, as a program keeps it: boxing would time an allocation too"
)]
pub enum Dlopen2Wide {
    /// `wide-10`.
    W10(Container<Wide10Api>),
    /// `wide-100`.
    W100(Container<Wide100Api>),
    /// `wide-1000`.
    W1000(Container<Wide1000Api>),
}

/// dlopen2: `Container::load` of the fixture's `WrapperApi`.
pub fn dlopen2(wide: &Wide) -> Dlopen2Wide {
    fn load<T: WrapperApi>(path: &Path) -> Container<T> {
        // SAFETY: as above.
        unsafe { Container::<T>::load(path) }.expect("dlopen2 loads")
    }
    match wide.n {
        10 => Dlopen2Wide::W10(load(&wide.path)),
        100 => Dlopen2Wide::W100(load(&wide.path)),
        1000 => Dlopen2Wide::W1000(load(&wide.path)),
        n => panic!("no wide-{n} fixture"),
    }
}

/// A dynplug loader of a `wide-N` fixture.
#[allow(
    clippy::large_enum_variant,
    reason = "kept by value, as a program keeps it: boxing would time an allocation too"
)]
pub enum DynplugWide {
    /// `wide-10`.
    W10(wide_10::Wide10Plugin),
    /// `wide-100`.
    W100(wide_100::Wide100Plugin),
    /// `wide-1000`.
    W1000(wide_1000::Wide1000Plugin),
}

/// dynplug: `WideNPlugin::load_with`, every check included.
pub fn dynplug(wide: &Wide, options: &dynplug::LoadOptions) -> DynplugWide {
    let path = &wide.path;
    let loaded = match wide.n {
        10 => wide_10::Wide10Plugin::load_with(path, options).map(DynplugWide::W10),
        100 => wide_100::Wide100Plugin::load_with(path, options).map(DynplugWide::W100),
        1000 => wide_1000::Wide1000Plugin::load_with(path, options).map(DynplugWide::W1000),
        n => panic!("no wide-{n} fixture"),
    };
    loaded.expect("dynplug loads")
}
