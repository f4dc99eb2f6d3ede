//! Attempts to break the promises of loading and unloading: safe code
//! never unmaps a library, never gets old code for a new file, never
//! crashes, and `close()` and the errors say truthfully what happened.

use dynplug_tests::fixture;
use fixture_api::{Greeter, GreeterPlugin, Linger, LingerPlugin};
use std::path::{Path, PathBuf};

/// Renames a fresh copy of fixture `name` over `path`: a new file (inode)
/// at the same path, as a build writes it.
fn replace_with(name: &str, path: &Path) {
    let staged = path.with_file_name("s");
    std::fs::copy(fixture(name), &staged).unwrap();
    dynplug_tests::replace_file(&staged, path);
}

/// `dir/<spelling>/<file>`, built as a string so that the spelling stays.
fn spelled(dir: &Path, spelling: &str, file: &str) -> PathBuf {
    PathBuf::from(format!("{}/{spelling}{file}", dir.display()))
}

#[test]
fn one_path_spelled_two_ways_still_gets_the_new_file() {
    // `dir/./libp.so` and `dir/libp.so` are one path. Load the first file
    // by the first spelling, rebuild it, load it by the second: the new
    // file's code must answer, not the old one's.
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("libspelled.so");
    replace_with("hello-plugin", &plain);
    let old = GreeterPlugin::load(spelled(dir.path(), "./", "libspelled.so")).unwrap();
    assert_eq!(old.greet("x"), "Hello, x!");
    replace_with("loud-plugin", &plain);
    let new = GreeterPlugin::load(&plain).unwrap();
    assert_eq!(new.greet("x"), "HEY, x!", "the new file's code");
}

#[test]
fn one_path_spelled_many_ways_always_gets_the_new_file() {
    // Every file renamed over the path, loaded by one of many spellings of
    // it (kept mapped, the default), must be a library of its own: no
    // spelling may name an older generation to the dynamic loader.
    // Spellings with `.` components first, then plain ones: a plain
    // spelling's later generation names must not meet an earlier one's.
    let dotted = ["./", ".//", "././", "././/"];
    let plain_ones = ["", "//"];
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("libmany.so");
    let mut kept: Vec<LingerPlugin> = Vec::new();
    for round in 0..80 {
        replace_with("linger-plugin", &plain);
        let spelling = if round < 40 {
            dotted[round % dotted.len()]
        } else {
            plain_ones[round % plain_ones.len()]
        };
        let path = spelled(dir.path(), spelling, "libmany.so");
        let plugin = LingerPlugin::load(&path).unwrap();
        let address = plugin.static_address();
        if let Some(old) = kept.iter().position(|p| p.static_address() == address) {
            panic!(
                "round {round}: {} was served generation {old}'s library",
                path.display()
            );
        }
        kept.push(plugin);
    }
}

/// A C binding that needs nothing: any library loads as it.
#[dynplug::plugin_interface(c_library)]
pub trait Anything {
    /// Absent from every fixture: optional.
    fn dynplug_absent_function(&self) -> i32 {
        0
    }
}

