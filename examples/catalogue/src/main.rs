//! Scans a plugin folder without running any plugin's code, lists what it
//! found (and what it could not use, and why), then loads the newest
//! version of each Greeter plugin.
//!
//! `cargo run -p catalogue-host -- path/to/plugins` scans that folder
//! (add `--key <minisign public key>` to require signatures);
//! `cargo run -p catalogue-host` builds a demo folder first: the example
//! plugin, and a file that only pretends to be a library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dynplug::{Catalog, PublicKey, ScanOptions};
use greeter_api::{Greeter, GreeterPlugin};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let mut dir = None;
    let mut options = ScanOptions::new();
    while let Some(arg) = args.next() {
        if arg == "--key" {
            let key = args
                .next()
                .and_then(|k| k.into_string().ok())
                .unwrap_or_default();
            match PublicKey::from_base64(&key) {
                Ok(key) => options = options.require_signature(key),
                Err(err) => {
                    eprintln!("error: --key: {err}");
                    return ExitCode::from(2);
                }
            }
        } else {
            dir = Some(PathBuf::from(arg));
        }
    }
    let is_demo = dir.is_none();
    let dir = dir.unwrap_or_else(demo_folder);

    let catalog = match Catalog::scan_with(&dir, &options) {
        Ok(catalog) => catalog,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{}: {} plugin file(s)",
        dir.display(),
        catalog.libraries().len()
    );
    for entry in catalog.find::<dyn Greeter>() {
        let package = entry
            .package()
            .map_or_else(|| "(no package)".to_owned(), |p| p.to_string());
        let export = entry.export().unwrap_or("-");
        println!(
            "  Greeter  {package:<24} export {export:<8} {}",
            entry.path().display()
        );
    }
    for err in catalog.mismatches::<dyn Greeter>() {
        println!("  cannot load: {err}");
    }
    for err in catalog.problems() {
        println!("  not a plugin: {err}");
    }

    // One of each package: its highest version.
    for entry in catalog.newest::<dyn Greeter>() {
        match entry.load::<GreeterPlugin>() {
            Ok(plugin) => println!("{} says: {}", plugin.package(), plugin.greet("catalogue")),
            Err(err) => println!("load failed: {err}"),
        }
    }
    if is_demo {
        // The plugin stays mapped; its file can go.
        let _ = std::fs::remove_dir_all(&dir);
    }
    ExitCode::SUCCESS
}

/// A folder with the example plugin and a file that is no library.
fn demo_folder() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dynplug-catalogue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the demo folder");
    let suffix = std::env::consts::DLL_SUFFIX;
    std::fs::copy(example_plugin(), dir.join(format!("greeter-hello{suffix}")))
        .expect("copy the example plugin");
    std::fs::write(
        dir.join(format!("notes{suffix}")),
        "plugins go in this folder\n",
    )
    .expect("write a file that only pretends to be a library");
    dir
}

/// The example plugin's library, which cargo puts next to this program
/// (or in its `deps` folder).
fn example_plugin() -> PathBuf {
    let file = format!(
        "{}greeter_hello{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe.parent().unwrap_or(Path::new("."));
    let beside = dir.join(&file);
    if beside.exists() {
        beside
    } else {
        dir.join("deps").join(file)
    }
}
