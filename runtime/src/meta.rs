//! The interface metadata record: what it holds, how it is written into a
//! plugin at compile time, and how it is read back and compared.
//!
//! The record is a byte array with no pointers in it, so it can be read
//! from the mapped library and from the file's bytes alike. All integers
//! are little-endian.
//!
//! ```text
//! magic        8 bytes  b"DYNPLUG\0"
//! format       u32      FORMAT_VERSION (the layout of this record)
//! abi          u32      ABI_VERSION (the layout of the calls)
//! total_len    u32      length of the whole record in bytes
//! name         str      the interface's name
//! flags        u8       bit 0: `Send` supertrait, bit 1: `Sync` supertrait,
//!                       bit 2: the plugin aborts on panic (see below)
//! methods      u32      number of methods, then for each:
//!   name       str
//!   flags      u8       bit 0: required (no default body)
//!   hash       u64      signature hash
//!   signature  str      the signature as written, for messages
//!   params     u32      number of parameters and return (last), then each:
//!     type     str      the type as written
//!     hash     u64      its hash (with how it crosses)
//! ```
//! where `str` is a u32 byte length followed by UTF-8 bytes.
//!
//! Flags bit 2 is the only part of a record that is not the interface's:
//! the interface's record (`Interface::META`, [`encode`]) always has it
//! clear, whatever the panic strategy of the crate it is compiled in, and
//! `#[plugin_export]` sets it in the copy the plugin exports
//! ([`with_panic_strategy`]) when the plugin's own crate is compiled with
//! `cfg(not(panic = "unwind"))`. That crate is the authority: rustc lets a
//! `panic = "abort"` library link crates compiled to unwind, never the
//! other way round. So a plugin that unwinds exports the host's very
//! record, and one that aborts never does: it takes the full pre-flight,
//! which reads the bit, whatever the host's own strategy.

use std::fmt;

/// The record's magic bytes.
pub const MAGIC: [u8; 8] = *b"DYNPLUG\0";
/// The version of the record's layout.
pub const FORMAT_VERSION: u32 = 1;
/// The version of the calling convention (`dynplug_rules`, where its
/// history is).
pub use dynplug_rules::ABI_VERSION;

/// Flags bit of a record: the trait has a `Send` supertrait.
const FLAG_SEND: u8 = 1;
/// Flags bit of a record: the trait has a `Sync` supertrait.
const FLAG_SYNC: u8 = 2;
/// Flags bit of a record: the plugin was compiled with a panic strategy
/// other than unwinding (`panic = "abort"`).
const FLAG_ABORTS_ON_PANIC: u8 = 4;

/// A method as the interface macro describes it (host side, compile time).
#[derive(Debug)]
pub struct MethodDesc {
    /// The method's name.
    pub name: &'static str,
    /// Whether the method has no default body.
    pub required: bool,
    /// The signature hash.
    pub hash: u64,
    /// The signature as written.
    pub signature: &'static str,
    /// Each parameter's type as written and its hash, then the return
    /// type's: tells which type differs when two signatures read the same.
    pub params: &'static [(&'static str, u64)],
}

/// An interface as the interface macro describes it.
#[derive(Debug)]
pub struct InterfaceDesc {
    /// The trait's name.
    pub name: &'static str,
    /// Whether the trait has a `Send` supertrait.
    pub send: bool,
    /// Whether the trait has a `Sync` supertrait.
    pub sync: bool,
    /// Its methods, in declaration order.
    pub methods: &'static [MethodDesc],
    /// The symbol of the metadata record.
    pub meta_symbol: &'static str,
    /// The symbol of the plugin's table of functions (`crate::vtable`).
    pub vtable_symbol: &'static str,
}

const fn str_len(s: &str) -> usize {
    4 + s.len()
}

/// The length of `desc`'s record.
pub const fn encoded_len(desc: &InterfaceDesc) -> usize {
    let mut len = 8 + 4 + 4 + 4 + str_len(desc.name) + 1 + 4;
    let mut i = 0;
    while i < desc.methods.len() {
        let m = &desc.methods[i];
        len += str_len(m.name) + 1 + 8 + str_len(m.signature) + 4;
        let mut p = 0;
        while p < m.params.len() {
            len += str_len(m.params[p].0) + 8;
            p += 1;
        }
        i += 1;
    }
    len
}

