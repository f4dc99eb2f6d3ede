//! Owned returns: `greet(&str) -> String` and `bytes(len) -> Vec<u8>`
//! through dynplug, against the same implementation linked into the
//! benchmark and called in-process. Every timing includes freeing the
//! returned value.

use std::hint::black_box;
use std::sync::OnceLock;

use bench_plugin::{Bench, BenchPlugin, Impl};
use divan::Bencher;
use dynplug_bench::consume;

fn main() {
    divan::main();
}

fn plugin() -> &'static BenchPlugin {
    static PLUGIN: OnceLock<BenchPlugin> = OnceLock::new();
    PLUGIN.get_or_init(|| {
        BenchPlugin::load(dynplug_bench::library("bench-plugin")).expect("dynplug loads")
    })
}

const MIB: usize = 1024 * 1024;

mod greet {
    use super::*;

    #[divan::bench(sample_count = 500, sample_size = 1000)]
    fn dynplug(b: Bencher) {
        let p = plugin();
        consume(p.greet("world"));
        b.bench_local(|| consume(black_box(p).greet(black_box("world"))));
    }

    #[divan::bench(sample_count = 500, sample_size = 1000)]
    fn in_process(b: Bencher) {
        consume(Impl.greet("world"));
        b.bench_local(|| consume(black_box(&Impl).greet(black_box("world"))));
    }
}

mod bytes_1kib {
    use super::*;

    #[divan::bench(sample_count = 500, sample_size = 1000)]
    fn dynplug(b: Bencher) {
        let p = plugin();
        consume(p.bytes(1024));
        b.bench_local(|| consume(black_box(p).bytes(black_box(1024))));
    }

    #[divan::bench(sample_count = 500, sample_size = 1000)]
    fn in_process(b: Bencher) {
        consume(Impl.bytes(1024));
        b.bench_local(|| consume(black_box(&Impl).bytes(black_box(1024))));
    }
}

mod bytes_1mib {
    use super::*;

    #[divan::bench]
    fn dynplug(b: Bencher) {
        let p = plugin();
        consume(p.bytes(MIB));
        b.bench_local(|| consume(black_box(p).bytes(black_box(MIB))));
    }

    #[divan::bench]
    fn in_process(b: Bencher) {
        consume(Impl.bytes(MIB));
        b.bench_local(|| consume(black_box(&Impl).bytes(black_box(MIB))));
    }
}
