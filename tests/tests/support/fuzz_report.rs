//! A campaign's figures per region and outcome: printed as a table, and
//! written as JSON for scripts/reliability.py, which turns them into the
//! tables of docs/RELIABILITY.md.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::fuzz_campaign::Record;
use super::fuzz_mutants::{Change, Plan};

/// The figures of one region.
#[derive(Default)]
struct Row {
    /// How many bytes of the file the region spans (0 for truncation).
    bytes: usize,
    mutants: usize,
    answered: usize,
    /// Of the mutants that answered or were refused, those whose code left
    /// a file behind.
    left_files: usize,
    /// Refusals, by `Error` variant.
    refused: BTreeMap<String, usize>,
    /// Failures, by kind.
    failed: BTreeMap<&'static str, usize>,
    inspect_ok: usize,
    inspect_err: usize,
}

/// A campaign's figures.
pub struct Summary {
    seed: u64,
    seconds: f64,
    file_bytes: usize,
    rows: Vec<(&'static str, Row)>,
    failures: Vec<String>,
    /// The mutants that left files, as JSON.
    left: Vec<String>,
}

impl Summary {
    pub fn new(plan: &Plan, records: &[Record], seed: u64, seconds: f64) -> Summary {
        let mut rows: Vec<(&'static str, Row)> = plan
            .region_names()
            .into_iter()
            .map(|name| {
                let bytes = plan
                    .regions
                    .iter()
                    .find(|r| r.name == name)
                    .map_or(0, |r| r.len());
                (
                    name,
                    Row {
                        bytes,
                        ..Row::default()
                    },
                )
            })
            .collect();
        let mut failures = Vec::new();
        let mut left = Vec::new();
        for record in records {
            let (_, row) = rows
                .iter_mut()
                .find(|(name, _)| *name == record.mutant.region)
                .expect("every mutant is in a region");
            row.mutants += 1;
            if record.left.is_some() {
                row.left_files += 1;
                left.push(record_json(record));
            }
            match record.outcome {
                "answered" => row.answered += 1,
                "refused" => {
                    let variant = record.load.trim_start_matches("err:").to_owned();
                    *row.refused.entry(variant).or_default() += 1;
                }
                kind => {
                    *row.failed.entry(kind).or_default() += 1;
                    failures.push(record_json(record));
                }
            }
            match record.inspect.as_str() {
                "ok" => row.inspect_ok += 1,
                inspect if inspect.starts_with("err:") => row.inspect_err += 1,
                _ => {}
            }
        }
        Summary {
            seed,
            seconds,
            file_bytes: plan.bytes.len(),
            rows,
            failures,
            left,
        }
    }

    /// A plain-text table for the test's output.
    pub fn table(&self) -> String {
        let mut text = format!(
            "fuzz campaign, seed {:#x}, {} mutants in {:.1} s\n",
            self.seed,
            self.rows.iter().map(|(_, r)| r.mutants).sum::<usize>(),
            self.seconds
        );
        let _ = writeln!(
            text,
            "{:<26} {:>7} {:>8} {:>7} {:>6} {:>8}  refused by",
            "region", "mutants", "answered", "refused", "failed", "insp.ok"
        );
        for (name, row) in &self.rows {
            let refused: usize = row.refused.values().sum();
            let failed: usize = row.failed.values().sum();
            let by: Vec<String> = row
                .refused
                .iter()
                .map(|(v, n)| format!("{v} {n}"))
                .collect();
            let _ = writeln!(
                text,
                "{name:<26} {:>7} {:>8} {refused:>7} {failed:>6} {:>8}  {}",
                row.mutants,
                row.answered,
                row.inspect_ok,
                by.join(", ")
            );
        }
        text
    }

    /// The figures as JSON (written by hand: the tests have no serde).
    pub fn json(&self) -> String {
        let mut out = format!(
            "{{\n  \"seed\": {},\n  \"seconds\": {:.2},\n  \"file_bytes\": {},\n  \"regions\": [\n",
            self.seed, self.seconds, self.file_bytes
        );
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|(name, row)| {
                format!(
                    "    {{\"name\": {}, \"bytes\": {}, \"mutants\": {}, \"answered\": {}, \
                     \"left_files\": {}, \"refused\": {}, \"failed\": {}, \"inspect_ok\": {}, \
                     \"inspect_err\": {}}}",
                    quote(name),
                    row.bytes,
                    row.mutants,
                    row.answered,
                    row.left_files,
                    map_json(row.refused.iter().map(|(k, v)| (k.as_str(), *v))),
                    map_json(row.failed.iter().map(|(k, v)| (*k, *v))),
                    row.inspect_ok,
                    row.inspect_err,
                )
            })
            .collect();
        out += &rows.join(",\n");
        out += "\n  ],\n  \"failures\": [\n";
        out += &self.failures.join(",\n");
        out += "\n  ],\n  \"left_files\": [\n";
        out += &self.left.join(",\n");
        out += "\n  ]\n}\n";
        out
    }
}

/// A mutant's record as JSON: where, what, and what it did.
fn record_json(record: &Record) -> String {
    let mutant = &record.mutant;
    let change = match mutant.change {
        Change::Flip { offset, bit } => format!("\"offset\": {offset}, \"bit\": {bit}"),
        Change::Cut { len } => format!("\"cut\": {len}"),
    };
    format!(
        "    {{\"mutant\": {}, \"region\": {}, \"field\": {}, {change}, \"outcome\": {}, \
         \"inspect\": {}, \"detail\": {}, \"left\": {}}}",
        mutant.index,
        quote(mutant.region),
        quote(&mutant.field),
        quote(record.outcome),
        quote(&record.inspect),
        quote(&record.detail),
        quote(record.left.as_deref().unwrap_or(""))
    )
}

fn map_json<'a>(entries: impl Iterator<Item = (&'a str, usize)>) -> String {
    let entries: Vec<String> = entries.map(|(k, v)| format!("{}: {v}", quote(k))).collect();
    format!("{{{}}}", entries.join(", "))
}

/// `text` as a JSON string.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
