//! Loads the objects example's plugin, opens two sessions with their own
//! configuration and the host's logger, and uses them after the plugin's
//! loader is gone.
//!
//! `cargo run -p objects-host` loads the plugin that cargo built next to
//! this program; `cargo run -p objects-host -- path/to/plugin.so` loads
//! another one.

use std::path::PathBuf;
use std::process::ExitCode;

use objects_example_api::{Config, Log, Transcoder, TranscoderPlugin};

/// The host's logger: the plugin keeps it inside each session and calls it.
struct Stdout;

impl Log for Stdout {
    fn info(&self, text: &str) {
        println!("  [log] {text}");
    }
}

fn main() -> ExitCode {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(example_plugin);
    let transcoder = match TranscoderPlugin::load(&path) {
        Ok(plugin) => plugin,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("loaded {}", transcoder.path().display());

    let open = |name: &str, shout| {
        let config = Config {
            name: name.to_owned(),
            shout,
        };
        transcoder.open(config, Box::new(Stdout))
    };
    let (mut loud, mut quiet) = match (open("loud", true), open("quiet", false)) {
        (Ok(loud), Ok(quiet)) => (loud, quiet),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(err) = open("", true) {
        println!("refused as it should be: {err}");
    }

    // The sessions keep the plugin's library loaded.
    drop(transcoder);
    for chunk in ["hello, ", "objects"] {
        println!("{} | {}", loud.push(chunk), quiet.push(chunk));
    }
    println!("loud: {:?}", loud.finish());
    println!("quiet: {:?}", quiet.finish());
    // Dropping a session runs its `Drop` in the plugin, which logs through
    // the host's logger one last time and drops it.
    drop(loud);
    drop(quiet);
    ExitCode::SUCCESS
}

/// The example plugin's library, which cargo puts next to this program
/// (or in its `deps` folder).
fn example_plugin() -> PathBuf {
    let file = format!(
        "{}objects_example_plugin{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe.parent().expect("the program has a folder");
    let beside = dir.join(&file);
    if beside.exists() {
        beside
    } else {
        dir.join("deps").join(file)
    }
}
