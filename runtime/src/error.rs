//! The one error type of dynplug.

use std::fmt;
use std::path::{Path, PathBuf};

/// The error type of everything that loads, checks or closes a library.
///
/// Every variant names the file it is about (`path`), and where the
/// operating system had something to say, its text is the error's
/// [`source()`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system could not open the file or map the library
    /// (no such file, no permission, a dependency it needs is missing, the
    /// name is too long, ...). `reason` says which, in words; `source()` is
    /// the operating system's own text.
    #[error("{}: cannot open the library: {reason}", path.display())]
    Open {
        /// The file that was asked for.
        path: PathBuf,
        /// Why, in words: `no such file`, `it needs libfoo.so.1, which
        /// cannot be found`, ...
        reason: String,
        /// What the operating system said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// The file is not a shared library that this platform can load.
    #[error("{}: not a loadable library: {reason}", path.display())]
    InvalidLibrary {
        /// The file that was asked for.
        path: PathBuf,
        /// What is wrong with it, in words.
        reason: String,
    },

    /// The library is not a dynplug plugin for the interface that was asked for.
    #[error(
        "{}: not a plugin for interface `{interface}`{}",
        path.display(),
        found_text(found)
    )]
    NotAPlugin {
        /// The library.
        path: PathBuf,
        /// The interface the host asked for.
        interface: String,
        /// The dynplug interfaces the library does export (may be empty).
        found: Vec<String>,
    },

    /// The library exports the interface several times, under names
    /// (`#[plugin_export(name = "...")]`), and none without one: a plain
    /// `load` cannot choose. Load one by name (`load_named`).
    #[error(
        "{}: exports `{interface}` {} times, under the names {}; load one by name \
         (`load_named(path, \"{}\")`)",
        path.display(),
        exports.len(),
        exports.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", "),
        exports.first().map(String::as_str).unwrap_or_default()
    )]
    SeveralExports {
        /// The library.
        path: PathBuf,
        /// The interface.
        interface: String,
        /// The names of its exports, sorted.
        exports: Vec<String>,
    },

    /// The library has no export of the interface under the name asked
    /// for (`load_named`).
    #[error(
        "{}: has no export of `{interface}` named `{name}`{}",
        path.display(),
        if exports.is_empty() {
            String::new()
        } else {
            format!(
                "; its exports of `{interface}` are named {}",
                exports.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            )
        }
    )]
    NoSuchExport {
        /// The library.
        path: PathBuf,
        /// The interface.
        interface: String,
        /// The name asked for.
        name: String,
        /// The names the library's exports of the interface have (the
        /// unnamed one, if any, is not listed).
        exports: Vec<String>,
    },

    /// A signature was required
    /// ([`LoadOptions::require_signature`](crate::LoadOptions::require_signature))
    /// and the file's is missing, malformed, made with another key, or does
    /// not match the file (changed after signing). Nothing of the file ran.
    #[error("{}: refused, not trusted: {reason}", path.display())]
    Untrusted {
        /// The library.
        path: PathBuf,
        /// What is wrong with its signature, in words.
        reason: String,
    },

    /// A library in a scanned folder ([`Catalog`](crate::Catalog)) exports
    /// no dynplug interface at all: a plain shared library, or one built
    /// without `#[plugin_export]`.
    #[error(
        "{}: exports no dynplug interface: not a plugin (a plugin's crate has \
         `#[plugin_export]` on an impl; a C library is bound with \
         `#[plugin_interface(c_library)]`)",
        path.display()
    )]
    NoInterface {
        /// The library.
        path: PathBuf,
    },

    /// The plugin was built with a version of dynplug whose boundary (ABI)
    /// differs from the host's.
    #[error(
        "{}: plugin for `{interface}` was built with dynplug ABI version {plugin}, \
         the host uses version {host}; rebuild the plugin against the host's dynplug",
        path.display()
    )]
    AbiMismatch {
        /// The library.
        path: PathBuf,
        /// The interface.
        interface: String,
        /// The host's dynplug ABI version.
        host: u32,
        /// The plugin's dynplug ABI version.
        plugin: u32,
    },

    /// The plugin was built against another version of the interface: some
    /// methods differ. Each difference shows both signatures.
    #[error(
        "{}: plugin was built against another version of interface `{interface}`:{}",
        path.display(),
        differences_text(differences)
    )]
    InterfaceMismatch {
        /// The library.
        path: PathBuf,
        /// The interface.
        interface: String,
        /// Every method that differs.
        differences: Vec<MethodDifference>,
    },

    /// Functions that the interface needs are absent from the library. All
    /// of them are listed, not only the first: for a C library the symbols;
    /// for a plugin the methods its table of functions leaves empty (or the
    /// table's own symbol, if the library has none).
    #[error(
        "{}: `{interface}` lacks {} function(s): {}",
        path.display(),
        missing.len(),
        missing.join(", ")
    )]
    MissingSymbols {
        /// The library.
        path: PathBuf,
        /// The interface.
        interface: String,
        /// Every missing function.
        missing: Vec<String>,
    },

    /// The plugin's constructor panicked; no instance was made.
    #[error(
        "{}: the constructor of the `{interface}` plugin panicked{}: {message}",
        path.display(),
        location.as_ref().map(|at| format!(" at {at}")).unwrap_or_default()
    )]
    Init {
        /// The library.
        path: PathBuf,
        /// The interface.
        interface: String,
        /// The panic message.
        message: String,
        /// Where in the plugin's source it panicked (`src/lib.rs:12:5`), if
        /// known.
        location: Option<String>,
    },

    /// The plugin was compiled to abort on panic (`panic = "abort"`): its
    /// first panic would end the process. Refused unless
    /// [`LoadOptions::allow_abort_on_panic`](crate::LoadOptions::allow_abort_on_panic).
    #[error(
        "{}: the `{interface}` plugin was built with `panic = \"abort\"`: a panic in it \
         would abort the whole process instead of reaching the host as a panic; rebuild \
         it with `panic = \"unwind\"` (the default), or allow it with \
         `LoadOptions::allow_abort_on_panic(true)`",
        path.display()
    )]
    AbortsOnPanic {
        /// The library.
        path: PathBuf,
        /// The interface.
        interface: String,
    },

    /// [`close`](crate#closing-and-unloading) was asked to unload a library
    /// that other loaders still use. The library stays loaded.
    #[error(
        "{}: cannot unload the library: {others} other loader(s) still use it",
        path.display()
    )]
    InUse {
        /// The library.
        path: PathBuf,
        /// How many other loaders hold it.
        others: usize,
    },

    /// The operating system refused to unload the library.
    #[error("{}: cannot unload the library", path.display())]
    Close {
        /// The library.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// Hot reload ([`Hot`](crate::Hot)): the new version of the plugin
    /// loaded, but the host's hand-over hook refused it (returned an error
    /// or panicked). The old version keeps serving.
    #[error(
        "{}: the new version was not put in service: the hand-over hook {reason}; the old \
         version keeps serving",
        path.display()
    )]
    HandOver {
        /// The library.
        path: PathBuf,
        /// What the hook did: `returned an error: ...`, `panicked: ...`,
        /// or (returned to a hook that called `Hot::reload` of the plugin
        /// it hands over, which is not reloaded again) `called ...`.
        reason: String,
    },

    /// Hot reload ([`Hot`](crate::Hot)): the file's folder cannot be
    /// watched for changes.
    #[error("{}: cannot watch the file for changes: {reason}", path.display())]
    Watch {
        /// The library.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
}

