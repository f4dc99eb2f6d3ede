//! Keeps calling a plugin while its file is rebuilt: each new build that
//! passes dynplug's checks is served without a restart, its state handed
//! over from the old version; a build that fails is reported and the old
//! version keeps serving.
//!
//! ```text
//! cargo run -p hot-reload-host                 # runs for 60 seconds
//! cargo run -p hot-reload-host -- --seconds 5
//! cargo run -p hot-reload-host -- --seconds 5 path/to/plugin.so
//! bash examples/hot-reload/demo.sh             # edits and rebuilds for you
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use dynplug::{Hot, HotOptions};
use hot_reload_api::{Ticker, TickerPlugin};

fn main() -> ExitCode {
    let mut seconds = 60;
    let mut path = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            match args.next().and_then(|s| s.to_str()?.parse().ok()) {
                Some(s) => seconds = s,
                None => {
                    eprintln!("error: --seconds takes a whole number");
                    return ExitCode::from(2);
                }
            }
        } else {
            path = Some(PathBuf::from(arg));
        }
    }
    let path = path.unwrap_or_else(example_plugin);

    let options = HotOptions::<TickerPlugin>::new()
        // The new version takes over the old one's count before it serves.
        .hand_over(|old, new| {
            new.restore(old.save());
            Ok(())
        })
        .on_reload(|generation| println!("-- version {generation} now serving"))
        .on_error(|err| println!("-- not reloaded, the old version keeps serving: {err}"));
    let hot = match Hot::watch_with(&path, options) {
        Ok(hot) => hot,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "watching {} for {seconds} s; rebuild the plugin to see it change",
        path.display()
    );
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        println!("{}", hot.get().tick());
        std::thread::sleep(Duration::from_millis(250));
    }
    ExitCode::SUCCESS
}

/// The example plugin's library, which cargo puts next to this program
/// when the plugin is built by itself (`cargo build -p
/// hot-reload-plugin`), and in its `deps` folder in any case.
fn example_plugin() -> PathBuf {
    let file = format!(
        "{}hot_reload_plugin{}",
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
