//! Reload latency, run by `scripts/bench.py`: `hot-reload [ROUNDS]` (20 by
//! default) prints one JSON object.
//!
//! Each round copies the other version of `hot-plugin` (`a + b`, or
//! `hot-plugin-v2`'s `a + b + 1000`) to a staging name, renames it over the
//! watched file, and calls `add(20, 22)` without pause until the new
//! version answers: the time from the rename to that call. Sides, each with
//! its own copy in its own folder (`dynplug_bench::hot::Folders`):
//! `dynplug::Hot` with the default options, and hot-lib-reloader with its
//! default debounce (500 ms) and with 1 ms.
//!
//! ```json
//! {"rounds": 20, "cases": {"dynplug_hot": {"median_ms": 2.4, "max_ms": 3.1,
//!  "samples_ms": [...]}, "hot_lib_reloader_default": {..., "debounce_ms": 500}, ...}}
//! ```

use std::path::Path;
use std::process::exit;
use std::time::Duration;

use dynplug_bench::hot::{
    DEBOUNCE_DEFAULT_MS, DEBOUNCE_QUICK_MS, HotCallers, folders, reloader_default, reloader_file,
    reloader_quick, time_reload,
};
use hot_plugin::HotAdd;

/// How long a round waits for the new version before giving up.
const PATIENCE: Duration = Duration::from_secs(10);
/// The pause between rounds, so that no event of one round reaches the
/// next (hot-lib-reloader's debouncer reports each burst after it).
const BETWEEN: Duration = Duration::from_millis(50);

fn main() {
    let rounds = match std::env::args().nth(1).map(|n| n.parse::<usize>()) {
        None => 20,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: hot-reload [ROUNDS]");
            exit(2)
        }
    };
    let callers = HotCallers::new();
    let f = folders();
    let hot = callers.hot();
    let cases = [
        (
            "dynplug_hot",
            None,
            measure(rounds, &f.hot(), &|| hot.get().add(20, 22)),
        ),
        (
            "hot_lib_reloader_default",
            Some(DEBOUNCE_DEFAULT_MS),
            measure(rounds, &f.reloader_default().join(reloader_file()), &|| {
                reloader_default::add(20, 22)
            }),
        ),
        (
            "hot_lib_reloader_quick",
            Some(DEBOUNCE_QUICK_MS),
            measure(rounds, &f.reloader_quick().join(reloader_file()), &|| {
                reloader_quick::add(20, 22)
            }),
        ),
    ];
    f.remove();
    let cases: Vec<String> = cases
        .iter()
        .map(|(name, debounce, samples)| json_case(name, *debounce, samples))
        .collect();
    println!(
        "{{\"rounds\": {rounds}, \"cases\": {{{}}}}}",
        cases.join(", ")
    );
}

/// `rounds` reloads of the file at `watched`, alternating the two versions
/// (it holds the first): each one's latency in milliseconds.
fn measure(rounds: usize, watched: &Path, call: &dyn Fn() -> i32) -> Vec<f64> {
    let v1 = dynplug_bench::library("hot-plugin");
    let v2 = dynplug_bench::library("hot-plugin-v2");
    assert_eq!(call(), 42, "{} serves the first version", watched.display());
    (0..rounds)
        .map(|round| {
            let (new, expected) = if round % 2 == 0 {
                (&v2, 1042)
            } else {
                (&v1, 42)
            };
            std::thread::sleep(BETWEEN);
            let took = time_reload(new, &folders().staging(), watched, expected, PATIENCE, call)
                .unwrap_or_else(|| {
                    eprintln!(
                        "{}: round {round}: not reloaded in {PATIENCE:?}",
                        watched.display()
                    );
                    exit(1)
                });
            took.as_secs_f64() * 1e3
        })
        .collect()
}

/// `"name": {"median_ms": .., "max_ms": .., "min_ms": .., "samples_ms": [..]}`.
fn json_case(name: &str, debounce: Option<u64>, samples: &[f64]) -> String {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = match n % 2 {
        1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    };
    let list: Vec<String> = samples.iter().map(|s| format!("{s:.3}")).collect();
    let debounce = debounce.map_or(String::new(), |ms| format!(", \"debounce_ms\": {ms}"));
    format!(
        "\"{name}\": {{\"median_ms\": {median:.3}, \"max_ms\": {:.3}, \"min_ms\": {:.3}{debounce}, \"samples_ms\": [{}]}}",
        sorted[n - 1],
        sorted[0],
        list.join(", ")
    )
}
