//! `dynplug`: inspect, scan and verify plugin libraries, running none of
//! their code.
//!
//! ```text
//! dynplug inspect [--json] FILE...
//! dynplug scan [--json] [--recursive] [--key KEY] DIR
//! dynplug verify [--json] --key KEY FILE...
//! ```
//!
//! `KEY` is a minisign public key: its base64 line, or the path of a
//! `minisign.pub` file. Exit status: 0 when every file is fine, 1 when one
//! is not (a file that is no plugin, a bad signature), 2 for a usage error.

use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dynplug::{Catalog, InterfaceInfo, LibraryInfo, Package, PublicKey, ScanOptions};
use serde_json::{Value, json};

const USAGE: &str = "\
usage: dynplug inspect [--json] FILE...
       dynplug scan [--json] [--recursive] [--key KEY] DIR
       dynplug verify [--json] --key KEY FILE...

Reads plugin libraries without running any of their code.
  inspect   each file's exports: interfaces, methods, package, panic strategy, signature file
  scan      every library file of a folder: the plugins, and the files that are not
            (every check of inspect on each)
  verify    whether each file carries a valid minisign signature made with KEY

KEY is a minisign public key: its base64 line, or the path of a minisign.pub file.
Exit status: 0 if every file is fine, 1 if one is not, 2 for a usage error.";

