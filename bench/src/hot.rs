//! Hot reload against hot-lib-reloader: one call of `add(i32, i32) -> i32`
//! through each (the benches `hot` and `callgrind-calls hot`), and the
//! folders each watches (the reload latency, `hot-reload`).
//!
//! Every side serves the same library, `hot-plugin`, from a copy of its own
//! in a temporary folder ([`Folders`]): a `dynplug::Hot` watching
//! `hot/hot_plugin.so`, and two hot-lib-reloader modules watching
//! `hlr-default/libhot_plugin.so` (its default debounce, 500 ms) and
//! `hlr-quick/libhot_plugin.so` (1 ms, the least that is not a busy loop:
//! its debouncer ticks every quarter of it, and 0 ticks without sleeping).
//! `hot-plugin-v2` is the same code returning `a + b + 1000`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dynplug::{Hot, HotCache};
use hot_plugin::{HotAdd, HotAddPlugin};

/// The approaches of the call benchmark, by the names the benches and the
/// instruction counts use.
pub const CASES: [&str; 4] = ["plain", "hot_get", "hot_cache", "hot_lib_reloader"];

/// hot-lib-reloader's default debounce, which `reloader_default` keeps.
pub const DEBOUNCE_DEFAULT_MS: u64 = 500;
/// `reloader_quick`'s debounce: keep equal to its `file_watch_debounce`
/// (the attribute takes only a literal).
pub const DEBOUNCE_QUICK_MS: u64 = 1;

/// hot-lib-reloader with its default debounce, watching
/// [`Folders::reloader_default`]. (Its folder is an expression, evaluated at
/// the first call.)
#[hot_lib_reloader::hot_module(dylib = "hot_plugin", lib_dir = super::folders().reloader_default())]
pub mod reloader_default {
    hot_functions_from_file!("bench/fixtures/hot-plugin/src/plugin.rs");
}

/// hot-lib-reloader with a 1 ms debounce, watching
/// [`Folders::reloader_quick`].
#[hot_lib_reloader::hot_module(
    dylib = "hot_plugin",
    lib_dir = super::folders().reloader_quick(),
    file_watch_debounce = 1
)]
pub mod reloader_quick {
    hot_functions_from_file!("bench/fixtures/hot-plugin/src/plugin.rs");
}

/// The temporary folders the sides watch, each holding a copy of
/// `hot-plugin` once made; removed by [`Folders::remove`].
pub struct Folders {
    root: PathBuf,
}

/// This process's folders, made on first use.
pub fn folders() -> &'static Folders {
    static FOLDERS: OnceLock<Folders> = OnceLock::new();
    FOLDERS.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("dynplug-bench-hot-{}", std::process::id()));
        let folders = Folders { root };
        let v1 = crate::library("hot-plugin");
        for watched in [
            folders.hot(),
            folders.reloader_default().join(reloader_file()),
            folders.reloader_quick().join(reloader_file()),
        ] {
            std::fs::create_dir_all(watched.parent().expect("a folder")).expect("temporary folder");
            std::fs::copy(&v1, &watched).expect("copy hot-plugin");
        }
        folders
    })
}

/// The file name hot-lib-reloader looks for (`libhot_plugin.so`).
pub fn reloader_file() -> PathBuf {
    libloading::library_filename("hot_plugin").into()
}

impl Folders {
    /// The file `dynplug::Hot` watches.
    pub fn hot(&self) -> PathBuf {
        self.root
            .join("hot")
            .join(format!("hot_plugin{}", std::env::consts::DLL_SUFFIX))
    }

    /// The folder of the hot-lib-reloader module with the default debounce.
    pub fn reloader_default(&self) -> PathBuf {
        self.root.join("hlr-default")
    }

    /// The folder of the hot-lib-reloader module with a 1 ms debounce.
    pub fn reloader_quick(&self) -> PathBuf {
        self.root.join("hlr-quick")
    }