struct Writer<const N: usize> {
    buf: [u8; N],
    at: usize,
}

impl<const N: usize> Writer<N> {
    const fn bytes(mut self, bytes: &[u8]) -> Self {
        let mut i = 0;
        while i < bytes.len() {
            self.buf[self.at] = bytes[i];
            self.at += 1;
            i += 1;
        }
        self
    }
    const fn u32(self, value: u32) -> Self {
        self.bytes(&value.to_le_bytes())
    }
    const fn str(self, s: &str) -> Self {
        self.u32(s.len() as u32).bytes(s.as_bytes())
    }
}

/// Writes `desc`'s record; `N` must be [`encoded_len`]`(desc)`.
pub const fn encode<const N: usize>(desc: &InterfaceDesc) -> [u8; N] {
    assert!(N == encoded_len(desc), "dynplug: metadata length mismatch");
    let mut w = Writer { buf: [0; N], at: 0 }
        .bytes(&MAGIC)
        .u32(FORMAT_VERSION)
        .u32(ABI_VERSION)
        .u32(N as u32)
        .str(desc.name)
        .bytes(&[(desc.send as u8 * FLAG_SEND) | (desc.sync as u8 * FLAG_SYNC)])
        .u32(desc.methods.len() as u32);
    let mut i = 0;
    while i < desc.methods.len() {
        let m = &desc.methods[i];
        w = w
            .str(m.name)
            .bytes(&[m.required as u8])
            .bytes(&m.hash.to_le_bytes())
            .str(m.signature)
            .u32(m.params.len() as u32);
        let mut p = 0;
        while p < m.params.len() {
            w = w.str(m.params[p].0).bytes(&m.params[p].1.to_le_bytes());
            p += 1;
        }
        i += 1;
    }
    w.buf
}

/// Copies a record into an array, for the static a plugin exports.
pub const fn to_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// The offset of the interface flags byte in a record whose header is
/// valid and whose name is `name_len` bytes long.
const fn flags_offset(name_len: usize) -> usize {
    HEADER_LEN + 4 + name_len
}

/// Sets, in a copy of an interface's record, the flags bit that says the
/// plugin aborts on panic: `#[plugin_export]` calls it with
/// `!cfg!(panic = "unwind")` evaluated in the plugin's crate.
pub const fn with_panic_strategy<const N: usize>(
    mut record: [u8; N],
    aborts_on_panic: bool,
) -> [u8; N] {
    let h = HEADER_LEN;
    let name_len =
        u32::from_le_bytes([record[h], record[h + 1], record[h + 2], record[h + 3]]) as usize;
    let at = flags_offset(name_len);
    if aborts_on_panic {
        record[at] |= FLAG_ABORTS_ON_PANIC;
    } else {
        record[at] &= !FLAG_ABORTS_ON_PANIC;
    }
    record
}

/// Whether a record says its plugin aborts on panic; `None` if the record
/// is too short to tell. Reads one byte: for the quick path, whose record
/// is otherwise known to be the host's.
pub fn aborts_on_panic(record: &[u8]) -> Option<bool> {
    let name_len = record.get(HEADER_LEN..HEADER_LEN + 4)?;
    let name_len = u32::from_le_bytes(name_len.try_into().ok()?) as usize;
    let flags = record.get(flags_offset(name_len))?;
    Some(flags & FLAG_ABORTS_ON_PANIC != 0)
}

/// Whether two strings are equal, at compile time.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// An interface's metadata as read back from a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceMeta {
    /// The interface's name.
    pub name: String,
    /// The dynplug ABI version it was built with.
    pub abi_version: u32,
    /// Whether the trait has a `Send` supertrait.
    pub send: bool,
    /// Whether the trait has a `Sync` supertrait.
    pub sync: bool,
    /// Whether the plugin was compiled to abort on panic rather than unwind.
    pub aborts_on_panic: bool,
    /// Its methods, in declaration order.
    pub methods: Vec<MethodMeta>,
}

/// A method's metadata as read back from a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodMeta {
    /// The method's name.
    pub name: String,
    /// Whether the method has no default body.
    pub required: bool,
    /// The signature hash.
    pub hash: u64,
    /// The signature as written in the interface.
    pub signature: String,
    /// Each parameter's type and hash, then the return type's.
    pub params: Vec<(String, u64)>,
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaError {
    /// The record does not start with [`MAGIC`].
    BadMagic,
    /// The record's layout is of another version.
    Format(u32),
    /// The record is cut short or its lengths do not add up.
    Malformed(&'static str),
}

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetaError::BadMagic => f.write_str("metadata has no dynplug magic"),
            MetaError::Format(v) => write!(f, "metadata format version {v} is not supported"),
            MetaError::Malformed(what) => write!(f, "metadata is malformed: {what}"),
        }
    }
}

