//! A call of `add(i32, i32) -> i32` through a hot-reloaded plugin:
//! `dynplug::Hot::get` and a `HotCache`, against the plain loader it wraps and against
//! hot-lib-reloader's generated function. Each call passes its handle
//! through `black_box` (see `dynplug_bench::hot`). The reload latency is
//! measured by the `hot-reload` program, not here.

use std::hint::black_box;
use std::sync::OnceLock;

use divan::Bencher;
use dynplug_bench::hot::{HotCallers, folders};

fn main() {
    divan::main();
    folders().remove();
}

fn callers() -> &'static HotCallers {
    static CALLERS: OnceLock<HotCallers> = OnceLock::new();
    CALLERS.get_or_init(HotCallers::new)
}

mod hot_call {
    use super::*;

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn plain(b: Bencher) {
        let c = callers();
        c.plain(20, 22);
        b.bench_local(|| c.plain(black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn hot_get(b: Bencher) {
        let c = callers();
        c.hot_get(20, 22);
        b.bench_local(|| c.hot_get(black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn hot_cache(b: Bencher) {
        let c = callers();
        let mut cache = c.hot().cache();
        HotCallers::hot_cache(&mut cache, 20, 22);
        b.bench_local(|| HotCallers::hot_cache(&mut cache, black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn hot_lib_reloader(b: Bencher) {
        let c = callers();
        c.hot_lib_reloader(20, 22);
        b.bench_local(|| c.hot_lib_reloader(black_box(20), 22));
    }
}
