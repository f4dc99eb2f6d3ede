//! The fuzz campaign: single-bit flips in every structural region of a real
//! plugin (ELF header, program headers, `.dynamic`, `.dynsym`, `.dynstr`,
//! the hash tables, the offsets and infos of the relocations, the version
//! tables, the dynplug record, the section headers) and cuts at many
//! lengths, each mutant loaded in a child process with a time bound.
//!
//! Every mutant must either load and answer like the original, or be
//! refused with an `Error`; `inspect` on it, and a catalogue's scan of it,
//! must return. Nothing may kill
//! the process (a signal, ld.so's exit 127), hang, panic or answer wrong.
//!
//! ```sh
//! cargo test -p dynplug-tests --test fuzz                    # 2,400 mutants
//! DYNPLUG_FUZZ_MUTANTS=50000 cargo test -p dynplug-tests --test fuzz
//! DYNPLUG_FUZZ_SEED=7 DYNPLUG_FUZZ_ONLY=123 cargo test -p dynplug-tests --test fuzz
//! python3 scripts/reliability.py    # the campaign of docs/RELIABILITY.md
//! ```

#![cfg(target_os = "linux")]

#[path = "support/fuzz_campaign.rs"]
mod fuzz_campaign;
#[path = "support/fuzz_mutants.rs"]
mod fuzz_mutants;
#[path = "support/fuzz_regions.rs"]
mod fuzz_regions;
#[path = "support/fuzz_report.rs"]
mod fuzz_report;

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use dynplug::LoadOptions;
use dynplug_tests::{child_case, fixture};
use fixture_api::{Greeter, GreeterPlugin};
use fuzz_campaign::{Record, SABOTAGE, Settings};
use fuzz_mutants::{Change, Plan, TRUNCATION, write};

/// The fixture every mutant is made from.
const FIXTURE: &str = "hello-plugin";
/// The default campaign's seed and size.
const SEED: u64 = 0x5eed_0010;
const MUTANTS: u64 = 2_400;
/// The `--ignored` campaign's size.
const LONG_MUTANTS: u64 = 50_000;
/// How many mutants one worker process loads before the next one starts.
const BATCH: u64 = 600;
/// How long a worker may stay silent on one mutant.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Failures run once more alone, in a fresh worker, to tell a mutant that
/// breaks the host by itself from one that needs an earlier one's help.
const RERUN_ALONE: usize = 40;
/// The test that runs a worker when this binary is re-executed.
const WORKER_TEST: &str = "worker";

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={text} is not a number")))
}

fn plan() -> Plan {
    Plan::new(std::fs::read(fixture(FIXTURE)).expect("read the fixture"))
}

/// The default campaign: `DYNPLUG_FUZZ_MUTANTS` mutants (2,400 unless
/// set) of `DYNPLUG_FUZZ_SEED`, or mutant `DYNPLUG_FUZZ_ONLY` alone.
#[test]
fn every_mutant_loads_and_answers_or_is_refused() {
    let count = env_u64("DYNPLUG_FUZZ_MUTANTS").unwrap_or(MUTANTS);
    campaign(count);
}

/// A longer campaign (50,000 mutants, a few minutes).
#[test]
#[ignore = "a few minutes; run with --ignored"]
fn long_campaign() {
    campaign(LONG_MUTANTS);
}

