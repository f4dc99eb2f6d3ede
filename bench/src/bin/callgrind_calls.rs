//! Instruction counting, run under `valgrind --tool=callgrind` by
//! `scripts/bench.py` with N and 2N: the difference of the two counts, over
//! N, is what one call (or load) costs, setup cancelled out.
//!
//! - `callgrind-calls call CASE N`: sets `bench-plugin` up with every
//!   approach, then makes N calls of `add` through CASE (one of
//!   `dynplug_bench::calls::CASES`).
//! - `callgrind-calls object CASE N`: N calls of `add` through an object,
//!   the plugin's (`dynplug`) or one made in-process (`in_process`).
//! - `callgrind-calls object-make CASE N`: N objects made and dropped,
//!   the plugin's (`adder()`) or in-process (`Box::new`).
//! - `callgrind-calls hot CASE N`: N calls of `add` through a hot-reloaded
//!   plugin, CASE one of `dynplug_bench::hot::CASES` (the plain loader,
//!   `Hot::get`, hot-lib-reloader).
//! - `callgrind-calls load APPROACH METHODS N`: N warm loads of the
//!   `wide-METHODS` fixture with APPROACH (`dynplug`, a file loaded
//!   before; `dynplug_first`, the file read again each time; `libloading`,
//!   `dlopen2`, `inspect`).

use std::process::exit;

use dynplug_bench::calls::{CASES, Callers};
use dynplug_bench::consume;
use dynplug_bench::hot;
use dynplug_bench::load::{self, Wide};
use dynplug_bench::objects;

const USAGE: &str = "usage: callgrind-calls call CASE N | object CASE N | object-make CASE N | hot CASE N | load APPROACH METHODS N";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |s: &str| -> u32 {
        s.parse().unwrap_or_else(|_| {
            eprintln!("{USAGE}");
            exit(2)
        })
    };
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["call", case, n] => {
            if !CASES.contains(&case) {
                eprintln!("{USAGE}\nCASE: one of {CASES:?}");
                exit(2);
            }
            let callers = Callers::new();
            let sum = callers.run(case, number(n));
            println!("{case} x {n}: {sum}");
        }
        [kind @ ("object" | "object-make"), case, n] => {
            if !objects::CASES.contains(&case) {
                eprintln!("{USAGE}\nCASE: one of {:?}", objects::CASES);
                exit(2);
            }
            let objects = objects::Objects::new();
            if kind == "object" {
                let sum = objects.run(case, number(n));
                println!("object {case} x {n}: {sum}");
            } else {
                objects.make(case, number(n));
                println!("object-make {case} x {n}");
            }
        }
        ["hot", case, n] => {
            if !hot::CASES.contains(&case) {
                eprintln!("{USAGE}\nCASE: one of {:?}", hot::CASES);
                exit(2);
            }
            let callers = hot::HotCallers::new();
            let sum = callers.run(case, number(n));
            hot::folders().remove();
            println!("hot {case} x {n}: {sum}");
        }
        ["load", approach, methods, n] => {
            let wide = Wide::new(number(methods) as usize);
            // Mapped once and kept: every load below is warm.
            let _kept = load::libloading(&wide);
            let options = dynplug::LoadOptions::new();
            for _ in 0..number(n) {
                match approach {
                    "dynplug" => consume(load::dynplug(&wide, &options)),
                    "dynplug_first" => {
                        dynplug::__private::forget_checked_files();
                        consume(load::dynplug(&wide, &options));
                    }
                    "libloading" => consume(load::libloading(&wide)),
                    "dlopen2" => consume(load::dlopen2(&wide)),
                    "inspect" => consume(dynplug::inspect(&wide.path).expect("inspect")),
                    _ => {
                        eprintln!(
                            "{USAGE}\nAPPROACH: dynplug, dynplug_first, libloading, dlopen2 or inspect"
                        );
                        exit(2);
                    }
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            exit(2);
        }
    }
}