/// A parsed command line.
struct Command {
    name: String,
    json: bool,
    recursive: bool,
    key: Option<String>,
    paths: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let command = match parse(lexopt::Parser::from_env()) {
        Ok(Some(command)) => command,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("dynplug: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let key = match command.key.as_deref().map(read_key).transpose() {
        Ok(key) => key,
        Err(message) => {
            eprintln!("dynplug: {message}");
            return ExitCode::from(2);
        }
    };
    let ok = match command.name.as_str() {
        "inspect" => inspect(&command),
        "scan" => scan(&command, key),
        "verify" => verify(&command, &key.expect("checked by parse")),
        _ => unreachable!("checked by parse"),
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The command line, or `None` for `--help`; else what is wrong with it.
fn parse(mut parser: lexopt::Parser) -> Result<Option<Command>, String> {
    use lexopt::Arg;
    let mut command = Command {
        name: String::new(),
        json: false,
        recursive: false,
        key: None,
        paths: Vec::new(),
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(None),
            Arg::Long("version") => {
                println!("dynplug {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            Arg::Long("json") => command.json = true,
            Arg::Short('r') | Arg::Long("recursive") => command.recursive = true,
            Arg::Long("key") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                command.key = Some(value.into_string().map_err(|_| "--key is not UTF-8")?);
            }
            Arg::Value(value) if command.name.is_empty() => {
                command.name = value
                    .into_string()
                    .map_err(|_| "the command is not UTF-8")?;
                if !["inspect", "scan", "verify"].contains(&command.name.as_str()) {
                    return Err(format!("unknown command `{}`", command.name));
                }
            }
            Arg::Value(value) => command.paths.push(PathBuf::from(value)),
            other => return Err(other.unexpected().to_string()),
        }
    }
    let (name, count) = (command.name.as_str(), command.paths.len());
    match name {
        "" => return Err("a command is needed".to_owned()),
        "scan" if count != 1 => return Err("`scan` takes one folder".to_owned()),
        "inspect" | "verify" if count == 0 => {
            return Err(format!("`{name}` takes one file or more"));
        }
        "verify" if command.key.is_none() => {
            return Err("`verify` needs the public key: --key KEY".to_owned());
        }
        "inspect" if command.key.is_some() => {
            return Err("`inspect` takes no key; `verify` checks signatures".to_owned());
        }
        _ => {}
    }
    if command.recursive && name != "scan" {
        return Err("--recursive is for `scan`".to_owned());
    }
    Ok(Some(command))
}

/// The most bytes a key file may have: a `minisign.pub` is about 100.
const MAX_KEY_FILE: u64 = 4 << 10;

/// The public key `text` is, or that the file at path `text` holds.
fn read_key(text: &str) -> Result<PublicKey, String> {
    use std::io::Read;
    let path = Path::new(text);
    if !path.is_file() {
        return PublicKey::from_base64(text).map_err(|e| format!("--key {text}: {e}"));
    }
    let cannot = |e: std::io::Error| format!("cannot read the key file {text}: {e}");
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // The path may name something else by now: the open must not wait (a
    // named pipe), and the open file must be a regular file.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    if !metadata.is_file() {
        return Err(format!("the key file {text} is not a regular file"));
    }
    if metadata.len() > MAX_KEY_FILE {
        return Err(format!(
            "the key file {text} is {} bytes long, larger than any minisign public key file",
            metadata.len()
        ));
    }
    let mut contents = String::new();
    file.take(MAX_KEY_FILE)
        .read_to_string(&mut contents)
        .map_err(cannot)?;
    PublicKey::decode(&contents).map_err(|e| format!("{text}: {e}"))
}

/// Text for a person's terminal: what a file says of itself (names,
/// signatures, its package's description) and its path are its author's,
/// so every control character but the line break is shown escaped
/// (`\u{1b}`), never sent to the terminal as an escape sequence.
fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push(c),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// A path as JSON: a string, written lossily if the path is not UTF-8
/// (`serde_json` refuses such a path, and `json!` would panic on it).
fn path_json(path: &Path) -> Value {
    Value::String(path.to_string_lossy().into_owned())
}

/// An error and its causes, one line.
fn error_text(err: &dynplug::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text += &format!(" (caused by: {cause})");
        source = cause.source();
    }
    text
}

fn inspect(command: &Command) -> bool {
    let mut ok = true;
    let mut reports = Vec::new();
    for (i, path) in command.paths.iter().enumerate() {
        let signed = dynplug::signature_path(path).is_file();
        match dynplug::inspect(path) {
            Ok(info) if command.json => reports.push(library_json(&info, Some(signed))),
            Ok(info) => {
                if i > 0 {
                    println!();
                }
                print!("{}", shown(&info.to_string()));
                match signed {
                    true => println!(
                        "  signature file: {} (check it with `dynplug verify`)",
                        shown(&dynplug::signature_path(path).display().to_string())
                    ),
                    false => println!(
                        "  not signed (no {})",
                        shown(&dynplug::signature_path(path).display().to_string())
                    ),
                }
            }
            Err(err) => {
                ok = false;
                match command.json {
                    true => {
                        reports.push(json!({"path": path_json(path), "error": error_text(&err)}))
                    }
                    false => eprintln!("error: {}", shown(&error_text(&err))),
                }
            }
        }
    }
    if command.json {
        println!("{}", Value::Array(reports));
    }
    ok
}

fn scan(command: &Command, key: Option<PublicKey>) -> bool {
    // Every pre-flight check, as `inspect` makes: the command is how a
    // person learns which files a load would refuse, and it reads a
    // folder once.
    let mut options = ScanOptions::new()
        .recursive(command.recursive)
        .thorough(true);
    if let Some(key) = key {
        options = options.require_signature(key);
    }
    let catalog = match Catalog::scan_with(&command.paths[0], &options) {
        Ok(catalog) => catalog,
        Err(err) => {
            match command.json {
                true => println!("{}", json!({"error": error_text(&err)})),
                false => eprintln!("error: {}", shown(&error_text(&err))),
            }
            return false;
        }
    };
    let problems = catalog.problems();
    if command.json {
        let libraries: Vec<Value> = catalog.libraries().map(|l| library_json(l, None)).collect();
        let problems: Vec<Value> = problems
            .iter()
            .map(|e| json!({"path": path_json(e.path()), "error": error_text(e)}))
            .collect();
        println!("{}", json!({"plugins": libraries, "problems": problems}));
        return problems.is_empty();
    }
    let mut rows = vec![[
        "FILE".to_owned(),
        "INTERFACE".to_owned(),
        "EXPORT".to_owned(),
        "PACKAGE".to_owned(),
        "ABI".to_owned(),
    ]];
    for library in catalog.libraries() {
        for interface in &library.interfaces {
            rows.push(
                [
                    library.path.display().to_string(),
                    interface.name.clone(),
                    interface.export.clone().unwrap_or_else(|| "-".to_owned()),
                    interface
                        .package
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), Package::to_string),
                    match interface.loadable() {
                        true => interface.abi_version.to_string(),
                        false => format!("{} (not loadable)", interface.abi_version),
                    },
                ]
                .map(|cell| shown(&cell)),
            );
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    if !problems.is_empty() {
        println!("\n{} file(s) are not plugins:", problems.len());
        for problem in problems {
            println!("  {}", shown(&error_text(problem)));
        }
    }
    problems.is_empty()
}

fn verify(command: &Command, key: &PublicKey) -> bool {
    let mut ok = true;
    let mut reports = Vec::new();
    for path in &command.paths {
        let result = dynplug::verify_signature(path, key);
        ok &= result.is_ok();
        match (command.json, result) {
            (true, Ok(())) => reports.push(json!({"path": path_json(path), "signed": true})),
            (true, Err(err)) => reports
                .push(json!({"path": path_json(path), "signed": false, "error": error_text(&err)})),
            (false, Ok(())) => println!("signed: {}", shown(&path.display().to_string())),
            (false, Err(err)) => println!("NOT TRUSTED: {}", shown(&error_text(&err))),
        }
    }
    if command.json {
        println!("{}", Value::Array(reports));
    }
    ok
}

/// A library's exports as JSON, and whether it has a signature file (for
/// `inspect`).
fn library_json(info: &LibraryInfo, signature_file: Option<bool>) -> Value {
    let mut value = json!({
        "path": path_json(&info.path),
        "exports": info.interfaces.iter().map(interface_json).collect::<Vec<_>>(),
    });
    if let Some(signed) = signature_file {
        value["signature_file"] = json!(signed);
    }
    value
}

fn interface_json(interface: &InterfaceInfo) -> Value {
    json!({
        "interface": interface.name,
        "export": interface.export,
        "abi_version": interface.abi_version,
        "loadable": interface.loadable(),
        "send": interface.send,
        "sync": interface.sync,
        "panics": if interface.aborts_on_panic { "abort" } else { "unwind" },
        "package": interface.package.as_ref().map(|p| json!({
            "name": p.name,
            "version": p.version,
            "description": p.description,
            "authors": p.authors,
            "license": p.license,
        })),
        "methods": interface.methods.iter().map(|m| json!({
            "name": m.name,
            "signature": m.signature,
            "required": m.required,
        })).collect::<Vec<_>>(),
    })
}