fn campaign(count: u64) {
    let seed = env_u64(fuzz_campaign::SEED).unwrap_or(SEED);
    let mutants = match env_u64("DYNPLUG_FUZZ_ONLY") {
        Some(only) => only..only + 1,
        None => 0..count,
    };
    let plan = plan();
    let settings = Settings {
        seed,
        mutants,
        timeout: env_u64("DYNPLUG_FUZZ_TIMEOUT_MS").map_or(TIMEOUT, Duration::from_millis),
        batch: BATCH,
        worker_test: WORKER_TEST,
        sabotage: None,
    };
    let started = Instant::now();
    let mut records = fuzz_campaign::run(&plan, &settings);
    let seconds = started.elapsed().as_secs_f64();
    if settings.mutants.end - settings.mutants.start > 1 {
        rerun_failures_alone(&plan, &settings, &mut records);
    }

    let summary = fuzz_report::Summary::new(&plan, &records, seed, seconds);
    println!("{}", summary.table());
    for record in records.iter().filter(|r| r.left.is_some()) {
        let mutant = &record.mutant;
        println!(
            "note: mutant {} ({} at {}, {}) was {} and left {} in the working folder",
            mutant.index,
            mutant.region,
            mutant.field,
            mutant.change,
            record.outcome,
            record.left.as_deref().unwrap_or_default()
        );
    }
    // A relocation rebound from one import to another is a change of
    // content, which no structure check can refuse: listed, not failed.
    let (content, failures): (Vec<_>, Vec<_>) = records
        .iter()
        .filter(|r| r.failed())
        .partition(|r| rebound(&plan, r).is_some());
    for record in &content {
        let what = rebound(&plan, record).unwrap_or_default();
        println!(
            "content change (not a failure: {what}): {}",
            explain(&plan, seed, record)
        );
    }
    for record in &failures {
        println!("{}", explain(&plan, seed, record));
    }
    if let Ok(path) = std::env::var("DYNPLUG_FUZZ_SUMMARY") {
        std::fs::write(&path, summary.json())
            .unwrap_or_else(|err| panic!("write the summary to {path}: {err}"));
        println!("summary written to {path}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} mutants of seed {seed:#x} broke the host (each is listed above)",
        failures.len(),
        records.len()
    );
}

/// What a mutant that rebinds a relocation to another import does, if it
/// is one ([`fuzz_regions::rebinds_an_import`]).
fn rebound(plan: &Plan, record: &Record) -> Option<String> {
    match record.mutant.change {
        Change::Flip { offset, bit } => fuzz_regions::rebinds_an_import(&plan.bytes, offset, bit),
        Change::Cut { .. } => None,
    }
}

/// Runs each failure (the first few) again alone and says what it did.
fn rerun_failures_alone(plan: &Plan, settings: &Settings, records: &mut [Record]) {
    for record in records.iter_mut().filter(|r| r.failed()).take(RERUN_ALONE) {
        let index = record.mutant.index;
        let alone = Settings {
            mutants: index..index + 1,
            ..settings.clone()
        };
        let again = fuzz_campaign::run(plan, &alone);
        let outcome = again.first().map_or("?", |r| r.outcome);
        record.detail += &format!(" [alone: {outcome}]");
    }
}

/// A failure in full: where, what, and how to run it again; the mutant's
/// bytes are kept next to the test binary for a closer look.
fn explain(plan: &Plan, seed: u64, record: &Record) -> String {
    let mutant = &record.mutant;
    let kept = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("fuzz-failures")))
        .and_then(|dir| {
            std::fs::create_dir_all(&dir).ok()?;
            let path = dir.join(format!("seed-{seed:#x}-mutant-{}.so", mutant.index));
            std::fs::write(&path, plan.bytes_of(mutant)).ok()?;
            Some(path.display().to_string())
        })
        .unwrap_or_else(|| "(not kept)".to_owned());
    format!(
        "FAILED seed {seed:#x} mutant {} in {} at {} ({}): {}: {}\n  \
         inspect said: {}\n  \
         file: {kept}\n  \
         rerun: DYNPLUG_FUZZ_SEED={seed:#x} DYNPLUG_FUZZ_ONLY={} \
         cargo test -p dynplug-tests --test fuzz -- every_mutant --nocapture",
        mutant.index,
        mutant.region,
        mutant.field,
        mutant.change,
        record.outcome,
        record.detail,
        record.inspect,
        mutant.index,
    )
}

/// The harness itself: a worker that aborts, exits or stalls on a mutant
/// costs that mutant a failure of the right kind, and the campaign goes
/// on with the next one.
#[test]
fn the_harness_tells_crashes_exits_and_hangs_apart() {
    let plan = plan();
    let settings = Settings {
        seed: SEED,
        mutants: 0..8,
        timeout: Duration::from_secs(2),
        batch: BATCH,
        worker_test: WORKER_TEST,
        sabotage: Some("1:abort,3:exit,5:hang".to_owned()),
    };
    let records = fuzz_campaign::run(&plan, &settings);
    let outcomes: Vec<(u64, &str)> = records
        .iter()
        .map(|r| (r.mutant.index, r.outcome))
        .collect();
    assert_eq!(
        outcomes.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>(),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1].1, "crashed", "{:?}", records[1]);
    assert!(records[1].detail.contains("SIGABRT"), "{:?}", records[1]);
    assert_eq!(outcomes[3].1, "exited", "{:?}", records[3]);
    assert!(records[3].detail.contains("code 127"), "{:?}", records[3]);
    assert!(records[3].detail.contains("sabotage"), "{:?}", records[3]);
    assert_eq!(outcomes[5].1, "hung", "{:?}", records[5]);
    assert_eq!(records.iter().filter(|r| r.failed()).count(), 3);
}

