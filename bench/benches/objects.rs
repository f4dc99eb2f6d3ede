//! Objects: a call through a `Box<dyn Adder>` the plugin returned against
//! the same call on one made in-process, and making plus dropping one
//! against `Box::new` plus drop (see `dynplug_bench::objects`).

use std::hint::black_box;
use std::sync::OnceLock;

use divan::Bencher;
use dynplug_bench::objects::Objects;

fn main() {
    divan::main();
}

fn objects() -> &'static Objects {
    static OBJECTS: OnceLock<Objects> = OnceLock::new();
    OBJECTS.get_or_init(Objects::new)
}

mod call {
    use super::*;

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn dynplug(b: Bencher) {
        let o = objects();
        o.call_dynplug(20, 22);
        b.bench_local(|| o.call_dynplug(black_box(20), 22));
    }

    #[divan::bench(sample_count = 500, sample_size = 10000)]
    fn in_process(b: Bencher) {
        let o = objects();
        o.call_in_process(20, 22);
        b.bench_local(|| o.call_in_process(black_box(20), 22));
    }
}

mod create_drop {
    use super::*;

    #[divan::bench(sample_count = 500, sample_size = 1000)]
    fn dynplug(b: Bencher) {
        let o = objects();
        o.make_dynplug();
        b.bench_local(|| o.make_dynplug());
    }

    #[divan::bench(sample_count = 500, sample_size = 1000)]
    fn in_process(b: Bencher) {
        let o = objects();
        o.make_in_process();
        b.bench_local(|| o.make_in_process());
    }
}
