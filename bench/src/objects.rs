//! Objects: a call of `add` through a `Box<dyn Adder>` the plugin returned,
//! against the same call on a `Box<dyn Adder>` made in-process; and making
//! plus dropping one, against `Box::new` plus drop in-process.

use std::hint::black_box;

use bench_plugin::{Adder, AdderImpl, Bench, BenchPlugin};

/// The cases, by the names the benches and the instruction counts use.
pub const CASES: [&str; 2] = ["dynplug", "in_process"];

/// The plugin, one object of it, and one made in-process.
pub struct Objects {
    plugin: BenchPlugin,
    remote: Box<dyn Adder>,
    local: Box<dyn Adder>,
}

impl Default for Objects {
    fn default() -> Self {
        Self::new()
    }
}

impl Objects {
    /// Loads `bench-plugin` and makes one object on each side.
    ///
    /// # Panics
    ///
    /// If the plugin does not load.
    pub fn new() -> Objects {
        let plugin =
            BenchPlugin::load(crate::library("bench-plugin")).expect("dynplug loads bench-plugin");
        let remote = plugin.adder();
        Objects {
            plugin,
            remote,
            local: Box::new(AdderImpl { bias: 0 }),
        }
    }

    /// `add` through the plugin's object.
    #[inline(always)]
    pub fn call_dynplug(&self, a: i32, b: i32) -> i32 {
        black_box(&self.remote).add(a, b)
    }

    /// `add` through the in-process object.
    #[inline(always)]
    pub fn call_in_process(&self, a: i32, b: i32) -> i32 {
        black_box(&self.local).add(a, b)
    }

    /// A new object of the plugin's, dropped.
    #[inline(always)]
    pub fn make_dynplug(&self) {
        crate::consume(black_box(&self.plugin).adder());
    }

    /// `Box::new` of the in-process object, as a `Box<dyn Adder>`, dropped.
    #[inline(always)]
    pub fn make_in_process(&self) {
        let object: Box<dyn Adder> = Box::new(AdderImpl { bias: black_box(0) });
        crate::consume(object);
    }

    /// Calls `add` through case `case` (one of [`CASES`]) `n` times and
    /// returns the sum of the results. The case is matched once, outside
    /// the loop, so that both cases run the same loop around the call.
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
            "dynplug" => run!(call_dynplug),
            "in_process" => run!(call_in_process),
            _ => panic!("unknown case `{case}`; one of {CASES:?}"),
        }
    }

    /// Makes and drops an object through case `case` (one of [`CASES`])
    /// `n` times.
    ///
    /// # Panics
    ///
    /// If `case` is unknown.
    pub fn make(&self, case: &str, n: u32) {
        macro_rules! make {
            ($method:ident) => {{
                for _ in 0..n {
                    self.$method();
                }
            }};
        }
        match case {
            "dynplug" => make!(make_dynplug),
            "in_process" => make!(make_in_process),
            _ => panic!("unknown case `{case}`; one of {CASES:?}"),
        }
    }
}