/// Runs `test` of this binary again in a child, with `case` and the
/// extra environment `env`.
fn child(test: &str, case: &str, env: &[(&str, &Path)]) -> std::process::Output {
    let mut command = dynplug_tests::this_test_binary();
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(dynplug_tests::CHILD_CASE, case);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

// Linux: the system finds the file through LD_LIBRARY_PATH.
#[cfg(target_os = "linux")]
#[test]
fn a_file_the_system_found_by_name_does_not_stand_in_for_a_new_file_at_its_path() {
    // A C binding loads `libbyname.so` by name; the system's loader finds
    // it in LD_LIBRARY_PATH and knows it as `<dir>/libbyname.so`. The file
    // is rebuilt; a plugin loader then loads `<dir>/libbyname.so` by path
    // and must get the new file's code.
    if let Some(dir) = dynplug_tests::child_case() {
        let path = Path::new(&dir).join("libbyname.so");
        // SAFETY: the binding declares one optional function, never called.
        let by_name = unsafe { AnythingLibrary::load_by_name("libbyname.so") }.unwrap();
        assert_eq!(by_name.dynplug_absent_function(), 0);
        replace_with("loud-plugin", &path);
        let plugin = GreeterPlugin::load(&path).unwrap();
        assert_eq!(plugin.greet("x"), "HEY, x!", "the new file's code");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    replace_with("hello-plugin", &dir.path().join("libbyname.so"));
    let out = child(
        "a_file_the_system_found_by_name_does_not_stand_in_for_a_new_file_at_its_path",
        &dir.path().to_string_lossy(),
        &[("LD_LIBRARY_PATH", dir.path())],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
}

#[test]
fn a_file_replaced_while_it_loads_is_never_taken_for_another() {
    // One thread renames new files over a path as fast as it can while
    // another loads the path again and again: a file replaced between
    // dynplug's look at it and the dynamic loader's open must not leave
    // the library of one file filed under another's identity. Then the
    // replaced files' inode numbers, freed, go to new files (ext4 reuses
    // them at once), and each new file must load as a library of its own.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("librace.so");
    replace_with("linger-plugin", &path);
    // Fewer under wine, where every file is a DLL of several megabytes
    // that stays on disk while it is loaded.
    let (renames, fresh_files) = if cfg!(windows) { (60, 100) } else { (150, 400) };
    let staged: Vec<PathBuf> = (0..renames)
        .map(|i| {
            let staged = dir.path().join(format!("staged-{i}.so"));
            std::fs::copy(fixture("linger-plugin"), &staged).unwrap();
            staged
        })
        .collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    let mut kept: Vec<LingerPlugin> = Vec::new();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // Set however this thread ends (a panic included), so that the
            // loop below ends too and the panic is reported.
            struct Done<'a>(&'a std::sync::atomic::AtomicBool);
            impl Drop for Done<'_> {
                fn drop(&mut self) {
                    self.0.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            let _done = Done(&done);
            for staged in &staged {
                dynplug_tests::replace_file(staged, &path);
                std::thread::sleep(std::time::Duration::from_micros(300));
            }
        });
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            // A load may fail, saying the file changed while it loaded.
            if let Ok(plugin) = LingerPlugin::load(&path) {
                kept.push(plugin);
            }
        }
    });
    let addresses: std::collections::HashSet<usize> =
        kept.iter().map(|p| p.static_address()).collect();
    for i in 0..fresh_files {
        let fresh = dir.path().join(format!("fresh-{i}.so"));
        std::fs::copy(fixture("linger-plugin"), &fresh).unwrap();
        let plugin = LingerPlugin::load(&fresh).unwrap();
        assert!(
            !addresses.contains(&plugin.static_address()),
            "new file {} was served the library of a file loaded before",
            fresh.display()
        );
        std::mem::forget(plugin);
    }
}

#[test]
fn load_by_names_edge_cases_fail_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 6] = [
        (&[], "no library name given"),
        // An empty name is no library: `dlopen("")` would hand back the
        // program itself, whose symbols would then stand in for the
        // library's.
        (&[""], "``: "),
        (&["libm.so.6\0evil"], "contains a nul byte"),
        (&["/tmp/libm.so.6\0evil"], "nul byte"),
        (&["/no/such/dir/libx.so"], "no such file"),
        (&[&folder], "directory"),
    ];
    for (names, expected) in cases {
        // SAFETY: the binding declares one optional function, never called.
        let result = unsafe { AnythingLibrary::load_by_names(names, &dynplug::LoadOptions::new()) };
        match result {
            Ok(lib) => panic!("{names:?} loaded, as {}", lib.path().display()),
            Err(err) => {
                let text = err.to_string();
                assert!(text.to_lowercase().contains(expected), "{names:?}: {text}");
            }
        }
    }
}

