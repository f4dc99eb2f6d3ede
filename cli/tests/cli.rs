//! The `dynplug` command, run as a user runs it, on the fixture plugins.

use std::io::Cursor;
use std::path::Path;
use std::process::Output;

use dynplug_tests::fixture;

fn dynplug(args: &[&str]) -> Output {
    dynplug_tests::program(Path::new(env!("CARGO_BIN_EXE_dynplug")))
        .args(args)
        .output()
        .expect("run dynplug")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 test paths")
}

#[test]
fn inspect_prints_each_export_and_says_whether_the_file_is_signed() {
    let hello = fixture("hello-plugin");
    let out = dynplug(&["inspect", path_str(&hello)]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("  Greeter  (dynplug ABI"), "{stdout}");
    assert!(stdout.contains("package hello-plugin 0.0.0"), "{stdout}");
    assert!(
        stdout.contains("fn greet(&self, name: &str) -> String"),
        "{stdout}"
    );
    assert!(stdout.contains("not signed (no "), "{stdout}");
}

#[test]
fn inspect_json_is_one_array_and_failures_are_entries_with_an_error() {
    let multi = fixture("multi-plugin");
    let dir = tempfile::tempdir().unwrap();
    let text_file = dir.path().join("notes.so");
    std::fs::write(&text_file, "hello").unwrap();
    let out = dynplug(&["inspect", "--json", path_str(&multi), path_str(&text_file)]);
    assert_eq!(out.status.code(), Some(1), "one file is no library");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = value.as_array().unwrap();
    assert_eq!(reports.len(), 2);
    let exports = reports[0]["exports"].as_array().unwrap();
    let mut names: Vec<&str> = exports
        .iter()
        .filter(|e| e["interface"] == "Greeter")
        .map(|e| e["export"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["fast", "plain", "polite"]);
    assert_eq!(exports[0]["package"]["name"], "multi-plugin");
    assert_eq!(exports[0]["panics"], "unwind");
    assert_eq!(reports[0]["signature_file"], false);
    let error = reports[1]["error"].as_str().unwrap();
    assert!(
        error.contains("notes.so") && error.contains("not a loadable library"),
        "{error}"
    );
}

#[test]
fn scan_lists_plugins_and_problems() {
    let dir = tempfile::tempdir().unwrap();
    let suffix = std::env::consts::DLL_SUFFIX;
    std::fs::copy(
        fixture("hello-plugin"),
        dir.path().join(format!("hello{suffix}")),
    )
    .unwrap();
    std::fs::copy(
        fixture("multi-plugin"),
        dir.path().join(format!("multi{suffix}")),
    )
    .unwrap();
    std::fs::write(dir.path().join(format!("broken{suffix}")), "no").unwrap();
    let out = dynplug(&["scan", path_str(dir.path())]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("FILE") && lines[0].contains("INTERFACE"),
        "{stdout}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains(" Greeter ")).count(),
        4,
        "hello's export and multi's three: {stdout}"
    );
    assert!(stdout.contains("1 file(s) are not plugins:"), "{stdout}");
    assert!(stdout.contains(&format!("broken{suffix}")), "{stdout}");

    let out = dynplug(&["scan", "--json", path_str(dir.path())]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["plugins"].as_array().unwrap().len(), 2);
    assert_eq!(value["problems"].as_array().unwrap().len(), 1);
}

/// `dynplug scan` runs every check of `inspect`: a file whose only damage
/// is a relocation, which a plain `Catalog::scan` lists (its load then
/// refuses it), is one of the command's problems, saying why.
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn scan_runs_every_check_of_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let hello = fixture("hello-plugin");
    std::fs::copy(&hello, dir.path().join("a-hello.so")).unwrap();
    dynplug_tests::with_a_bad_relocation(&hello, &dir.path().join("b-bad.so"));
    let out = dynplug(&["scan", "--json", path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out).1);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["plugins"].as_array().unwrap().len(), 1);
    let problems = value["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{value}");
    let error = problems[0]["error"].as_str().unwrap();
    assert!(
        error.contains("b-bad.so") && error.contains("has type 99"),
        "{error}"
    );
}

