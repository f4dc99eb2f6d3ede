//! One call of `add(i32, i32) -> i32` through each approach.
//!
//! Every function passes its handle (the loader, the function pointer, the
//! container...) through `black_box` before the call: the compiler must
//! load the pointer it calls on every call, as it would in a program where
//! the handle lives in a struct, and cannot hoist that load out of the
//! benchmark's loop.

use std::hint::black_box;

use bench_plugin::{Bench, BenchPlugin};
use dlopen2::wrapper::Container;

use crate::peers::{AddApi, AddFn, AddLib};

/// The approaches, by the names the benches and the instruction counts use.
pub const CASES: [&str; 7] = [
    "raw_fn_pointer",
    "libloading_symbol",
    "dlopen2_wrapper",
    "bindgen_style",
    "dynplug",
    "libloading_get_per_call",
    "loop_only",
];

/// Every approach, set up once against `bench-plugin`'s library.
pub struct Callers {
    plugin: BenchPlugin,
    raw: AddFn,
    symbol: libloading::Symbol<'static, AddFn>,
    dlopen2: Container<AddApi>,
    bindgen: AddLib,
    library: &'static libloading::Library,
}

impl Default for Callers {
    fn default() -> Self {
        Self::new()
    }
}

impl Callers {
    /// Loads the plugin with each approach.
    ///
    /// # Panics
    ///
    /// If one of them fails.
    pub fn new() -> Callers {
        let path = crate::library("bench-plugin");
        let plugin = BenchPlugin::load(&path).expect("dynplug loads bench-plugin");
        // SAFETY: the fixture's initialisers are Rust's, and `bench_add` has
        // type `AddFn`.
        let (library, raw, dlopen2, bindgen) = unsafe {
            let library: &'static libloading::Library = Box::leak(Box::new(
                libloading::Library::new(&path).expect("libloading"),
            ));
            let raw = *library.get::<AddFn>(b"bench_add\0").expect("bench_add");
            let dlopen2 = Container::<AddApi>::load(&path).expect("dlopen2");
            let bindgen = AddLib::new(&path).expect("bindgen style");
            (library, raw, dlopen2, bindgen)
        };
        // SAFETY: as above.
        let symbol = unsafe { library.get::<AddFn>(b"bench_add\0") }.expect("bench_add");
        Callers {
            plugin,
            raw,
            symbol,
            dlopen2,
            bindgen,
            library,
        }
    }

    /// A raw `extern "C"` function pointer, obtained once: the physical
    /// limit of a call into a shared library.
    #[inline(always)]
    pub fn raw_fn_pointer(&self, a: i32, b: i32) -> i32 {
        let f = black_box(&self.raw);
        // SAFETY: `bench_add` is a safe function of this type.
        unsafe { f(a, b) }
    }

    /// A kept `libloading::Symbol`.
    #[inline(always)]
    pub fn libloading_symbol(&self, a: i32, b: i32) -> i32 {
        let f = black_box(&self.symbol);
        // SAFETY: as above.
        unsafe { f(a, b) }
    }

    /// A dlopen2 `WrapperApi` container.
    #[inline(always)]
    pub fn dlopen2_wrapper(&self, a: i32, b: i32) -> i32 {
        // SAFETY: as above.
        unsafe { black_box(&self.dlopen2).bench_add(a, b) }
    }

    /// A bindgen `--dynamic-loading` style struct.
    #[inline(always)]
    pub fn bindgen_style(&self, a: i32, b: i32) -> i32 {
        // SAFETY: as above.
        unsafe { black_box(&self.bindgen).bench_add(a, b) }
    }

    /// A dynplug loader, through its trait.
    #[inline(always)]
    pub fn dynplug(&self, a: i32, b: i32) -> i32 {
        black_box(&self.plugin).add(a, b)
    }

    /// libloading's `get` on every call: `dlsym`, then the call.
    #[inline(always)]
    pub fn libloading_get_per_call(&self, a: i32, b: i32) -> i32 {
        let library = black_box(self.library);
        // SAFETY: as above.
        unsafe {
            let f = library.get::<AddFn>(b"bench_add\0").expect("bench_add");
            f(a, b)
        }
    }

    /// No call: what the loop around the calls costs by itself.
    #[inline(always)]
    pub fn loop_only(&self, a: i32, b: i32) -> i32 {
        black_box(a).wrapping_add(b)
    }

    /// Calls case `case` (one of [`CASES`]) `n` times, with the loop index
    /// as an argument, and returns the sum of the results.
    ///
    /// # Panics
    ///
    /// If `case` is unknown.
    pub fn run(&self, case: &str, n: u32) -> i32 {
        macro_rules! run {
            ($method:ident) => {{
                let mut sum = 0i32;
                for i in 0..n {
                    sum = sum.wrapping_add(self.$method(i as i32, 1));
                }
                sum
            }};
        }
        match case {
            "raw_fn_pointer" => run!(raw_fn_pointer),
            "libloading_symbol" => run!(libloading_symbol),
            "dlopen2_wrapper" => run!(dlopen2_wrapper),
            "bindgen_style" => run!(bindgen_style),
            "dynplug" => run!(dynplug),
            "libloading_get_per_call" => run!(libloading_get_per_call),
            "loop_only" => run!(loop_only),
            _ => panic!("unknown case `{case}`; one of {CASES:?}"),
        }
    }
}