    /// A name outside the watched folders, on the same file system, where a
    /// new version is copied before it is renamed into place.
    pub fn staging(&self) -> PathBuf {
        self.root.join("staged")
    }

    /// Removes the folders (hot-lib-reloader's modules, statics, never
    /// remove their copies).
    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The plain loader and a `Hot` of the same plugin, set up once.
pub struct HotCallers {
    plain: HotAddPlugin,
    hot: Hot<HotAddPlugin>,
}

impl Default for HotCallers {
    fn default() -> Self {
        Self::new()
    }
}

impl HotCallers {
    /// Loads `hot-plugin` with the plain loader and starts `Hot` on its copy;
    /// makes one call through each hot-lib-reloader module (which loads it).
    ///
    /// # Panics
    ///
    /// If one of them fails.
    pub fn new() -> HotCallers {
        let plain =
            HotAddPlugin::load(crate::library("hot-plugin")).expect("dynplug loads hot-plugin");
        // The benchmark removes its folders while `hot` still watches one:
        // nothing to report.
        let quiet = dynplug::HotOptions::new().on_error(|_| {});
        let hot = Hot::watch_with(folders().hot(), quiet).expect("dynplug::Hot watches hot-plugin");
        assert_eq!(
            reloader_default::add(40, 2),
            42,
            "hot-lib-reloader loads hot-plugin"
        );
        assert_eq!(
            reloader_quick::add(40, 2),
            42,
            "hot-lib-reloader loads hot-plugin"
        );
        HotCallers { plain, hot }
    }

    /// The `Hot` plugin, for the reload measurement.
    pub fn hot(&self) -> &Hot<HotAddPlugin> {
        &self.hot
    }

    /// A dynplug loader, through its trait: what `hot_get` adds to.
    #[inline(always)]
    pub fn plain(&self, a: i32, b: i32) -> i32 {
        black_box(&self.plain).add(a, b)
    }

    /// `hot.get().add(a, b)`: the current version (shielded by a slot of
    /// the thread's), then the call.
    #[inline(always)]
    pub fn hot_get(&self, a: i32, b: i32) -> i32 {
        black_box(&self.hot).get().add(a, b)
    }

    /// `cache.get().add(a, b)` on a `HotCache` of the caller's: one
    /// pointer compared, then the call.
    #[inline(always)]
    pub fn hot_cache(cache: &mut HotCache<HotAddPlugin>, a: i32, b: i32) -> i32 {
        black_box(cache).get().add(a, b)
    }

    /// A hot-lib-reloader module's function: its loader (an `Arc` behind a
    /// `Once`), a read lock, `dlsym`, then the call.
    #[inline(always)]
    pub fn hot_lib_reloader(&self, a: i32, b: i32) -> i32 {
        reloader_default::add(a, b)
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
            "plain" => run!(plain),
            "hot_get" => run!(hot_get),
            "hot_cache" => {
                let mut cache = self.hot.cache();
                let mut sum = 0i32;
                for i in 0..n {
                    sum = sum.wrapping_add(Self::hot_cache(&mut cache, i as i32, 1));
                }
                sum
            }
            "hot_lib_reloader" => run!(hot_lib_reloader),
            _ => panic!("unknown case `{case}`; one of {CASES:?}"),
        }
    }
}

/// Copies `new` to `staging`, then renames it over `watched` and calls
/// `call` until it returns `expected`: the time from the rename to the
/// first call served by the new version, or `None` after `patience`.
pub fn time_reload(
    new: &Path,
    staging: &Path,
    watched: &Path,
    expected: i32,
    patience: std::time::Duration,
    call: impl Fn() -> i32,
) -> Option<std::time::Duration> {
    std::fs::copy(new, staging).expect("stage the new version");
    let started = std::time::Instant::now();
    std::fs::rename(staging, watched).expect("rename the new version into place");
    while call() != expected {
        if started.elapsed() > patience {
            return None;
        }
        std::hint::spin_loop();
    }
    Some(started.elapsed())
}