#[cfg(unix)]
/// A folder under `base` whose path, joined with `file`, is exactly `len`
/// bytes long.
fn deep_path(base: &Path, file: &str, len: usize) -> PathBuf {
    let mut dir = base.to_path_buf();
    loop {
        // Bytes still to add, each folder taking one more for its `/`.
        let rest = len - 1 - (dir.as_os_str().len() + 1 + file.len());
        if rest == 0 {
            break;
        }
        let name = if rest > 200 { 150 } else { rest - 1 };
        dir.push("d".repeat(name));
    }
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file);
    assert_eq!(path.as_os_str().len(), len - 1, "{}", path.display());
    path
}

// Unix: PATH_MAX, and names the loader tells apart by spelling.
#[cfg(unix)]
#[test]
fn a_rebuilt_file_at_the_longest_path_loads_or_says_why_not() {
    // The longest path the system takes (PATH_MAX less its NUL): the
    // first file loads. A new file at that path needs a longer name for
    // the loader; if it cannot load, the error must not blame the path,
    // which is not too long, without saying why.
    let dir = tempfile::tempdir().unwrap();
    let path = deep_path(dir.path(), "libdeep.so", 4096);
    replace_with("hello-plugin", &path);
    let old = GreeterPlugin::load(&path).unwrap();
    assert_eq!(old.greet("x"), "Hello, x!");
    replace_with("loud-plugin", &path);
    match GreeterPlugin::load(&path) {
        Ok(new) => assert_eq!(new.greet("x"), "HEY, x!"),
        Err(err) => {
            let text = err.to_string();
            assert!(text.contains("already loaded"), "{text}");
            assert!(text.contains("longer than the system takes"), "{text}");
        }
    }
}

// Unix: the errors of `open(2)` (ENOTDIR, ENAMETOOLONG); Windows says
// "not found" for both.
#[cfg(unix)]
#[test]
fn open_errors_say_why() {
    let dir = tempfile::tempdir().unwrap();
    // A folder of the path is missing.
    let err = GreeterPlugin::load(dir.path().join("gone/libx.so")).unwrap_err();
    assert!(err.to_string().contains("no such file"), "{err}");
    // A folder of the path is a file.
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    let err = GreeterPlugin::load(file.join("libx.so")).unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("not a directory"),
        "{err}"
    );
    // A name longer than a file name may be.
    let err = GreeterPlugin::load(dir.path().join("x".repeat(300))).unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
    // A path longer than a path may be.
    let err = GreeterPlugin::load(dir.path().join("x/".repeat(2100))).unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
    // Non-UTF-8 bytes in the path are shown, not refused (Unix: Windows
    // paths are UTF-16, built from a `&str` here).
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"lib\xff.so"));
        let err = GreeterPlugin::load(&odd).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }
}

#[test]
fn closing_a_c_library_none_of_whose_functions_exist_says_what_happened() {
    // No function found, so no address inside the library was ever seen:
    // `close` must still tell whether the system unmapped it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libnothing.so");
    replace_with("hello-plugin", &path);
    // SAFETY: the binding declares one optional function, never called;
    // hello-plugin leaves nothing behind.
    let lib = unsafe { AnythingLibrary::load(&path) }.unwrap();
    assert!(dynplug_tests::is_mapped(&path));
    // SAFETY: nothing of the library's is used afterwards.
    let closed = unsafe { lib.close() }.unwrap();
    assert_eq!(
        closed == dynplug::Closed::Unloaded,
        !dynplug_tests::is_mapped(&path),
        "close said {closed:?}"
    );
}

#[test]
fn a_c_binding_closing_a_file_a_plugin_loader_shared_does_not_unmap_the_plugin() {
    // A plugin loader (safe, default options: the library stays mapped)
    // and a C binding share one file; the plugin leaves a thread running
    // its code, and its loader goes. The C binding's `unsafe close()`
    // promises nothing of *its* use of the library outlives it; the plugin
    // loader's promise, that safe code never unmaps, must still hold.
    if dynplug_tests::child_case().is_some() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libshared.so");
        replace_with("linger-plugin", &path);
        // SAFETY: the binding declares one optional function, never called.
        let c = unsafe { AnythingLibrary::load(&path) }.unwrap();
        let plugin = LingerPlugin::load(&path).unwrap();
        assert!(plugin.start_thread());
        let start = std::time::Instant::now();
        while plugin.rounds() < 5 && start.elapsed().as_secs() < 2 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        drop(plugin);
        // SAFETY: nothing this binding obtained from the library is used
        // afterwards (it obtained nothing).
        let closed = unsafe { c.close() }.unwrap();
        eprintln!("closed: {closed:?}");
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(dynplug_tests::is_mapped(&path));
        return;
    }
    let out = dynplug_tests::run_in_child(
        "a_c_binding_closing_a_file_a_plugin_loader_shared_does_not_unmap_the_plugin",
        "run",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    assert!(stderr.contains("closed: KeptMapped"), "{stderr}");
}