/// The regions are found in the real fixture, cover what they claim, and
/// a mutant is the same whenever it is made again.
#[test]
fn regions_and_mutants_are_what_they_say() {
    let plan = plan();
    let names = plan.region_names();
    for wanted in [
        "ELF header",
        "program headers",
        ".dynamic",
        ".dynsym",
        ".dynstr",
        "hash tables",
        "relocations (.rela.dyn)",
        "dynplug record",
        "section headers",
        TRUNCATION,
    ] {
        assert!(names.contains(&wanted), "no region {wanted}: {names:?}");
    }
    let record = plan
        .regions
        .iter()
        .find(|r| r.name == "dynplug record")
        .unwrap();
    assert_eq!(&plan.bytes[record.ranges[0].start..][..8], b"DYNPLUG\0");
    // Relocations: offsets and infos only, never an addend.
    let rela = plan
        .regions
        .iter()
        .find(|r| r.name == "relocations (.rela.dyn)")
        .unwrap();
    assert!(rela.ranges.iter().all(|r| r.len() == 16));
    for n in [0, 7, 8, 15, 16, rela.len() - 1] {
        let field = rela.field(&plan.bytes, rela.nth_byte(n));
        assert!(
            field.contains("r_offset") || field.contains("r_info"),
            "{field}"
        );
    }
    // `.dynamic`: every tag, but not the values of DT_INIT and DT_FINI.
    let dynamic = plan.regions.iter().find(|r| r.name == ".dynamic").unwrap();
    let fields: Vec<String> = (0..dynamic.len())
        .map(|n| dynamic.field(&plan.bytes, dynamic.nth_byte(n)))
        .collect();
    for tag in ["(tag 0xc)", "(tag 0xd)"] {
        assert!(
            fields
                .iter()
                .any(|f| f.contains("d_tag") && f.contains(tag))
        );
        assert!(
            !fields
                .iter()
                .any(|f| f.contains("d_val") && f.contains(tag))
        );
    }
    assert!(
        fields
            .iter()
            .any(|f| f.contains("d_val") && f.contains("(tag 0x5)"))
    );
    // The default campaign flips bits in every region and cuts too.
    let mut seen = std::collections::BTreeSet::new();
    for index in 0..MUTANTS {
        let mutant = plan.mutant(SEED, index);
        assert_eq!(
            format!("{mutant:?}"),
            format!("{:?}", plan.mutant(SEED, index))
        );
        let bytes = plan.bytes_of(&mutant);
        match mutant.change {
            Change::Flip { offset, bit } => {
                assert_eq!(bytes[offset] ^ plan.bytes[offset], 1 << bit);
                assert_eq!(bytes.len(), plan.bytes.len());
            }
            Change::Cut { len } => assert_eq!(bytes.len(), len),
        }
        seen.insert(mutant.region);
    }
    assert_eq!(seen.len(), names.len(), "{seen:?}");
    assert_ne!(
        format!("{:?}", plan.mutant(SEED, 5)),
        format!("{:?}", plan.mutant(SEED + 1, 5))
    );
}

