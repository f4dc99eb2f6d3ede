//! Binding zlib, a C library nobody here wrote (Debian's `zlib1g`, which
//! `.ci/run` installs when it is missing), found by name through the
//! system's dynamic loader.
//!
//! Unix only: Windows ships no zlib among its system libraries.

#![cfg(unix)]

use std::ffi::{CStr, c_char, c_int, c_ulong};

/// zlib's `Z_OK`.
const Z_OK: c_int = 0;
/// zlib's `Z_BUF_ERROR`: the destination is too small.
const Z_BUF_ERROR: c_int = -5;

#[dynplug::plugin_interface(c_library)]
pub trait Zlib: Send + Sync {
    /// The library's version, a static NUL-terminated string.
    #[symbol = "zlibVersion"]
    fn zlib_version(&self) -> *const c_char;
    /// The most `compress` can write for `source_len` bytes.
    #[symbol = "compressBound"]
    fn compress_bound(&self, source_len: c_ulong) -> c_ulong;
    /// Compresses `source_len` bytes at `source` into `dest`, whose size is
    /// `*dest_len` on entry and the compressed size on return.
    ///
    /// # Safety
    ///
    /// `source` must be valid for reading `source_len` bytes, `dest` for
    /// writing `*dest_len` bytes, and `dest_len` for reading and writing.
    unsafe fn compress(
        &self,
        dest: *mut u8,
        dest_len: *mut c_ulong,
        source: *const u8,
        source_len: c_ulong,
    ) -> c_int;
    /// Decompresses `source_len` bytes at `source` into `dest`, whose size
    /// is `*dest_len` on entry and the decompressed size on return.
    ///
    /// # Safety
    ///
    /// As for [`compress`](Zlib::compress).
    unsafe fn uncompress(
        &self,
        dest: *mut u8,
        dest_len: *mut c_ulong,
        source: *const u8,
        source_len: c_ulong,
    ) -> c_int;
}

fn zlib() -> ZlibLibrary {
    // SAFETY: the declarations above are zlib's (zlib.h: `uLong` is
    // `unsigned long`, `Bytef` is `unsigned char`), and the safe ones may
    // be called with any arguments.
    unsafe { ZlibLibrary::load_by_names(&["libz.so.1", "libz.so"], &Default::default()) }
        .expect("zlib (Debian package zlib1g) is installed")
}

fn len(n: usize) -> c_ulong {
    c_ulong::try_from(n).unwrap()
}

/// Compresses `source` into a buffer of `capacity` bytes: zlib's status and
/// the bytes it wrote.
fn compress(z: &ZlibLibrary, source: &[u8], capacity: usize) -> (c_int, Vec<u8>) {
    let mut dest = vec![0u8; capacity];
    let mut dest_len = len(dest.len());
    // SAFETY: both slices are valid for their lengths, which are the ones
    // passed, and `dest_len` is a local.
    let status = unsafe {
        z.compress(
            dest.as_mut_ptr(),
            &mut dest_len,
            source.as_ptr(),
            len(source.len()),
        )
    };
    dest.truncate(usize::try_from(dest_len).unwrap());
    (status, dest)
}

/// Decompresses `source` into a buffer of `capacity` bytes.
fn uncompress(z: &ZlibLibrary, source: &[u8], capacity: usize) -> (c_int, Vec<u8>) {
    let mut dest = vec![0u8; capacity];
    let mut dest_len = len(dest.len());
    // SAFETY: as in `compress`.
    let status = unsafe {
        z.uncompress(
            dest.as_mut_ptr(),
            &mut dest_len,
            source.as_ptr(),
            len(source.len()),
        )
    };
    dest.truncate(usize::try_from(dest_len).unwrap());
    (status, dest)
}

/// `n` bytes from a xorshift generator: incompressible enough.
fn pseudo_random(n: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[3]
        })
        .collect()
}

fn repeating(n: usize) -> Vec<u8> {
    b"dynplug binds zlib. "
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect()
}

const MIB: usize = 1 << 20;

#[test]
fn version_is_a_c_string() {
    let z = zlib();
    let version = z.zlib_version();
    assert!(!version.is_null());
    // SAFETY: zlib returns a pointer to its static, NUL-terminated version.
    let version = unsafe { CStr::from_ptr(version) }.to_str().unwrap();
    assert!(version.starts_with("1."), "{version}");
}

#[test]
fn compress_bound_grows_with_the_input() {
    let z = zlib();
    let small = z.compress_bound(0);
    let big = z.compress_bound(len(MIB));
    assert!(small > 0, "even an empty input has a header: {small}");
    assert!(big >= len(MIB), "{big}");
    assert!(big < len(MIB + MIB / 100), "{big}");
}

#[test]
fn round_trips() {
    let z = zlib();
    let inputs: [(&str, Vec<u8>); 4] = [
        ("empty", Vec::new()),
        (
            "text",
            b"The quick brown fox jumps over the lazy dog.".to_vec(),
        ),
        ("1 MiB repeating", repeating(MIB)),
        ("1 MiB pseudo-random", pseudo_random(MIB)),
    ];
    for (what, input) in &inputs {
        let bound = usize::try_from(z.compress_bound(len(input.len()))).unwrap();
        let (status, compressed) = compress(&z, input, bound);
        assert_eq!(status, Z_OK, "{what}");
        assert!(!compressed.is_empty(), "{what}");
        let (status, output) = uncompress(&z, &compressed, input.len().max(1));
        assert_eq!(status, Z_OK, "{what}");
        assert!(output == *input, "{what}: the round trip changed the bytes");
    }
    let (_, compressed) = compress(
        &z,
        &inputs[2].1,
        usize::try_from(z.compress_bound(len(MIB))).unwrap(),
    );
    assert!(
        compressed.len() < MIB / 100,
        "repeating data compresses well: {} bytes",
        compressed.len()
    );
}

#[test]
fn a_destination_too_small_is_z_buf_error() {
    let z = zlib();
    let input = pseudo_random(4096);
    let (status, _) = compress(&z, &input, 16);
    assert_eq!(status, Z_BUF_ERROR);
    let (status, compressed) = compress(&z, &input, 8192);
    assert_eq!(status, Z_OK);
    let (status, _) = uncompress(&z, &compressed, input.len() - 1);
    assert_eq!(status, Z_BUF_ERROR);
}