#[test]
fn verify_checks_signatures_with_the_key() {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("signed.so");
    let unsigned = dir.path().join("unsigned.so");
    std::fs::copy(fixture("hello-plugin"), &signed).unwrap();
    std::fs::copy(fixture("hello-plugin"), &unsigned).unwrap();
    let bytes = std::fs::read(&signed).unwrap();
    let signature =
        minisign::sign(Some(&pair.pk), &pair.sk, Cursor::new(bytes), None, None).unwrap();
    std::fs::write(dynplug::signature_path(&signed), signature.into_string()).unwrap();
    // The key as its base64 line, and as a minisign.pub file.
    let key_file = dir.path().join("minisign.pub");
    std::fs::write(&key_file, pair.pk.to_box().unwrap().to_string()).unwrap();
    for key in [pair.pk.to_base64(), path_str(&key_file).to_owned()] {
        let out = dynplug(&["verify", "--key", &key, path_str(&signed)]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}{stderr}");
        assert!(stdout.starts_with("signed: "), "{stdout}");
    }
    let out = dynplug(&[
        "verify",
        "--json",
        "--key",
        &pair.pk.to_base64(),
        path_str(&signed),
        path_str(&unsigned),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value[0]["signed"], true);
    assert_eq!(value[1]["signed"], false);
    assert!(
        value[1]["error"].as_str().unwrap().contains("not signed"),
        "{value}"
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    for (args, says) in [
        (&[][..], "a command is needed"),
        (&["frobnicate"][..], "unknown command `frobnicate`"),
        (&["verify", "x.so"][..], "needs the public key"),
        (&["scan"][..], "takes one folder"),
        (&["inspect"][..], "takes one file or more"),
        (
            &["verify", "--key", "nonsense", "x.so"][..],
            "not a minisign public key",
        ),
        (&["inspect", "--bogus", "x.so"][..], "--bogus"),
    ] {
        let out = dynplug(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let out = dynplug(&["--help"]);
    assert!(out.status.success());
    assert!(text(&out).0.contains("usage: dynplug inspect"));
}

/// `--json` with paths that are not UTF-8 (a Unix file name may be any
/// bytes): every report is still JSON, its path written lossily, and the
/// command does not panic.
#[cfg(unix)]
#[test]
fn json_reports_paths_that_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"plugins-\xff"));
    std::fs::create_dir(&folder).unwrap();
    let suffix = std::env::consts::DLL_SUFFIX;
    let plugin = folder.join(format!("hello{suffix}"));
    std::fs::copy(fixture("hello-plugin"), &plugin).unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        dynplug_tests::program(Path::new(env!("CARGO_BIN_EXE_dynplug")))
            .args(args)
            .output()
            .expect("run dynplug")
    };
    for args in [
        &["inspect".as_ref(), "--json".as_ref(), plugin.as_os_str()][..],
        &["scan".as_ref(), "--json".as_ref(), folder.as_os_str()][..],
    ] {
        let out = run(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stdout}{stderr}");
        let value: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("{args:?}: not JSON ({err}): {stdout}"));
        let path = match value.get("plugins") {
            Some(plugins) => &plugins[0]["path"],
            None => &value[0]["path"],
        };
        let path = path.as_str().unwrap_or_else(|| panic!("{value}"));
        assert!(path.contains("plugins-\u{fffd}"), "{path}");
    }
}

/// `--key` names a file that is no key file: a large one is refused
/// without being read whole, a named pipe without waiting for a writer.
#[cfg(unix)]
#[test]
fn a_key_file_is_read_boundedly_and_never_waits() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.pub");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let hello = fixture("hello-plugin");
    let out = dynplug(&["verify", "--key", path_str(&big), path_str(&hello)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("big.pub") && stderr.contains("larger than"),
        "{stderr}"
    );
    let fifo = dir.path().join("fifo.pub");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let out = dynplug(&["verify", "--key", path_str(&fifo), path_str(&hello)]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
}

/// What a file says of itself (its package's description here) is the
/// file's author's text: printed for a person, its control characters are
/// shown escaped, so that a crafted plugin cannot send the terminal escape
/// sequences (clear the screen, retitle the window, fake other lines).
#[test]
fn text_from_the_file_reaches_the_terminal_without_control_characters() {
    let mut bytes = std::fs::read(fixture("hello-plugin")).unwrap();
    let needle = b"Test fixture: Greeter";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("hello-plugin's description");
    bytes[at..at + 4].copy_from_slice(b"\x1b[2J");
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(format!("escape{}", std::env::consts::DLL_SUFFIX));
    std::fs::write(&path, bytes).unwrap();
    for args in [
        &["inspect", path_str(&path)][..],
        &["scan", path_str(dir.path())][..],
    ] {
        let out = dynplug(args);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        assert!(
            !stdout.contains('\x1b') && !stderr.contains('\x1b'),
            "{args:?}: {stdout:?}"
        );
    }
    let out = dynplug(&["inspect", path_str(&path)]);
    assert!(
        text(&out).0.contains("\\u{1b}[2J fixture"),
        "{:?}",
        text(&out).0
    );
}