/// The child side of the campaigns: run by the tests above when they
/// re-execute this binary; does nothing when run directly.
#[test]
fn worker() {
    if child_case().as_deref() != Some("fuzz-worker") {
        return;
    }
    let seed = env_u64(fuzz_campaign::SEED).expect("seed");
    let from = env_u64(fuzz_campaign::FROM).expect("first mutant");
    let to = env_u64(fuzz_campaign::TO).expect("end of the mutants");
    let sabotage = std::env::var(SABOTAGE).unwrap_or_default();
    let original = fixture(FIXTURE);
    let plan = plan();
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = {
        let copy = dir.path().join("reference.so");
        std::fs::copy(&original, &copy).expect("copy the fixture");
        let answers = Answers::of(&copy, |_| {}).expect("the original loads");
        std::fs::remove_file(&copy).expect("remove the copy");
        answers
    };
    for index in from..to {
        say(&format!("start {index}"));
        eprintln!("fuzz: start {index}");
        sabotage_if_asked(&sabotage, index);
        let mutant = plan.mutant(seed, index);
        let path = dir.path().join(format!("mutant-{index}.so"));
        write(&plan, &original, &mutant, &path).expect("write the mutant");
        say(&format!("step {index} inspect"));
        let mut inspect = match catch_unwind(|| dynplug::inspect(&path)) {
            Ok(Ok(_)) => "ok".to_owned(),
            Ok(Err(err)) => format!("err:{}", variant(&err)),
            Err(_) => "panicked".to_owned(),
        };
        // A catalogue of the folder, which holds the mutant alone: its
        // scan reads less than `inspect` (what listing takes), and must
        // return all the same.
        say(&format!("step {index} scan {inspect}"));
        if catch_unwind(|| dynplug::Catalog::scan(dir.path())).is_err() {
            say(&format!("note {index} the catalogue's scan panicked"));
            inspect = "panicked".to_owned();
        }
        let step = |step: &str| say(&format!("step {index} {step} {inspect}"));
        let load = match catch_unwind(AssertUnwindSafe(|| Answers::of(&path, step))) {
            Ok(Ok(answers)) if answers == reference => "answered".to_owned(),
            Ok(Ok(answers)) => {
                say(&format!("note {index} answered {answers:?}"));
                "wrong".to_owned()
            }
            Ok(Err(err)) => format!("err:{}", variant(&err)),
            Err(_) => "panicked".to_owned(),
        };
        std::fs::remove_file(&path).expect("remove the mutant");
        if let Some(files) = clear_working_folder() {
            say(&format!("left {index} {files}"));
        }
        say(&format!("done {index} {inspect} {load}"));
    }
}

/// Empties the worker's working folder (the parent's fresh one), and says
/// what was in it: files a mutant's code made, when a flipped symbol index
/// or name bound one of its calls to another function.
fn clear_working_folder() -> Option<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(".").ok()?.flatten() {
        names.push(format!("{:?}", entry.file_name()));
        let path = entry.path();
        let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
    }
    (!names.is_empty()).then(|| names.join(","))
}

/// One line to the parent, flushed at once.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "fuzz: {line}");
    let _ = out.flush();
}

/// For the harness's own test: does what `SABOTAGE` asks at `index`.
fn sabotage_if_asked(sabotage: &str, index: u64) {
    let wanted = |kind: &str| sabotage.split(',').any(|s| s == format!("{index}:{kind}"));
    if wanted("abort") {
        std::process::abort();
    }
    if wanted("exit") {
        eprintln!("sabotage: exit 127");
        std::process::exit(127);
    }
    if wanted("hang") {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

/// The name of an error's variant: `InvalidLibrary`.
fn variant(err: &dynplug::Error) -> String {
    format!("{err:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// What the plugin answers to one call of each method.
#[derive(Debug, PartialEq, Eq)]
struct Answers {
    greet: String,
    add: i32,
    bump: (u64, u64),
    shout: String,
    fail: u32,
    hits: u64,
    drops: u64,
}

impl Answers {
    /// Loads the plugin at `path` (unloading it when done), calls it, and
    /// closes it again, telling `step` when it starts each (`load`, `call`,
    /// `unload`).
    fn of(path: &Path, step: impl Fn(&str)) -> Result<Answers, dynplug::Error> {
        step("load");
        // SAFETY: the hello fixture leaves no thread, callback or pointer
        // of its own behind, so unloading it is sound; it keeps a worker's
        // memory flat over thousands of mutants. (A mutant whose damaged
        // code misbehaves runs in a worker process, whose death is the
        // outcome the campaign records.)
        let options = unsafe { LoadOptions::new().unload_when_unused(true) };
        let mut plugin = GreeterPlugin::load_with(path, &options)?;
        step("call");
        let answers = Answers {
            greet: plugin.greet("world"),
            add: plugin.add(40, 2),
            bump: (plugin.bump(), plugin.bump()),
            shout: plugin.shout("hey"),
            fail: plugin.fail(""),
            hits: plugin.hits(),
            drops: plugin.drops(),
        };
        step("unload");
        drop(plugin);
        Ok(answers)
    }
}
