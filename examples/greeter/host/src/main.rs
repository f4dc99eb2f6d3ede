//! Loads a Greeter plugin and calls it.
//!
//! `cargo run -p greeter-host` loads the example plugin that cargo built
//! next to this program; `cargo run -p greeter-host -- path/to/plugin.so`
//! loads another one.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use greeter_api::{Greeter, GreeterPlugin};

fn main() -> ExitCode {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(example_plugin);
    let plugin = match GreeterPlugin::load(&path) {
        Ok(plugin) => plugin,
        Err(err) => {
            eprintln!("error: {err}");
            if let Some(source) = std::error::Error::source(&err) {
                eprintln!("caused by: {source}");
            }
            return ExitCode::FAILURE;
        }
    };
    println!("loaded {}", plugin.path().display());
    println!("{}", plugin.greet("world"));
    println!("{}", plugin.shout("the default body ran in the host"));

    // A loader is an ordinary value: share it between threads.
    let plugin = Arc::new(plugin);
    let workers: Vec<_> = ["Ada", "Grace", "Linus"]
        .into_iter()
        .map(|name| {
            let plugin = Arc::clone(&plugin);
            std::thread::spawn(move || plugin.greet(name))
        })
        .collect();
    for worker in workers {
        println!("{}", worker.join().expect("worker thread"));
    }
    println!("greetings made: {}", plugin.count());
    ExitCode::SUCCESS
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
    let dir = exe.parent().expect("the program has a folder");
    let beside = dir.join(&file);
    if beside.exists() {
        beside
    } else {
        dir.join("deps").join(file)
    }
}