/// The fixed-size start of a record: enough to know its full length.
pub const HEADER_LEN: usize = 20;

/// Reads the header of a record: checks magic and format and returns the
/// record's total length and ABI version. Never reads past `header`.
pub fn read_header(header: &[u8]) -> Result<(usize, u32), MetaError> {
    let mut r = Reader { bytes: header };
    if r.take(8)? != MAGIC {
        return Err(MetaError::BadMagic);
    }
    let format = r.u32()?;
    if format != FORMAT_VERSION {
        return Err(MetaError::Format(format));
    }
    let abi = r.u32()?;
    let total = r.u32()? as usize;
    if total < HEADER_LEN {
        return Err(MetaError::Malformed("total length shorter than the header"));
    }
    Ok((total, abi))
}

/// A reader of what follows a whole record's header (interface or package
/// record alike), and the record's ABI version.
fn body(record: &[u8]) -> Result<(Reader<'_>, u32), MetaError> {
    let (total, abi) = read_header(record)?;
    if total != record.len() {
        return Err(MetaError::Malformed(
            "total length does not match the record",
        ));
    }
    let r = Reader {
        bytes: &record[HEADER_LEN..],
    };
    Ok((r, abi))
}

/// Reads a whole record, whatever its ABI version (the caller compares
/// it). Anything malformed is an error, never a panic.
pub fn decode(record: &[u8]) -> Result<InterfaceMeta, MetaError> {
    decode_keeping(record, true)
}

/// [`decode`] with the same checks, each method's `params` left empty: what
/// `inspect` and the catalogue list (a name and a signature per method)
/// without a string per parameter type.
pub(crate) fn decode_summary(record: &[u8]) -> Result<InterfaceMeta, MetaError> {
    decode_keeping(record, false)
}

/// [`decode`], keeping the parameters' types or not.
fn decode_keeping(record: &[u8], keep_params: bool) -> Result<InterfaceMeta, MetaError> {
    let (mut r, abi) = body(record)?;
    let name = r.str()?;
    let flags = r.take(1)?[0];
    let count = r.u32()? as usize;
    // Each method takes at least 4 + 1 + 8 + 4 bytes: bounds the allocation.
    if count > r.bytes.len() / 17 {
        return Err(MetaError::Malformed("method count exceeds the record"));
    }
    let mut methods = Vec::with_capacity(count);
    for _ in 0..count {
        let name = r.str()?;
        let flags = r.take(1)?[0];
        let hash = u64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes"));
        let signature = r.str()?;
        let param_count = r.u32()? as usize;
        // Each parameter takes at least 4 + 8 bytes: bounds the allocation.
        if param_count > r.bytes.len() / 12 {
            return Err(MetaError::Malformed("parameter count exceeds the record"));
        }
        let mut params = Vec::with_capacity(if keep_params { param_count } else { 0 });
        for _ in 0..param_count {
            let ty = r.text()?;
            let hash = u64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes"));
            if keep_params {
                params.push((ty.to_owned(), hash));
            }
        }
        methods.push(MethodMeta {
            name,
            required: flags & 1 != 0,
            hash,
            signature,
            params,
        });
    }
    if !r.bytes.is_empty() {
        return Err(MetaError::Malformed("trailing bytes after the last method"));
    }
    Ok(InterfaceMeta {
        name,
        abi_version: abi,
        send: flags & FLAG_SEND != 0,
        sync: flags & FLAG_SYNC != 0,
        aborts_on_panic: flags & FLAG_ABORTS_ON_PANIC != 0,
        methods,
    })
}

/// The package an export was built from, as `#[plugin_export]` takes it
/// from Cargo where the plugin is compiled (empty where it was not built by
/// Cargo). Its record has a record's header, then five `str`s: name,
/// version, description, authors (separated by `:`, as Cargo gives them),
/// license.
#[derive(Debug)]
pub struct PackageDesc {
    /// `CARGO_PKG_NAME`.
    pub name: &'static str,
    /// `CARGO_PKG_VERSION`.
    pub version: &'static str,
    /// `CARGO_PKG_DESCRIPTION`.
    pub description: &'static str,
    /// `CARGO_PKG_AUTHORS`.
    pub authors: &'static str,
    /// `CARGO_PKG_LICENSE`.
    pub license: &'static str,
}

