//! dynplug's benchmarks against its peers: what the benches (`cargo bench -p
//! dynplug-bench`) and the instruction counter (`callgrind-calls`, run by
//! `scripts/bench.py`) share.
//!
//! - [`calls`]: one `add(i32, i32) -> i32` call through each approach, the
//!   handle passed through `black_box` on every call so that no pointer load
//!   is hoisted out of the loop.
//! - [`peers`]: the other ways to call a plugin: libloading, dlopen2 and a
//!   bindgen `--dynamic-loading` style struct.
//! - [`load`]: loading an interface of N methods, each approach.
//! - [`objects`]: a call through an object the plugin returned, and making
//!   one, against the same in-process.
//! - [`hot`]: a call through `dynplug::Hot` and through hot-lib-reloader,
//!   and the folders they watch for the reload latency (`hot-reload`).
//!
//! The fixture plugins are built by cargo as dependencies of this crate
//! (`bench/fixtures/*`); [`library`] finds their shared libraries.

use std::path::PathBuf;

pub mod calls;
pub mod hot;
pub mod load;
pub mod objects;
pub mod peers;

/// The shared library of fixture crate `name` (`bench-plugin`), which cargo
/// built next to the running binary because this crate depends on it.
///
/// # Panics
///
/// If it is not there.
pub fn library(name: &str) -> PathBuf {
    let file = libloading::library_filename(name.replace('-', "_"));
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe.parent().expect("the binary has a folder");
    let candidates = [dir.to_path_buf(), dir.join("deps"), dir.join("..")];
    candidates
        .iter()
        .map(|d| d.join(&file))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "fixture library {} not found next to {}; build with `cargo bench -p dynplug-bench`",
                file.to_string_lossy(),
                exe.display()
            )
        })
}

/// Keeps `value` alive until here and opaque to the optimiser, then drops
/// it: a benchmark that returns an owned value pays for freeing it too.
#[inline(always)]
pub fn consume<T>(value: T) {
    std::hint::black_box(&value);
    drop(value);
}

/// Whether the process has the file at `path` mapped (Linux: from
/// `/proc/self/maps`; elsewhere, `false`).
pub fn is_mapped(path: &std::path::Path) -> bool {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return false;
    };
    let wanted = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    maps.lines()
        .any(|line| line.ends_with(&*wanted.to_string_lossy()))
}
