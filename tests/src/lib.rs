//! Helpers for dynplug's behaviour tests: finding the fixture plugins the
//! workspace builds, isolating a test's copy of one, looking at what the
//! process has mapped, and running a case in a child process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The environment variable that names a folder of fixture libraries built
/// elsewhere, by another compiler (`scripts/ci/compilers.sh`): when it is
/// set, [`fixture`] takes every fixture from that folder and nowhere else,
/// so that a test cannot fall back on the fixtures of its own build.
pub const FIXTURE_DIR: &str = "DYNPLUG_FIXTURE_DIR";

/// The shared library of fixture crate `name` (`hello-plugin`): from the
/// folder [`FIXTURE_DIR`] names when it is set, else the one cargo built
/// next to the test binary because the tests crate depends on it.
pub fn fixture(name: &str) -> PathBuf {
    let file = fixture_file_name(name);
    if let Some(dir) = std::env::var_os(FIXTURE_DIR) {
        let candidate = Path::new(&dir).join(&file);
        assert!(
            candidate.is_file(),
            "fixture library {file} not found in {} ({FIXTURE_DIR})",
            candidate.display()
        );
        return candidate;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary has a folder");
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        let candidate = dir.join(&file);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "fixture library {file} not found next to {}; is `{name}` a dev-dependency of dynplug-tests?",
        exe.display()
    );
}

/// The file name of fixture crate `name`'s shared library on this
/// platform: `libhello_plugin.so`, `libhello_plugin.dylib`,
/// `hello_plugin.dll`.
pub fn fixture_file_name(name: &str) -> String {
    format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    )
}

/// A private copy of fixture `name` in a fresh temporary folder: to the
/// dynamic loader a different file, so a test that unloads it or counts
/// its instances is not disturbed by other tests in the same process.
pub fn isolated(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = fixture(name);
    let copy = dir.path().join(source.file_name().expect("file name"));
    std::fs::copy(&source, &copy).expect("copy fixture");
    (dir, copy)
}

/// A loader of its own copy of fixture `name` ([`isolated`]), with the
/// copy's folder, which goes after the loader: the plugin's statics (counts
/// of live objects, of bytes) are the test's alone.
pub struct Own<P> {
    plugin: P,
    _dir: tempfile::TempDir,
}

impl<P> std::ops::Deref for Own<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.plugin
    }
}

/// Loads an isolated copy of fixture `name` with `load`.
pub fn own<P>(name: &str, load: impl FnOnce(&Path) -> P) -> Own<P> {
    let (dir, path) = isolated(name);
    Own {
        plugin: load(&path),
        _dir: dir,
    }
}

pub use platform::{
    NOT_A_LIBRARY, crashed_on_bad_access, is_mapped, libm, libm_name, rename_patiently,
    replace_file,
};

/// The environment variable that tells a re-executed test binary which
/// case to run as the child.
pub const CHILD_CASE: &str = "DYNPLUG_TEST_CHILD_CASE";

/// Runs test `test_name` of the current test binary in a child process,
/// with [`CHILD_CASE`] set to `case`, and returns its output. The test
/// must call [`child_case`] first thing.
pub fn run_in_child(test_name: &str, case: &str) -> Output {
    run_in_child_with(test_name, case, &[])
}

/// [`run_in_child`], with environment variables `env` set for the child.
pub fn run_in_child_with(test_name: &str, case: &str, env: &[(&str, &std::ffi::OsStr)]) -> Output {
    let mut command = this_test_binary();
    command
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_CASE, case);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run the test binary again")
}

/// Writes `bytes` over the file at `path` in place (the same file, its
/// inode kept, as a build that writes into the old file does), in `pieces`
/// writes with `pause` after each, then syncs it.
pub fn write_in_place(path: &Path, bytes: &[u8], pieces: usize, pause: std::time::Duration) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap_or_else(|err| panic!("open {} to write it in place: {err}", path.display()));
    for piece in bytes.chunks(bytes.len().div_ceil(pieces.max(1)).max(1)) {
        file.write_all(piece).unwrap();
        file.flush().unwrap();
        std::thread::sleep(pause);
    }
    file.sync_all().unwrap();
}