impl PackageDesc {
    const fn fields(&self) -> [&'static str; 5] {
        [
            self.name,
            self.version,
            self.description,
            self.authors,
            self.license,
        ]
    }
}

/// The length of `desc`'s package record.
pub const fn package_len(desc: &PackageDesc) -> usize {
    let fields = desc.fields();
    let mut len = HEADER_LEN;
    let mut i = 0;
    while i < fields.len() {
        len += str_len(fields[i]);
        i += 1;
    }
    len
}

/// Writes `desc`'s package record; `N` must be [`package_len`]`(desc)`.
pub const fn encode_package<const N: usize>(desc: &PackageDesc) -> [u8; N] {
    assert!(
        N == package_len(desc),
        "dynplug: package record length mismatch"
    );
    let fields = desc.fields();
    let mut w = Writer { buf: [0; N], at: 0 }
        .bytes(&MAGIC)
        .u32(FORMAT_VERSION)
        .u32(ABI_VERSION)
        .u32(N as u32);
    let mut i = 0;
    while i < fields.len() {
        w = w.str(fields[i]);
        i += 1;
    }
    w.buf
}

/// The package a plugin was built from, as its package record says: what
/// Cargo knew when it compiled the plugin. Read by [`inspect`](crate::inspect)
/// without running the plugin's code, and by a loaded plugin's `package()`.
/// Empty strings where the plugin's `Cargo.toml` says nothing (or it was
/// not built by Cargo).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Package {
    /// The package's name: `greeter-hello`.
    pub name: String,
    /// Its version, as written: `1.2.0`.
    pub version: String,
    /// Its one-line description.
    pub description: String,
    /// Its authors, each as written in `Cargo.toml`.
    pub authors: Vec<String>,
    /// Its license expression: `MIT OR Apache-2.0`.
    pub license: String,
}

impl Package {
    /// The version as a semantic version, if it is one (Cargo requires it
    /// of every package, so only a record not written by Cargo lacks it).
    pub fn semver(&self) -> Option<semver::Version> {
        semver::Version::parse(&self.version).ok()
    }
}

impl fmt::Display for Package {
    /// `name version`, or `(no package)` for a record without a name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            return f.write_str("(no package)");
        }
        write!(f, "{} {}", self.name, self.version)
    }
}

