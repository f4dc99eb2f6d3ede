//! Call overhead: `add(i32, i32) -> i32` through dynplug and its peers.
//! Each call passes its handle through `black_box` (see
//! `dynplug_bench::calls`).

use std::hint::black_box;
use std::sync::OnceLock;

use divan::Bencher;
use dynplug_bench::calls::Callers;

fn main() {
    divan::main();
}

fn callers() -> &'static Callers {
    static CALLERS: OnceLock<Callers> = OnceLock::new();
    CALLERS.get_or_init(Callers::new)
}

mod add {
    use super::*;

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn raw_fn_pointer(b: Bencher) {
        let c = callers();
        c.raw_fn_pointer(20, 22);
        b.bench_local(|| c.raw_fn_pointer(black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn libloading_symbol(b: Bencher) {
        let c = callers();
        c.libloading_symbol(20, 22);
        b.bench_local(|| c.libloading_symbol(black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn dlopen2_wrapper(b: Bencher) {
        let c = callers();
        c.dlopen2_wrapper(20, 22);
        b.bench_local(|| c.dlopen2_wrapper(black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn bindgen_style(b: Bencher) {
        let c = callers();
        c.bindgen_style(20, 22);
        b.bench_local(|| c.bindgen_style(black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn dynplug(b: Bencher) {
        let c = callers();
        c.dynplug(20, 22);
        b.bench_local(|| c.dynplug(black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn libloading_get_per_call(b: Bencher) {
        let c = callers();
        c.libloading_get_per_call(20, 22);
        b.bench_local(|| c.libloading_get_per_call(black_box(20), 22));
    }
}
