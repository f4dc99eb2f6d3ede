//! The parent side of a fuzz campaign: it re-executes the test binary as a
//! worker that loads a batch of mutants in sequence and says on stdout what
//! it is doing (`fuzz: start N`, `fuzz: step N load <inspect>`, `fuzz: done N
//! <inspect> <load>`). A worker that dies (a signal, an exit code) or stays
//! silent past the time bound (it is killed) costs the mutant in progress
//! a failure, and a new worker goes on from the next mutant.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::fuzz_mutants::{Mutant, Plan};

/// Environment of a worker: which mutants, of which campaign.
pub const SEED: &str = "DYNPLUG_FUZZ_SEED";
pub const FROM: &str = "DYNPLUG_FUZZ_FROM";
pub const TO: &str = "DYNPLUG_FUZZ_TO";
/// For the harness's own test: `N:abort`, `N:hang`, `N:exit` make the
/// worker do that at mutant N instead of loading it.
pub const SABOTAGE: &str = "DYNPLUG_FUZZ_SABOTAGE";

/// How a campaign runs.
#[derive(Clone)]
pub struct Settings {
    pub seed: u64,
    /// The mutants to run, by number.
    pub mutants: std::ops::Range<u64>,
    /// How long a worker may stay silent on one mutant before it is killed.
    pub timeout: Duration,
    /// How many mutants a worker loads before it exits (memory stays flat).
    pub batch: u64,
    /// The test of this binary that runs a worker when re-executed.
    pub worker_test: &'static str,
    /// Passed on to the workers as [`SABOTAGE`].
    pub sabotage: Option<String>,
}

/// What happened to one mutant.
#[derive(Clone, Debug)]
pub struct Record {
    pub mutant: Mutant,
    /// What `inspect` gave: `ok`, `err:<Variant>` or `panicked`; `-` if
    /// the worker died first.
    pub inspect: String,
    /// What `load` gave: `answered`, `err:<Variant>`, `wrong` or
    /// `panicked`; `-` if the worker died first.
    pub load: String,
    /// `answered`, `refused` (an `Error`), or a failure: `wrong answer`,
    /// `panicked`, `crashed` (a signal), `exited` (an exit code) or `hung`.
    pub outcome: &'static str,
    /// For a failure, what went wrong, with the end of the worker's stderr.
    pub detail: String,
    /// Files the mutant's code left in the worker's working folder (a
    /// rebound call does something else than the original's), if any.
    pub left: Option<String>,
}

impl Record {
    pub fn failed(&self) -> bool {
        !matches!(self.outcome, "answered" | "refused")
    }
}

/// The outcome of a mutant the worker finished.
fn outcome(inspect: &str, load: &str) -> &'static str {
    match (inspect, load) {
        ("panicked", _) | (_, "panicked") => "panicked",
        (_, "answered") => "answered",
        (_, "wrong") => "wrong answer",
        (_, load) if load.starts_with("err:") => "refused",
        _ => "unknown",
    }
}

/// One line of a worker's stdout that concerns us.
enum Event {
    Start(u64),
    /// A step, and what `inspect` gave if it is done.
    Step(u64, String, Option<String>),
    Done(u64, String, String),
    Note(u64, String),
    /// What the mutant left in the worker's working folder.
    Left(u64, String),
}

fn parse(line: &str) -> Option<Event> {
    let mut words = line.strip_prefix("fuzz: ")?.splitn(4, ' ');
    let kind = words.next()?;
    let index = words.next()?.parse().ok()?;
    match kind {
        "start" => Some(Event::Start(index)),
        "step" => Some(Event::Step(
            index,
            words.next()?.to_owned(),
            words.next().map(str::to_owned),
        )),
        "done" => Some(Event::Done(
            index,
            words.next()?.to_owned(),
            words.next()?.to_owned(),
        )),
        "note" => {
            let rest: Vec<_> = words.collect();
            Some(Event::Note(index, rest.join(" ")))
        }
        "left" => {
            let rest: Vec<_> = words.collect();
            Some(Event::Left(index, rest.join(" ")))
        }
        _ => None,
    }
}

/// A running worker: its process, its stdout lines, its stderr so far.
struct Worker {
    child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Worker {
    fn spawn(settings: &Settings, folder: &Path, from: u64, to: u64) -> Worker {
        let mut command = dynplug_tests::this_test_binary();
        command
            .args([settings.worker_test, "--exact", "--nocapture"])
            .args(["--test-threads=1"])
            .env(dynplug_tests::CHILD_CASE, "fuzz-worker")
            .env(SEED, settings.seed.to_string())
            .env(FROM, from.to_string())
            .env(TO, to.to_string())
            .env_remove(SABOTAGE)
            // The message, not a backtrace, fits in a failure's report.
            .env("RUST_BACKTRACE", "0")
            .current_dir(folder)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(sabotage) = &settings.sabotage {
            command.env(SABOTAGE, sabotage);
        }
        let mut child = command.spawn().expect("start a fuzz worker");
        let (sender, lines) = channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut readers = vec![std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        })];
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().expect("piped stderr");
        readers.push(std::thread::spawn(move || {
            let mut chunk = [0; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                let mut text = sink.lock().unwrap();
                text.push_str(&String::from_utf8_lossy(&chunk[..n]));
                // Keep the end only: what the last mutants printed.
                if text.len() > 64 << 10 {
                    let cut = text.len() - (16 << 10);
                    let cut = (cut..text.len())
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(0);
                    text.drain(..cut);
                }
            }
        }));
        Worker {
            child,
            lines,
            stderr,
            readers,
        }
    }

    /// Waits for the process to end (killing it first if `kill`) and for
    /// its pipes to close; returns its status and the end of its stderr
    /// from the last `fuzz: start` on.
    fn finish(mut self, kill: bool) -> (ExitStatus, String) {
        if kill {
            // Our own child, by its handle.
            let _ = self.child.kill();
        }
        let status = self.child.wait().expect("wait for the fuzz worker");
        drop(self.lines);
        for reader in self.readers {
            let _ = reader.join();
        }
        let text = self.stderr.lock().unwrap().clone();
        let from = text.rfind("fuzz: start").unwrap_or(0);
        let tail: String = text[from..].lines().skip(1).collect::<Vec<_>>().join("\n");
        let start = tail.len().saturating_sub(800);
        let start = (start..=tail.len())
            .find(|&i| tail.is_char_boundary(i))
            .unwrap_or(0);
        (status, tail[start..].trim().to_owned())
    }
}

