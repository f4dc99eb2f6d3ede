//! Load time of an interface of N methods (the `wide-N` fixtures): dynplug
//! (every check included) against `dlopen` plus N lookups with libloading,
//! and dlopen2's `Container::load`; and `dynplug::inspect` alone.
//!
//! dynplug remembers the files that passed its pre-flight and does not
//! read them again while they are unchanged: `dynplug` is a load of a file
//! loaded before in the process, `dynplug_first` one that reads the file
//! (every remembered file forgotten before each load).
//!
//! `warm`: the library is already mapped in the process (a handle is kept
//! open), so `dlopen` finds it and maps nothing: what each approach adds on
//! top of the dynamic loader. `cold`: each approach loads its own copy of
//! the file and unloads it again after each load, so every load maps and
//! relocates the library for real.

use std::path::PathBuf;
use std::sync::OnceLock;

use divan::Bencher;
use dynplug::LoadOptions;
use dynplug_bench::consume;
use dynplug_bench::load::{self, SIZES, Wide};

fn main() {
    divan::main();
    let _ = std::fs::remove_dir_all(cold_dir());
}

/// The fixture, kept mapped for the rest of the run.
fn warm(n: usize) -> Wide {
    static KEPT: OnceLock<Vec<libloading::Library>> = OnceLock::new();
    KEPT.get_or_init(|| {
        SIZES
            .iter()
            .map(|&n| load::libloading(&Wide::new(n)).0)
            .collect()
    });
    Wide::new(n)
}

fn cold_dir() -> PathBuf {
    std::env::temp_dir().join(format!("dynplug-bench-{}", std::process::id()))
}

/// A copy of the fixture of its own for `approach`, checked to be unmapped
/// again after a load and an unload by `cycle`.
fn cold(approach: &str, n: usize, cycle: impl Fn(&Wide)) -> Wide {
    let wide = Wide::new(n);
    let dir = cold_dir().join(approach);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let copy = dir.join(wide.path.file_name().expect("file name"));
    std::fs::copy(&wide.path, &copy).expect("copy the fixture");
    let wide = wide.at(copy);
    cycle(&wide);
    assert!(
        !dynplug_bench::is_mapped(&wide.path),
        "{approach}: {} stays mapped after it is unloaded: the cold load would be warm",
        wide.path.display()
    );
    wide
}

mod warm {
    use super::*;

    #[divan::bench(args = SIZES)]
    fn dynplug(b: Bencher, n: usize) {
        let wide = warm(n);
        let options = LoadOptions::new();
        consume(load::dynplug(&wide, &options));
        b.bench_local(|| consume(load::dynplug(&wide, &options)));
    }

    #[divan::bench(args = SIZES)]
    fn dynplug_first(b: Bencher, n: usize) {
        let wide = warm(n);
        let options = LoadOptions::new();
        b.bench_local(|| {
            dynplug::__private::forget_checked_files();
            consume(load::dynplug(&wide, &options))
        });
    }

    #[divan::bench(args = SIZES)]
    fn libloading(b: Bencher, n: usize) {
        let wide = warm(n);
        consume(load::libloading(&wide));
        b.bench_local(|| consume(load::libloading(&wide)));
    }

    #[divan::bench(args = SIZES)]
    fn dlopen2(b: Bencher, n: usize) {
        let wide = warm(n);
        consume(load::dlopen2(&wide));
        b.bench_local(|| consume(load::dlopen2(&wide)));
    }

    #[divan::bench(args = SIZES)]
    fn dynplug_inspect(b: Bencher, n: usize) {
        let wide = warm(n);
        consume(dynplug::inspect(&wide.path).expect("inspect"));
        b.bench_local(|| consume(dynplug::inspect(&wide.path).expect("inspect")));
    }
}

mod cold {
    use super::*;

    #[divan::bench(args = SIZES, sample_count = 30)]
    fn dynplug(b: Bencher, n: usize) {
        // SAFETY: the bench plugins start no thread and register nothing.
        let options = unsafe { LoadOptions::new().unload_when_unused(true) };
        let wide = cold("dynplug", n, |w| consume(load::dynplug(w, &options)));
        b.bench_local(|| consume(load::dynplug(&wide, &options)));
    }

    #[divan::bench(args = SIZES, sample_count = 30)]
    fn dynplug_first(b: Bencher, n: usize) {
        // SAFETY: as above.
        let options = unsafe { LoadOptions::new().unload_when_unused(true) };
        let wide = cold("dynplug_first", n, |w| consume(load::dynplug(w, &options)));
        b.bench_local(|| {
            dynplug::__private::forget_checked_files();
            consume(load::dynplug(&wide, &options))
        });
    }

    #[divan::bench(args = SIZES, sample_count = 30)]
    fn libloading(b: Bencher, n: usize) {
        let wide = cold("libloading", n, |w| consume(load::libloading(w)));
        b.bench_local(|| consume(load::libloading(&wide)));
    }

    #[divan::bench(args = SIZES, sample_count = 30)]
    fn dlopen2(b: Bencher, n: usize) {
        let wide = cold("dlopen2", n, |w| consume(load::dlopen2(w)));
        b.bench_local(|| consume(load::dlopen2(&wide)));
    }
}
