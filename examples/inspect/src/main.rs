//! `dynplug-inspect LIB...`: prints the dynplug interfaces each library
//! exports, with their methods, reading the files without running any of
//! their code. Exits 1 if a file cannot be inspected.

use std::error::Error as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: dynplug-inspect LIBRARY...");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for (i, path) in paths.iter().enumerate() {
        if i > 0 {
            println!();
        }
        match dynplug::inspect(path) {
            Ok(info) => print!("{info}"),
            Err(err) => {
                eprintln!("error: {err}");
                let mut source = err.source();
                while let Some(cause) = source {
                    eprintln!("caused by: {cause}");
                    source = cause.source();
                }
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