/// Asserts that a child [`run_in_child`] started exited 0 having run its
/// case to the end, which it says by printing `child: checks done` (a
/// wrong test name would also exit 0, having run nothing).
pub fn assert_child_passed(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "child failed: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("child: checks done") && stdout.contains("1 passed"),
        "the child did not run the case:\n{stdout}\n{stderr}"
    );
}

/// In a test that [`run_in_child`] runs: the case the child is to run, or
/// `None` in the parent.
pub fn child_case() -> Option<String> {
    std::env::var(CHILD_CASE).ok()
}

/// The environment variable naming the program that runs the test binaries
/// when the machine cannot run them itself: `qemu-aarch64` in
/// scripts/ci/aarch64.sh, which sets it (no binfmt_misc is assumed). Its
/// words are separated by spaces.
pub const RUNNER: &str = "DYNPLUG_TEST_RUNNER";

/// A command starting the current test binary again: through [`RUNNER`]
/// when that is set, as cargo started this one.
pub fn this_test_binary() -> Command {
    program(&std::env::current_exe().expect("current_exe"))
}

/// A command starting the program `exe` of this build (the `dynplug`
/// command, say): through [`RUNNER`] when that is set.
pub fn program(exe: &Path) -> Command {
    let runner = std::env::var(RUNNER).unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(exe);
            command
        }
        None => Command::new(exe),
    }
}

/// Writes to `to` a copy of the 64-bit ELF library `library` whose last
/// `.rela.dyn` relocation has type 99, which no linker emits: a file whose
/// every structure but one relocation is intact, which a scan lists (it
/// reads no relocation) and the full pre-flight refuses ("has type 99, not
/// a dynamic relocation type").
#[cfg(all(unix, not(target_vendor = "apple")))]
pub fn with_a_bad_relocation(library: &Path, to: &Path) {
    let mut bytes = std::fs::read(library).expect("read the library");
    let u16_at = |b: &[u8], at: usize| u16::from_ne_bytes(b[at..at + 2].try_into().unwrap());
    let u32_at = |b: &[u8], at: usize| u32::from_ne_bytes(b[at..at + 4].try_into().unwrap());
    let u64_at =
        |b: &[u8], at: usize| u64::from_ne_bytes(b[at..at + 8].try_into().unwrap()) as usize;
    let (shoff, shnum) = (u64_at(&bytes, 40), usize::from(u16_at(&bytes, 60)));
    let section = |i: usize| shoff + 64 * i;
    let names = u64_at(&bytes, section(usize::from(u16_at(&bytes, 62))) + 24);
    let rela = (0..shnum)
        .map(section)
        .find(|&sh| {
            let name = &bytes[names + u32_at(&bytes, sh) as usize..];
            u32_at(&bytes, sh + 4) == 4 && name.starts_with(b".rela.dyn\0")
        })
        .expect("the library has a .rela.dyn section");
    let last = u64_at(&bytes, rela + 24) + u64_at(&bytes, rela + 32) - 24;
    // The low half of the entry's info word is its type.
    bytes[last + 8..last + 12].copy_from_slice(&99u32.to_ne_bytes());
    std::fs::write(to, bytes).expect("write the copy");
}

/// The questions a test asks that each platform answers its own way: is a
/// library still mapped, which system library to bind, how a file is
/// replaced, how a crash shows. One test then runs everywhere.
pub mod platform {
    use std::path::{Path, PathBuf};
    use std::process::ExitStatus;

    /// Whether the process has the file at `path` mapped (Linux: from
    /// `/proc/self/maps`).
    #[cfg(unix)]
    pub fn is_mapped(path: &Path) -> bool {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("read /proc/self/maps");
        let wanted = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        maps.lines()
            .any(|line| line.ends_with(&*wanted.to_string_lossy()))
    }

    /// Whether the process has a module loaded from `path` (Windows:
    /// `GetModuleHandleW`, which compares full paths).
    #[cfg(windows)]
    pub fn is_mapped(path: &Path) -> bool {
        use std::os::windows::ffi::OsStrExt;
        unsafe extern "system" {
            fn GetModuleHandleW(name: *const u16) -> *mut std::ffi::c_void;
        }
        let full = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let wide: Vec<u16> = full.as_os_str().encode_wide().chain([0]).collect();
        // SAFETY: a NUL-terminated UTF-16 path; the handle is only compared.
        !unsafe { GetModuleHandleW(wide.as_ptr()) }.is_null()
    }