impl Error {
    /// The file this error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Open { path, .. }
            | Error::InvalidLibrary { path, .. }
            | Error::NotAPlugin { path, .. }
            | Error::NoInterface { path }
            | Error::Untrusted { path, .. }
            | Error::SeveralExports { path, .. }
            | Error::NoSuchExport { path, .. }
            | Error::AbiMismatch { path, .. }
            | Error::InterfaceMismatch { path, .. }
            | Error::MissingSymbols { path, .. }
            | Error::Init { path, .. }
            | Error::AbortsOnPanic { path, .. }
            | Error::InUse { path, .. }
            | Error::Close { path, .. }
            | Error::HandOver { path, .. }
            | Error::Watch { path, .. } => path,
        }
    }
}

/// One method whose signature differs between the host's interface and the
/// plugin's. `None` on one side means the method does not exist there.
///
/// When the trait's `Send`/`Sync` supertraits differ (the host promises
/// more than the plugin was built for), `method` is
/// [`MethodDifference::SUPERTRAITS`] and the sides name the supertraits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDifference {
    /// The method's name, or [`MethodDifference::SUPERTRAITS`].
    pub method: String,
    /// The signature the host was built with, if the host has the method.
    pub host: Option<String>,
    /// The signature the plugin was built with, if the plugin has the method.
    pub plugin: Option<String>,
    /// Types written the same in both signatures that are defined
    /// differently (a `#[derive(PluginType)]` type whose fields or variants
    /// changed, say). Empty when the signatures themselves differ.
    pub types: Vec<String>,
}

impl MethodDifference {
    /// The `method` of a difference in the trait's `Send`/`Sync` supertraits.
    pub const SUPERTRAITS: &'static str = "(supertraits)";
    /// The `method` of a difference that is not in one method but in the
    /// interface's name: two different interfaces of one name are reached
    /// from the one loaded (`host` or `plugin` says where).
    pub const SHARED_NAME: &'static str = "(name)";
}