/// Rounds per thread below: fewer on Windows, whose loader, emulated by
/// wine here, takes milliseconds per load and unload.
const ROUNDS: usize = if cfg!(windows) { 30 } else { 300 };

#[test]
fn many_threads_loading_and_closing_two_files_each_get_their_own_code() {
    // Eight threads load, call and close two files at once, half of them
    // allowing unloading: every load gets its file's code, every close an
    // answer, and nothing crashes.
    let dir = tempfile::tempdir().unwrap();
    let hello = dir.path().join("libthreads-hello.so");
    let loud = dir.path().join("libthreads-loud.so");
    replace_with("hello-plugin", &hello);
    replace_with("loud-plugin", &loud);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (path, expected) = if thread % 2 == 0 {
                (&hello, "Hello, x!")
            } else {
                (&loud, "HEY, x!")
            };
            scope.spawn(move || {
                // SAFETY: hello-plugin and loud-plugin leave nothing behind.
                let unloading = unsafe { dynplug::LoadOptions::new().unload_when_unused(true) };
                // Every loader of the hello file allows unloading, so that
                // it comes and goes; the loud file's are mixed.
                let options = if thread % 2 == 0 || thread < 4 {
                    unloading
                } else {
                    dynplug::LoadOptions::new()
                };
                for round in 0..ROUNDS {
                    let plugin = GreeterPlugin::load_with(path, &options)
                        .unwrap_or_else(|err| panic!("thread {thread} round {round}: {err}"));
                    assert_eq!(plugin.greet("x"), expected, "thread {thread} round {round}");
                    match plugin.close() {
                        Ok(_) | Err(dynplug::Error::InUse { .. }) => {}
                        Err(err) => panic!("thread {thread} round {round}: {err}"),
                    }
                }
            });
        }
    });
}

/// The inode of the file mapped at `address` (Linux: `/proc/self/maps`).
#[cfg(target_os = "linux")]
fn mapped_inode(address: usize) -> Option<u64> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        let inode = fields.nth(3)?.parse().ok()?;
        (start..end).contains(&address).then_some(inode)
    })
}

// Linux: tells the mapped file by its inode, from `/proc/self/maps`.
#[cfg(target_os = "linux")]
#[test]
fn loading_unloading_and_replacing_at_once_never_serves_another_file() {
    // Threads load one path, with unloading allowed, while another renames
    // new files over it: a load during which the path did not change must
    // be the library of the file at the path, by inode.
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libchurn.so");
    replace_with("linger-plugin", &path);
    let done = std::sync::atomic::AtomicBool::new(false);
    let checked = std::sync::atomic::AtomicUsize::new(0);
    let loads = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..300 {
                replace_with("linger-plugin", &path);
                // Paced by the loaders too: two loads between renames
                // however slow a load is (under an emulator, milliseconds).
                let seen = loads.load(std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_micros(500));
                while loads.load(std::sync::atomic::Ordering::Relaxed) < seen + 2 {
                    std::thread::sleep(std::time::Duration::from_micros(100));
                }
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        for thread in 0..4 {
            let (path, done, checked, loads) = (&path, &done, &checked, &loads);
            scope.spawn(move || {
                // SAFETY: linger-plugin leaves nothing behind unless asked.
                let options = unsafe { dynplug::LoadOptions::new().unload_when_unused(true) };
                let mut round = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    round += 1;
                    // The inode and change time: an inode number alone can
                    // be reused by a later file once an earlier one is
                    // unmapped and deleted (a path that reads the same
                    // before and after may have changed twice in between).
                    let identity = |m: std::fs::Metadata| (m.ino(), m.ctime(), m.ctime_nsec());
                    let before = std::fs::metadata(path).map(identity);
                    let loaded = LingerPlugin::load_with(path, &options);
                    loads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Ok(plugin) = loaded else {
                        continue;
                    };
                    let after = std::fs::metadata(path).map(identity);
                    let mapped = mapped_inode(plugin.static_address());
                    let unchanged = match (before, after) {
                        (Ok(before), Ok(after)) if before == after => Some(before.0),
                        _ => None,
                    };
                    if let Some(inode) = unchanged {
                        assert_eq!(
                            mapped,
                            Some(inode),
                            "thread {thread} round {round}: the library of another file"
                        );
                        checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    let _ = plugin.close();
                }
            });
        }
    });
    assert!(checked.into_inner() > 50, "too few loads checked");
}

