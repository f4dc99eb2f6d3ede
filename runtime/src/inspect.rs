//! `dynplug::inspect`: what a library file exports, read without running
//! any of its code.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::meta::ABI_VERSION;
use crate::preflight;

/// What a library file exports, as [`inspect`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LibraryInfo {
    /// The file.
    pub path: PathBuf,
    /// Every export of a dynplug interface, in symbol-table order: an
    /// interface exported several times (under names) is listed once for
    /// each.
    pub interfaces: Vec<InterfaceInfo>,
}

/// One export of an interface by a library: the interface's unnamed
/// export, or one of its named ones (`#[plugin_export(name = "fast")]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InterfaceInfo {
    /// The trait's name.
    pub name: String,
    /// The export's name, for a named export (`load_named` loads it).
    pub export: Option<String>,
    /// The dynplug ABI version the plugin was built with; this dynplug
    /// loads [`InterfaceInfo::loadable`] interfaces only.
    pub abi_version: u32,
    /// Whether the trait has a `Send` supertrait.
    pub send: bool,
    /// Whether the trait has a `Sync` supertrait.
    pub sync: bool,
    /// Whether the plugin was compiled to abort on panic (`panic =
    /// "abort"`) rather than unwind: `load` refuses it unless
    /// [`LoadOptions::allow_abort_on_panic`](crate::LoadOptions::allow_abort_on_panic).
    pub aborts_on_panic: bool,
    /// The interface's methods, as the plugin was built against them.
    pub methods: Vec<MethodInfo>,
    /// The package the export was built from, as Cargo gave it (`None`
    /// for a plugin built with a dynplug that did not record it).
    pub package: Option<crate::Package>,
}

impl InterfaceInfo {
    /// Whether this version of dynplug can load it (same ABI version).
    pub fn loadable(&self) -> bool {
        self.abi_version == ABI_VERSION
    }
}

/// One method of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MethodInfo {
    /// The method's name.
    pub name: String,
    /// Its signature as written in the interface: `fn greet(&self, name: &str) -> String`.
    pub signature: String,
    /// Whether the interface requires it (no default body).
    pub required: bool,
}

/// Lists every dynplug interface the library at `path` exports, with its
/// methods, **without running any of its code**: the file is parsed, not
/// loaded, so its initialisers do not run.
///
/// The same checks as `load`'s pre-flight apply: the file must be a
/// regular file and a shared library for this platform whose structure the
/// dynamic loader could map without crashing (on ELF platforms, every
/// structure it interprets is checked). Exports are read through the
/// dynamic section, so a library without section headers is listed too.
/// A library that exports no interface gives an empty list.
///
/// ```no_run
/// let info = dynplug::inspect("target/debug/libgreeter_hello.so")?;
/// println!("{info}");
/// # Ok::<(), dynplug::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Open`] if the file cannot be read, [`Error::InvalidLibrary`]
/// if it is not a regular file, not a library for this platform, has a
/// structure the loader would misread, or a metadata record in it is
/// malformed.
pub fn inspect(path: impl AsRef<Path>) -> Result<LibraryInfo, Error> {
    let path = path.as_ref();
    info(path, &preflight::check(path)?)
}

/// What pre-flight's `report` of the file at `path` says it exports.
pub(crate) fn info(path: &Path, report: &preflight::FileReport) -> Result<LibraryInfo, Error> {
    let mut interfaces = Vec::new();
    for found in &report.interfaces {
        let malformed = |err: crate::meta::MetaError| Error::InvalidLibrary {
            path: path.to_path_buf(),
            reason: format!("the `{}` {err}", found.name),
        };
        let meta = found.summary().map_err(malformed)?;
        // As `load` refuses it (`plugin::checked_layout`): the export would
        // be listed under a name no load of it takes.
        if meta.name != found.name {
            return Err(malformed(crate::meta::MetaError::Malformed(
                "the record's interface name differs from its symbol's",
            )));
        }
        let package = found
            .package()
            .transpose()
            .map_err(|err| Error::InvalidLibrary {
                path: path.to_path_buf(),
                reason: format!("the `{}` package {err}", found.name),
            })?;
        interfaces.push(InterfaceInfo {
            package,
            export: found.export.clone(),
            name: meta.name,
            abi_version: meta.abi_version,
            send: meta.send,
            sync: meta.sync,
            aborts_on_panic: meta.aborts_on_panic,
            methods: meta
                .methods
                .into_iter()
                .map(|m| MethodInfo {
                    name: m.name,
                    signature: m.signature,
                    required: m.required,
                })
                .collect(),
        });
    }
    Ok(LibraryInfo {
        path: path.to_path_buf(),
        interfaces,
    })
}

impl fmt::Display for LibraryInfo {
    /// A report for a person: one block per export, one line per method.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.interfaces.iter().map(|i| i.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        write!(f, "{}: ", self.path.display())?;
        match names.len() {
            0 => return writeln!(f, "no dynplug interface"),
            1 => write!(f, "1 dynplug interface")?,
            n => write!(f, "{n} dynplug interfaces")?,
        }
        if self.interfaces.len() > names.len() {
            write!(f, ", {} exports", self.interfaces.len())?;
        }
        writeln!(f)?;
        for interface in &self.interfaces {
            write!(f, "\n  {}", interface.name)?;
            if let Some(export) = &interface.export {
                write!(f, " \"{export}\"")?;
            }
            write!(f, "  (dynplug ABI {}", interface.abi_version)?;
            if !interface.loadable() {
                write!(f, ", this dynplug loads ABI {ABI_VERSION}")?;
            }
            let panics = if interface.aborts_on_panic {
                "abort"
            } else {
                "unwind"
            };
            writeln!(f, ", {} methods, panics {panics})", interface.methods.len())?;
            if let Some(package) = &interface.package {
                write!(f, "    package {package}")?;
                if !package.license.is_empty() {
                    write!(f, ", {}", package.license)?;
                }
                if !package.description.is_empty() {
                    write!(f, ": {}", package.description)?;
                }
                writeln!(f)?;
            }
            for method in &interface.methods {
                let optional = if method.required { "" } else { "  [optional]" };
                writeln!(f, "    {}{optional}", method.signature)?;
            }
        }
        Ok(())
    }
}