    /// A system library that is certainly not a dynplug plugin, with the C
    /// math functions (`cos`, `sqrt`, `pow`, `frexp`): libm, or on Windows
    /// the C runtime (`msvcrt.dll`, in the system folder).
    #[cfg(unix)]
    pub fn libm() -> PathBuf {
        // This architecture's folders first, then Debian's cross libc (where
        // an aarch64 test binary run by qemu-user finds it: the host's x86-64
        // libm is also visible there, at its usual place).
        let arch = std::env::consts::ARCH;
        let this_arch = [
            format!("/lib/{arch}-linux-gnu/libm.so.6"),
            format!("/usr/lib/{arch}-linux-gnu/libm.so.6"),
            format!("/usr/{arch}-linux-gnu/lib/libm.so.6"),
        ];
        let candidates = [
            this_arch[0].as_str(),
            this_arch[1].as_str(),
            this_arch[2].as_str(),
            "/lib64/libm.so.6",
            "/usr/lib64/libm.so.6",
            "/lib/libm.so.6",
            "/usr/lib/libm.so.6",
            "/usr/lib/libm.so",
            "/usr/lib/libSystem.B.dylib",
        ];
        candidates
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .expect("libm not found in the usual places")
    }

    /// See the Unix version.
    #[cfg(windows)]
    pub fn libm() -> PathBuf {
        unsafe extern "system" {
            fn GetSystemDirectoryW(buffer: *mut u16, size: u32) -> u32;
        }
        let mut buffer = [0u16; 512];
        // SAFETY: the buffer's length is passed with it.
        let len = unsafe { GetSystemDirectoryW(buffer.as_mut_ptr(), buffer.len() as u32) };
        assert!(
            len > 0 && (len as usize) < buffer.len(),
            "GetSystemDirectoryW"
        );
        let dir = PathBuf::from(String::from_utf16_lossy(&buffer[..len as usize]));
        dir.join("msvcrt.dll")
    }

    /// What pre-flight says of a file that is no library at all.
    pub const NOT_A_LIBRARY: &str = if cfg!(windows) {
        "not a PE dynamic-link library"
    } else if cfg!(target_vendor = "apple") {
        "not a Mach-O dynamic library"
    } else {
        "not an ELF shared library"
    };

    /// The name the system finds [`libm`] by, for loading by name.
    pub fn libm_name() -> &'static str {
        if cfg!(windows) {
            "msvcrt.dll"
        } else if cfg!(target_vendor = "apple") {
            "libSystem.B.dylib"
        } else {
            "libm.so.6"
        }
    }

    /// Puts the file `staged` at `path` as a new file, the way a build
    /// does: renamed over it. On Windows a loaded DLL cannot be replaced
    /// or deleted, but it can be renamed: the old file is moved aside
    /// first (to a name beside it, left there: wine would let it be
    /// deleted while mapped, and then give its file id to a new file,
    /// which its loader would take for the loaded module).
    ///
    /// While dynplug loads a file on Windows, the file is open sharing
    /// reading only (so that what is mapped is what was checked), and
    /// renaming it fails: the renames are tried again, for up to a minute.
    pub fn replace_file(staged: &Path, path: &Path) {
        #[cfg(windows)]
        if path.exists() {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static ASIDE: AtomicUsize = AtomicUsize::new(0);
            let n = ASIDE.fetch_add(1, Ordering::Relaxed);
            let mut aside = path.as_os_str().to_owned();
            aside.push(format!(".old-{n}"));
            rename_patiently(path, Path::new(&aside)).expect("move the old file aside");
        }
        rename_patiently(staged, path).expect("rename the new file into place");
    }

    /// `rename(from, to)`, tried again while it fails (on Windows, while
    /// dynplug loads one of the files), for up to a minute; on Unix once.
    pub fn rename_patiently(from: &Path, to: &Path) -> std::io::Result<()> {
        let started = std::time::Instant::now();
        loop {
            match std::fs::rename(from, to) {
                Err(_) if cfg!(windows) && started.elapsed().as_secs() < 60 => {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                result => return result,
            }
        }
    }

    /// Whether a child process died of an access to memory that is not
    /// mapped: `SIGSEGV` on Unix, `STATUS_ACCESS_VIOLATION` on Windows.
    pub fn crashed_on_bad_access(status: &ExitStatus) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            status.signal() == Some(11)
        }
        #[cfg(windows)]
        {
            status.code() == Some(0xC000_0005_u32 as i32)
        }
    }
}