/// Reads a package record. Anything malformed is an error, never a panic.
pub fn decode_package(record: &[u8]) -> Result<Package, MetaError> {
    let (mut r, _) = body(record)?;
    let name = r.str()?;
    let version = r.str()?;
    let description = r.str()?;
    let authors = r.text()?;
    let license = r.str()?;
    if !r.bytes.is_empty() {
        return Err(MetaError::Malformed(
            "trailing bytes after the package's fields",
        ));
    }
    Ok(Package {
        name,
        version,
        description,
        authors: authors
            .split(':')
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect(),
        license,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MetaError> {
        if n > self.bytes.len() {
            return Err(MetaError::Malformed("record cut short"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, MetaError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn str(&mut self) -> Result<String, MetaError> {
        self.text().map(str::to_owned)
    }
    fn text(&mut self) -> Result<&'a str, MetaError> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| MetaError::Malformed("a name is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESC: InterfaceDesc = InterfaceDesc {
        name: "Greeter",
        send: true,
        sync: false,
        methods: &[
            MethodDesc {
                name: "greet",
                required: true,
                hash: 42,
                signature: "fn greet(&self, name: &str) -> String",
                params: &[("&str", 1), ("String", 2)],
            },
            MethodDesc {
                name: "shout",
                required: false,
                hash: 7,
                signature: "fn shout(&self)",
                params: &[("()", 3)],
            },
        ],
        meta_symbol: "m",
        vtable_symbol: "v",
    };
    const LEN: usize = encoded_len(&DESC);
    const RECORD: [u8; LEN] = encode(&DESC);

    #[test]
    fn round_trip() {
        let meta = decode(&RECORD).unwrap();
        assert_eq!(meta.name, "Greeter");
        assert!(meta.send && !meta.sync);
        assert_eq!(meta.abi_version, ABI_VERSION);
        assert_eq!(meta.methods.len(), 2);
        assert_eq!(meta.methods[0].signature, DESC.methods[0].signature);
        assert!(meta.methods[0].required);
        assert!(!meta.methods[1].required);
        assert_eq!(meta.methods[1].hash, 7);
        assert_eq!(
            meta.methods[0].params,
            vec![("&str".to_owned(), 1), ("String".to_owned(), 2)]
        );
    }

    #[test]
    fn the_interface_record_never_says_abort_and_a_plugin_copy_may() {
        assert_eq!(aborts_on_panic(&RECORD), Some(false));
        assert!(!decode(&RECORD).unwrap().aborts_on_panic);
        const ABORTS: [u8; LEN] = with_panic_strategy(RECORD, true);
        let meta = decode(&ABORTS).unwrap();
        assert!(meta.aborts_on_panic);
        assert_eq!(aborts_on_panic(&ABORTS), Some(true));
        // Only that bit changed: the rest still reads the same.
        assert!(meta.send && !meta.sync);
        assert_eq!(meta.methods, decode(&RECORD).unwrap().methods);
        assert_eq!(
            ABORTS.iter().zip(&RECORD).filter(|(a, b)| a != b).count(),
            1
        );
        assert_eq!(with_panic_strategy(ABORTS, false), RECORD);
        assert_eq!(aborts_on_panic(&RECORD[..HEADER_LEN + 4]), None);
    }

    #[test]
    fn every_truncation_is_an_error() {
        for cut in 0..RECORD.len() {
            assert!(decode(&RECORD[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn every_byte_flip_is_handled() {
        for at in 0..RECORD.len() {
            let mut bytes = RECORD;
            bytes[at] ^= 0xff;
            // Must not panic; may or may not decode (signature text bytes).
            let _ = decode(&bytes);
        }
    }

    /// The summary `inspect` lists is the record less its parameter
    /// types, with the same verdict on every damaged copy.
    #[test]
    fn a_summary_is_the_record_without_parameter_types() {
        let mut full = decode(&RECORD).unwrap();
        assert!(full.methods.iter().any(|m| !m.params.is_empty()));
        for m in &mut full.methods {
            m.params.clear();
        }
        assert_eq!(decode_summary(&RECORD).unwrap().methods, full.methods);
        for cut in 0..RECORD.len() {
            assert!(decode_summary(&RECORD[..cut]).is_err(), "cut at {cut}");
        }
        for at in 0..RECORD.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bytes = RECORD;
                bytes[at] ^= flip;
                assert_eq!(
                    decode(&bytes).err(),
                    decode_summary(&bytes).err(),
                    "byte {at} ^ {flip:#x}"
                );
            }
        }
    }

    #[test]
    fn other_abi_is_reported() {
        let mut bytes = RECORD;
        bytes[12..16].copy_from_slice(&99u32.to_le_bytes());
        assert_eq!(decode(&bytes).unwrap().abi_version, 99);
    }

    #[test]
    fn package_records_round_trip() {
        const PKG: PackageDesc = PackageDesc {
            name: "greeter-hello",
            version: "1.2.0-beta.1",
            description: "Says hello",
            authors: "Ann <ann@example.org>:Bo",
            license: "MIT OR Apache-2.0",
        };
        const LEN: usize = package_len(&PKG);
        const RECORD: [u8; LEN] = encode_package(&PKG);
        let package = decode_package(&RECORD).unwrap();
        assert_eq!(package.name, "greeter-hello");
        assert_eq!(package.version, "1.2.0-beta.1");
        assert_eq!(package.description, "Says hello");
        assert_eq!(package.authors, ["Ann <ann@example.org>", "Bo"]);
        assert_eq!(package.license, "MIT OR Apache-2.0");
        assert_eq!(package.semver().unwrap().pre.as_str(), "beta.1");
        assert_eq!(package.to_string(), "greeter-hello 1.2.0-beta.1");
        // Cut anywhere, or with a byte more, it is an error, not a panic.
        for len in 0..LEN {
            assert!(decode_package(&RECORD[..len]).is_err(), "cut at {len}");
        }
        let mut longer = RECORD.to_vec();
        longer.push(0);
        assert!(decode_package(&longer).is_err());
    }
}