/// The words for a worker's death.
fn describe(status: ExitStatus) -> (&'static str, String) {
    if let Some(signal) = status.signal() {
        let name = match signal {
            4 => " (SIGILL)",
            5 => " (SIGTRAP)",
            6 => " (SIGABRT)",
            7 => " (SIGBUS)",
            8 => " (SIGFPE)",
            9 => " (SIGKILL)",
            11 => " (SIGSEGV)",
            _ => "",
        };
        ("crashed", format!("killed by signal {signal}{name}"))
    } else {
        let code = status.code().unwrap_or(-1);
        let hint = if code == 127 { " (ld.so gave up)" } else { "" };
        ("exited", format!("exited with code {code}{hint}"))
    }
}

/// Runs every mutant of `settings` and returns what happened to each, in
/// order.
pub fn run(plan: &Plan, settings: &Settings) -> Vec<Record> {
    // The workers' working folder: whatever a mutant's code creates there
    // is seen, and not left in the source tree.
    let folder = tempfile::tempdir().expect("a working folder for the workers");
    let mut records = Vec::new();
    let mut next = settings.mutants.start;
    while next < settings.mutants.end {
        let to = (next + settings.batch).min(settings.mutants.end);
        let worker = Worker::spawn(settings, folder.path(), next, to);
        next = run_worker(plan, settings, worker, next, to, &mut records);
    }
    records
}

/// One worker over mutants `from..to`; returns the mutant to go on from.
fn run_worker(
    plan: &Plan,
    settings: &Settings,
    worker: Worker,
    from: u64,
    to: u64,
    records: &mut Vec<Record>,
) -> u64 {
    // The mutant in progress, its step, and what `inspect` said of it.
    let mut current: Option<(u64, String, Option<String>)> = None;
    let mut notes: BTreeMap<u64, String> = BTreeMap::new();
    let mut left: BTreeMap<u64, String> = BTreeMap::new();
    let mut last_done = None;
    let hung = loop {
        match worker.lines.recv_timeout(settings.timeout) {
            Ok(line) => match parse(&line) {
                Some(Event::Start(index)) => current = Some((index, "write".to_owned(), None)),
                Some(Event::Step(index, step, inspect)) => current = Some((index, step, inspect)),
                Some(Event::Note(index, note)) => {
                    notes.insert(index, note);
                }
                Some(Event::Left(index, files)) => {
                    left.insert(index, files);
                }
                Some(Event::Done(index, inspect, load)) => {
                    records.push(Record {
                        mutant: plan.mutant(settings.seed, index),
                        outcome: outcome(&inspect, &load),
                        detail: notes.remove(&index).unwrap_or_default(),
                        left: left.remove(&index),
                        inspect,
                        load,
                    });
                    current = None;
                    last_done = Some(index);
                }
                None => {}
            },
            Err(RecvTimeoutError::Disconnected) => break false,
            Err(RecvTimeoutError::Timeout) => break true,
        }
    };
    let (status, stderr) = worker.finish(hung);
    if !hung && status.success() && last_done == Some(to - 1) {
        return to;
    }
    let (kind, what) = if hung {
        ("hung", format!("silent for {:?}, killed", settings.timeout))
    } else {
        describe(status)
    };
    match current {
        Some((index, step, inspect)) => {
            records.push(Record {
                mutant: plan.mutant(settings.seed, index),
                inspect: inspect.unwrap_or_else(|| "-".to_owned()),
                load: "-".to_owned(),
                outcome: kind,
                detail: format!("{what} during {step}; stderr: {stderr}"),
                left: None,
            });
            index + 1
        }
        None => {
            // Between two mutants (or at exit): the last one done is to
            // blame, if any; else the worker could not start at all.
            let index = last_done.unwrap_or(from);
            assert!(
                last_done.is_some(),
                "the fuzz worker failed before its first mutant ({what}); stderr: {stderr}"
            );
            if let Some(record) = records.iter_mut().rev().find(|r| r.mutant.index == index) {
                record.outcome = kind;
                record.detail = format!("{what} after it; stderr: {stderr}");
            }
            index + 1
        }
    }
}