/// Makes a crash of this process (SIGSEGV, SIGBUS, SIGILL, SIGFPE) say
/// where it happened before the process dies of it: the signal, the
/// faulting address, the instruction's address and the process's mappings
/// (`/proc/self/maps`, which place that address in a library), on standard
/// error. For tests whose rare failure would otherwise read only
/// "signal: 11", since CI keeps no core file. The handler then puts back
/// the one it replaced (std's, which tells a stack overflow) and the fault
/// happens again under it. Linux only; elsewhere nothing.
pub fn report_crashes() {
    #[cfg(target_os = "linux")]
    crash::install();
}

#[cfg(target_os = "linux")]
mod crash {
    use std::sync::Once;

    const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

    /// The actions replaced, by signal (in `SIGNALS`' order); written once,
    /// before any handler is installed.
    static mut PREVIOUS: [std::mem::MaybeUninit<libc::sigaction>; 4] =
        [const { std::mem::MaybeUninit::uninit() }; 4];

    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            for (i, signal) in SIGNALS.into_iter().enumerate() {
                // SAFETY: a zeroed `sigaction` is a valid start; the handler
                // matches SA_SIGINFO's signature and uses only functions
                // safe in a signal handler; `PREVIOUS[i]` is written here,
                // before the handler that reads it is installed, and
                // `Once` keeps this from running twice.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = handler as *const () as libc::sighandler_t;
                    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut action.sa_mask);
                    let previous = (&raw mut PREVIOUS[i]).cast::<libc::sigaction>();
                    libc::sigaction(signal, &action, previous);
                }
            }
        });
    }

    /// Writes `bytes` to standard error, as far as it goes.
    fn say(bytes: &[u8]) {
        // SAFETY: `write` of a valid buffer; async-signal-safe.
        unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
    }

    /// Writes `value` in hexadecimal, without allocating.
    fn say_hex(value: usize) {
        let mut buf = [0u8; 18];
        buf[0] = b'0';
        buf[1] = b'x';
        for (i, byte) in buf[2..].iter_mut().enumerate() {
            let digit = (value >> (60 - 4 * i)) & 0xf;
            *byte = b"0123456789abcdef"[digit];
        }
        say(&buf);
    }

    /// The address of the instruction that faulted, from the context.
    fn instruction(context: *mut libc::c_void) -> usize {
        let context = context.cast::<libc::ucontext_t>();
        if context.is_null() {
            return 0;
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the kernel passes a valid `ucontext_t` to an SA_SIGINFO
        // handler.
        return unsafe { (*context).uc_mcontext.gregs[libc::REG_RIP as usize] as usize };
        #[cfg(target_arch = "aarch64")]
        // SAFETY: as above.
        return unsafe { (*context).uc_mcontext.pc as usize };
        #[allow(unreachable_code)]
        0
    }

    extern "C" fn handler(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        say(b"\ndynplug-tests: crashed: signal ");
        say_hex(signal as usize);
        say(b", fault address ");
        // SAFETY: the kernel passes a valid `siginfo_t`.
        say_hex(unsafe { (*info).si_addr() } as usize);
        say(b", instruction ");
        say_hex(instruction(context));
        say(b"\ndynplug-tests: the process's mappings:\n");
        // SAFETY: open, read, write and close are async-signal-safe; the
        // path is NUL-terminated and the buffer ours.
        unsafe {
            let fd = libc::open(c"/proc/self/maps".as_ptr(), libc::O_RDONLY);
            if fd >= 0 {
                let mut buf = [0u8; 4096];
                loop {
                    let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
                    if n <= 0 {
                        break;
                    }
                    say(&buf[..n as usize]);
                }
                libc::close(fd);
            }
        }
        if let Some(i) = SIGNALS.iter().position(|s| *s == signal) {
            // SAFETY: `PREVIOUS[i]` was written before this handler was
            // installed; putting an action back is async-signal-safe.
            unsafe {
                let previous = (&raw const PREVIOUS[i]).cast::<libc::sigaction>();
                libc::sigaction(signal, previous, std::ptr::null_mut());
            }
        }
        // Returning runs the faulting instruction again, under the action
        // put back.
    }
}