#[test]
fn relative_and_absolute_paths_to_one_file_share_it_and_follow_rebuilds() {
    // In a child, whose working folder it changes: one file by a relative
    // and an absolute path is one library; after a rebuild, both paths
    // give the new file's library, and a relative path in another folder
    // is that folder's file.
    if let Some(dir) = dynplug_tests::child_case() {
        let dir = Path::new(&dir);
        let absolute = dir.join("a/librel.so");
        std::env::set_current_dir(dir.join("a")).unwrap();
        let by_relative = LingerPlugin::load("librel.so").unwrap();
        let by_absolute = LingerPlugin::load(&absolute).unwrap();
        assert_eq!(by_relative.static_address(), by_absolute.static_address());
        replace_with("linger-plugin", &absolute);
        let new_relative = LingerPlugin::load("./librel.so").unwrap();
        let new_absolute = LingerPlugin::load(&absolute).unwrap();
        assert_ne!(new_relative.static_address(), by_relative.static_address());
        assert_eq!(new_relative.static_address(), new_absolute.static_address());
        std::env::set_current_dir(dir.join("b")).unwrap();
        let other = LingerPlugin::load("librel.so").unwrap();
        for old in [&by_relative, &new_relative] {
            assert_ne!(other.static_address(), old.static_address());
        }
        std::env::set_current_dir(dir.join("a")).unwrap();
        let again = LingerPlugin::load("librel.so").unwrap();
        assert_eq!(again.static_address(), new_relative.static_address());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for sub in ["a", "b"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        replace_with("linger-plugin", &dir.path().join(sub).join("librel.so"));
    }
    let out = child(
        "relative_and_absolute_paths_to_one_file_share_it_and_follow_rebuilds",
        &dir.path().to_string_lossy(),
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
}

// Unix: making a symbolic link on Windows needs a privilege.
#[cfg(unix)]
#[test]
fn a_symlink_swapped_to_another_file_and_hard_links_load_as_the_files_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let (v1, v2) = (dir.path().join("libv1.so"), dir.path().join("libv2.so"));
    replace_with("linger-plugin", &v1);
    replace_with("linger-plugin", &v2);
    let link = dir.path().join("libcurrent.so");
    std::os::unix::fs::symlink(&v1, &link).unwrap();
    let first = LingerPlugin::load(&link).unwrap();
    let swapped = dir.path().join("libswap.so");
    std::os::unix::fs::symlink(&v2, &swapped).unwrap();
    std::fs::rename(&swapped, &link).unwrap();
    let second = LingerPlugin::load(&link).unwrap();
    assert_ne!(first.static_address(), second.static_address());
    assert_eq!(
        LingerPlugin::load(&v1).unwrap().static_address(),
        first.static_address()
    );
    assert_eq!(
        LingerPlugin::load(&v2).unwrap().static_address(),
        second.static_address()
    );
    // A hard link is the same file by another name.
    let hard = dir.path().join("libhard.so");
    std::fs::hard_link(&v1, &hard).unwrap();
    drop(first);
    assert_eq!(
        LingerPlugin::load(&hard).unwrap().static_address(),
        LingerPlugin::load(&v1).unwrap().static_address()
    );
}
