//! Signed plugins: a library file's minisign signature, checked against the
//! host's public key before any of the file's code runs.
//!
//! The signature is the `minisign` tool's, in `<library file>.minisig`
//! next to the library. Only prehashed signatures (minisign's default) are
//! accepted: they are checked as the file streams through, so a large
//! library is never read into memory whole. Verification is the
//! `minisign-verify` crate's.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::Error;

/// A minisign public key, which a host requires its plugins to be signed
/// with ([`LoadOptions::require_signature`](crate::LoadOptions::require_signature)).
///
/// ```
/// let key = dynplug::PublicKey::from_base64(
///     "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
/// )?;
/// let options = dynplug::LoadOptions::new().require_signature(key);
/// # let _ = options;
/// # Ok::<(), dynplug::InvalidKey>(())
/// ```
#[derive(Clone)]
pub struct PublicKey(minisign_verify::PublicKey);

impl PublicKey {
    /// The key as `minisign -G` prints it: the base64 line of
    /// `minisign.pub`.
    ///
    /// # Errors
    ///
    /// [`InvalidKey`] if it is not a minisign public key.
    pub fn from_base64(key: &str) -> Result<PublicKey, InvalidKey> {
        minisign_verify::PublicKey::from_base64(key.trim())
            .map(PublicKey)
            .map_err(|err| InvalidKey(format!("{err}")))
    }

    /// The key as a `minisign.pub` file holds it: an untrusted comment line,
    /// then the base64 line.
    ///
    /// # Errors
    ///
    /// [`InvalidKey`] if it is not a minisign public key file's text.
    pub fn decode(text: &str) -> Result<PublicKey, InvalidKey> {
        minisign_verify::PublicKey::decode(text)
            .map(PublicKey)
            .map_err(|err| InvalidKey(format!("{err}")))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(..)")
    }
}

/// A text that is not a minisign public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidKey(String);

impl fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a minisign public key ({})", self.0)
    }
}

impl std::error::Error for InvalidKey {}

/// The most bytes a signature file may have: a real one is under 400.
const MAX_SIGNATURE: u64 = 16 << 10;

/// How much of the library is read at a time while it is verified.
const CHUNK: usize = 256 << 10;

/// Where the signature of the library at `path` is: `<path>.minisig`.
pub fn signature_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".minisig");
    PathBuf::from(name)
}

/// Checks that the library file at `path` is signed with `key`, as a load
/// that requires a signature does, without loading it: its signature file
/// (`<path>.minisig`) is there, well formed, made with `key`, and covers
/// every byte of the file.
///
/// # Errors
///
/// [`Error::Untrusted`] saying what is wrong with the signature;
/// [`Error::Open`] or [`Error::InvalidLibrary`] if the file itself cannot be
/// opened or is not a regular file.
pub fn verify_signature(path: impl AsRef<Path>, key: &PublicKey) -> Result<(), Error> {
    let path = path.as_ref();
    let opened = crate::preflight::open(path)?;
    verify(path, &opened.file, opened.metadata.len(), key)
}

/// The library at `path`, open as `opened`, made ready to load as
/// `options` ask: from a private copy ([`crate::copy::copied`]) when they
/// ask for one or require a signature, and then its signature checked, on
/// the bytes that will be mapped. Nobody can change them before or after
/// they are mapped: on Unix the copy is checked; on Windows the file is
/// open sharing reading only, so that nobody can write, rename or replace
/// it until it is mapped, and Windows refuses writes to a mapped image.
pub(crate) fn prepared(
    path: &Path,
    opened: crate::preflight::Opened,
    options: &crate::LoadOptions,
) -> Result<crate::preflight::Opened, Error> {
    // A signed file is loaded from a copy on Unix, whose loaders map a
    // file's later writes.
    let copy = options.load_from_copy || (cfg!(unix) && options.signed_by.is_some());
    let opened = match copy {
        true => crate::copy::copied(path, opened)?,
        false => opened,
    };
    if let Some(key) = &options.signed_by {
        verify(path, &opened.file, opened.metadata.len(), key)?;
    }
    Ok(opened)
}

/// Checks that `file` (the library at `path`, open, `len` bytes long) is
/// signed with `key`: its signature file is there and well formed, made
/// with `key`, and covers every byte of the file as it is now.
pub(crate) fn verify(path: &Path, file: &File, len: u64, key: &PublicKey) -> Result<(), Error> {
    let untrusted = |reason: String| Error::Untrusted {
        path: path.to_path_buf(),
        reason,
    };
    let sig_path = signature_path(path);
    let text = read_signature(&sig_path).map_err(untrusted)?;
    let signature = minisign_verify::Signature::decode(&text).map_err(|err| {
        untrusted(format!(
            "its signature file {} is not a minisign signature ({err})",
            sig_path.display()
        ))
    })?;
    let mut verifier = key.0.verify_stream(&signature).map_err(|err| {
        untrusted(match err {
            minisign_verify::Error::UnexpectedKeyId => {
                "it is signed with another key than the one required".to_owned()
            }
            minisign_verify::Error::UnsupportedLegacyMode => format!(
                "its signature ({}) is of minisign's legacy kind, which covers the file only \
                 after reading it whole; sign it again with a current minisign (prehashed \
                 signatures are the default)",
                sig_path.display()
            ),
            other => format!("its signature cannot be checked ({other})"),
        })
    })?;
    let mut buf = vec![0; CHUNK];
    let mut at = 0;
    while at < len {
        let want = usize::try_from((len - at).min(CHUNK as u64)).expect("a chunk fits");
        read_exact_at(file, &mut buf[..want], at)
            .map_err(|err| untrusted(format!("it cannot be read to check its signature: {err}")))?;
        verifier.update(&buf[..want]);
        at += want as u64;
    }
    verifier.finalize().map_err(|_| {
        untrusted(
            "its signature does not match its contents: the file was changed after it was \
             signed, or the signature is another file's"
                .to_owned(),
        )
    })
}

/// The text of the signature file at `path`, read without blocking and
/// never more than [`MAX_SIGNATURE`] bytes; else why not, in words.
fn read_signature(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let missing = |err: std::io::Error| match err.kind() {
        std::io::ErrorKind::NotFound => format!(
            "it is not signed: there is no signature file {}",
            path.display()
        ),
        _ => format!(
            "its signature file {} cannot be read: {err}",
            path.display()
        ),
    };
    let file = crate::os::open_file(path).map_err(missing)?;
    let metadata = file.metadata().map_err(missing)?;
    if !metadata.is_file() {
        return Err(format!(
            "its signature file {} is not a regular file",
            path.display()
        ));
    }
    if metadata.len() > MAX_SIGNATURE {
        return Err(format!(
            "its signature file {} is {} bytes long, larger than any minisign signature",
            path.display(),
            metadata.len()
        ));
    }
    let mut text = String::new();
    file.take(MAX_SIGNATURE)
        .read_to_string(&mut text)
        .map_err(|err| {
            format!(
                "its signature file {} cannot be read as text: {err}",
                path.display()
            )
        })?;
    Ok(text)
}

/// Reads `buf.len()` bytes at `offset` of `file`, leaving its position.
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}