impl fmt::Display for MethodDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.method == Self::SUPERTRAITS {
            let side = |s: &Option<String>| s.clone().unwrap_or_default();
            return write!(
                f,
                "supertraits: host has `{}`, plugin has `{}`",
                side(&self.host),
                side(&self.plugin)
            );
        }
        if self.method == Self::SHARED_NAME {
            let (side, text) = match (&self.host, &self.plugin) {
                (Some(text), _) => ("host", text),
                (None, Some(text)) => ("plugin", text),
                (None, None) => ("host", &String::new()),
            };
            return write!(
                f,
                "the {side} reaches two different interfaces of this name ({text}): objects \
                 are matched by interface name, so one must be renamed"
            );
        }
        let side = |s: &Option<String>| match s {
            Some(sig) => format!("`{sig}`"),
            None => "(no such method)".to_owned(),
        };
        if !self.types.is_empty() && self.host == self.plugin {
            let types: Vec<String> = self.types.iter().map(|t| format!("`{t}`")).collect();
            return write!(
                f,
                "method `{}`: the definition of {} differs between host and plugin \
                 (both have {})",
                self.method,
                types.join(", "),
                side(&self.host)
            );
        }
        write!(
            f,
            "method `{}`: host has {}, plugin has {}",
            self.method,
            side(&self.host),
            side(&self.plugin)
        )
    }
}

fn found_text(found: &[String]) -> String {
    if found.is_empty() {
        String::new()
    } else {
        format!(" (it exports {})", quoted_list(found))
    }
}

/// What the operating system said, as text: the source of
/// [`Error::Open`] and [`Error::Close`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OsText(pub(crate) String);

impl fmt::Display for OsText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OsText {}

impl OsText {
    /// The innermost text of an error chain: libloading wraps the loader's
    /// own message (`dlerror`) in a generic "dlopen failed".
    pub(crate) fn from_chain(err: &dyn std::error::Error) -> Box<OsText> {
        let mut innermost: &dyn std::error::Error = err;
        while let Some(source) = innermost.source() {
            innermost = source;
        }
        Box::new(OsText(innermost.to_string()))
    }
}

impl Error {
    /// [`Error::Open`] for a file that could not be opened or read.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        let reason = match source.kind() {
            std::io::ErrorKind::NotFound if is_bare_name(path) => format!(
                "no such file in the current folder{}: a path is opened as given, never \
                 searched for in the system's library folders as `dlopen` searches a bare \
                 name; give the library's path (`target/debug/{}`), or find plugins in a \
                 folder with `dynplug::Catalog::scan`",
                std::env::current_dir()
                    .map(|dir| format!(" ({})", dir.display()))
                    .unwrap_or_default(),
                libloading::library_filename("my_plugin").to_string_lossy(),
            ),
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ if source.raw_os_error() == Some(crate::os::ENAMETOOLONG) => {
                "the path is too long".to_owned()
            }
            // std's words for a path it cannot pass to the system, which
            // differ between platforms.
            std::io::ErrorKind::InvalidInput if source.to_string().contains("NUL") => {
                "the name contains a NUL byte".to_owned()
            }
            _ => source.to_string(),
        };
        Error::Open {
            path: path.to_path_buf(),
            reason,
            source: Box::new(source),
        }
    }

    /// [`Error::Open`] for a library the dynamic loader refused; `name` is
    /// what it was handed for `path`.
    pub(crate) fn loader(path: &Path, name: &Path, err: &dyn std::error::Error) -> Error {
        let text = OsText::from_chain(err);
        Error::Open {
            path: path.to_path_buf(),
            reason: loader_reason(&text.0, &name.to_string_lossy()),
            source: text,
        }
    }
}

/// Whether `path` is a bare file name (`libgreeter.so`), which `dlopen`
/// would look for in the system's folders.
fn is_bare_name(path: &Path) -> bool {
    let mut parts = path.components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    )
}

/// The dynamic loader's message, reworded for a person: what `dlerror`
/// says is `<object>: <what is wrong>`, and the object is either the file
/// itself or a library it needs.
fn loader_reason(text: &str, name: &str) -> String {
    let missing = ": cannot open shared object file: ";
    if let Some(rest) = text.strip_prefix(name).and_then(|r| r.strip_prefix(": ")) {
        return shorten(rest);
    }
    if text.ends_with("(os error 126)") {
        // Windows' ERROR_MOD_NOT_FOUND for a file pre-flight just read: a
        // DLL it imports is missing, and the system does not say which.
        return format!(
            "it needs a DLL that cannot be found (the system does not say which): {text}"
        );
    }
    if let Some(at) = text.find(missing) {
        let dependency = &text[..at];
        let why = &text[at + missing.len()..];
        return if why.starts_with("No such file") {
            format!("it needs `{dependency}`, which cannot be found")
        } else {
            format!("it needs `{dependency}`, which cannot be opened: {why}")
        };
    }
    shorten(text)
}

/// The loader's common phrases, in the words of the rest of dynplug.
fn shorten(text: &str) -> String {
    if text.contains("interior zero element")
        || text.contains("nul byte found")
        || text.contains("cannot contain NULs")
    {
        // libloading's words (0.9, 0.8) for a name it cannot pass to C
        // (Unix) or to the Windows API.
        "the name contains a NUL byte".to_owned()
    } else if text.contains("File name too long") {
        "the name is too long".to_owned()
    } else if text.contains("No such file or directory") {
        "no such file".to_owned()
    } else {
        text.to_owned()
    }
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    quoted.join(", ")
}

fn differences_text(differences: &[MethodDifference]) -> String {
    differences.iter().map(|d| format!("\n  - {d}")).collect()
}
