//! A folder of 1,000 plugin files: `dynplug::Catalog::scan`, which reads
//! each file and runs none of its code, against opening and closing each
//! one with libloading (`dlopen` + `dlclose`), which is what listing
//! plugins takes without metadata: every file mapped, relocated and its
//! initialisers run. A scan reads what listing takes (each entry's load
//! runs the rest of pre-flight); a thorough scan
//! (`ScanOptions::thorough`) runs every pre-flight check on each file.
//!
//! The files are copies of one plugin (`bench-plugin`), each a file of its
//! own, so that every `dlopen` maps one.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use divan::Bencher;
use dynplug_bench::consume;

/// How many plugin files the folder holds.
const FILES: usize = 1000;

fn main() {
    divan::main();
    let _ = std::fs::remove_dir_all(folder_path());
}

fn folder_path() -> PathBuf {
    std::env::temp_dir().join(format!("dynplug-bench-scan-{}", std::process::id()))
}

/// The folder, made once, and its files in name order.
fn folder() -> &'static (PathBuf, Vec<PathBuf>) {
    static FOLDER: OnceLock<(PathBuf, Vec<PathBuf>)> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let dir = folder_path();
        std::fs::create_dir_all(&dir).expect("temporary folder");
        let plugin = dynplug_bench::library("bench-plugin");
        let files: Vec<PathBuf> = (0..FILES)
            .map(|i| {
                let to = dir.join(format!("plugin-{i:04}{}", std::env::consts::DLL_SUFFIX));
                std::fs::copy(&plugin, &to).expect("copy the plugin");
                to
            })
            .collect();
        (dir, files)
    })
}

/// dlopen + dlclose of each file.
fn open_each(files: &[PathBuf]) {
    for file in files {
        // SAFETY: the benchmark's own plugin, whose initialisers are
        // harmless; nothing of it is used after the close.
        let lib = unsafe { libloading::Library::new(file) }.expect("dlopen");
        lib.close().expect("dlclose");
    }
}

fn scan(dir: &Path, options: &dynplug::ScanOptions) -> dynplug::Catalog {
    let catalog = dynplug::Catalog::scan_with(dir, options).expect("scan");
    assert_eq!(catalog.libraries().len(), FILES);
    catalog
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn dynplug_scan(b: Bencher) {
    let (dir, _) = folder();
    let options = dynplug::ScanOptions::new();
    b.bench_local(|| consume(scan(dir, &options)));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn dynplug_scan_thorough(b: Bencher) {
    let (dir, _) = folder();
    let options = dynplug::ScanOptions::new().thorough(true);
    b.bench_local(|| consume(scan(dir, &options)));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn libloading_open_close(b: Bencher) {
    let (_, files) = folder();
    b.bench_local(|| open_each(files));
}
