//! The ELF header: what the dynamic loader reads first. The checks, and
//! what each prevents: the file is a 64-bit shared library for this
//! machine, byte order and ABI (else the loader misreads every field or
//! refuses it), with program headers of the right size in a sane number
//! (glibc copies them to its stack: a huge count overflows it), and
//! section headers, if any, inside the file. The program headers
//! themselves are checked in `segments`.

use super::machine::{MACHINE, machine_name};
use super::read::{Source, u16_at, u32_at, u64_at};
use super::segments::{self, Layout, PHDR_SIZE, Segment};

/// How the validator's answer for a file that is no ELF file begins.
pub(crate) const NOT_ELF: &str = "it is not an ELF shared library";

/// No library has more program headers (ld makes about 10).
const MAX_PHDRS: u16 = 256;

/// Checks the ELF header and program headers of `source`.
pub(crate) fn check(source: &Source<'_>) -> Result<Layout, String> {
    let head = source.head();
    // The start of an ELF header, cut short.
    if head.len() < 64 && head.len() >= 4 && &head[..4] == b"\x7fELF" {
        return Err(format!(
            "the file is truncated: it is {} bytes long, shorter than the 64-byte ELF header \
             it starts",
            source.len
        ));
    }
    if head.len() < 64 || &head[..4] != b"\x7fELF" {
        return Err(format!(
            "{NOT_ELF} (the file is {} bytes long, shorter than an ELF header, or does not \
             start with one)",
            source.len
        ));
    }
    ident(head)?;
    let kind = u16_at(head, 16);
    match kind {
        3 => {}
        2 => return Err("it is an executable, not a shared library".to_owned()),
        1 => return Err("it is an object file (.o), not a shared library".to_owned()),
        _ => {
            return Err(format!(
                "it is not a shared library (its ELF type is {kind})"
            ));
        }
    }
    let machine = u16_at(head, 18);
    if machine != MACHINE {
        return Err(format!(
            "it is built for {}, and this process runs on {}",
            machine_name(machine),
            machine_name(MACHINE)
        ));
    }
    if u32_at(head, 20) != 1 {
        return Err("its ELF version is not 1".to_owned());
    }
    let phoff = u64_at(head, 32);
    let (phentsize, phnum) = (u16_at(head, 54), u16_at(head, 56));
    if usize::from(phentsize) != PHDR_SIZE {
        return Err(format!(
            "its program headers are {phentsize} bytes each; 64-bit ELF's are {PHDR_SIZE}"
        ));
    }
    if phnum == 0 || phnum > MAX_PHDRS {
        return Err(format!(
            "it has {phnum} program headers (a library has between 1 and {MAX_PHDRS})"
        ));
    }
    let sections = section_headers(source, head)?;
    let phdrs = source.read(
        phoff,
        u64::from(phnum) * PHDR_SIZE as u64,
        "program headers",
    )?;
    let segments: Vec<Segment> = phdrs
        .chunks_exact(PHDR_SIZE)
        .enumerate()
        .map(|(i, ph)| Segment::parse(i, ph))
        .collect();
    let loads = segments::loads(source, &segments)?;
    let mut layout = Layout {
        loads,
        dynamic: segments[0],
        tls: None,
        relro: None,
        sections,
        code: Vec::new(),
    };
    segments::special(source, &mut layout, &segments, phoff, phdrs.len() as u64)?;
    Ok(layout)
}

/// `e_ident`: 64-bit, this byte order, ELF version 1, the System V or GNU
/// ABI, zero padding (as glibc requires).
fn ident(head: &[u8]) -> Result<(), String> {
    match head[4] {
        2 => {}
        1 => {
            return Err(
                "it is a 32-bit ELF file, and this process is 64-bit (dynplug's pre-flight \
                 reads 64-bit ELF)"
                    .to_owned(),
            );
        }
        other => return Err(format!("its ELF class is {other}, neither 32 nor 64-bit")),
    }
    let native = if cfg!(target_endian = "little") { 1 } else { 2 };
    if head[5] != native {
        return Err("its byte order differs from this process's".to_owned());
    }
    if head[6] != 1 {
        return Err("its ELF version is not 1".to_owned());
    }
    let (osabi, abiversion) = (head[7], head[8]);
    if !matches!(osabi, 0 | 3) || (osabi == 0 && abiversion != 0) || abiversion > 4 {
        return Err(format!(
            "its OS ABI ({osabi}, version {abiversion}) is not System V or GNU"
        ));
    }
    if head[9..16].iter().any(|&b| b != 0) {
        return Err("its ELF identification has non-zero padding".to_owned());
    }
    Ok(())
}

/// `(e_shoff, e_shnum, e_shstrndx)`, if the file has section headers; they
/// must then lie inside the file.
fn section_headers(source: &Source<'_>, head: &[u8]) -> Result<Option<(u64, u16, u16)>, String> {
    let shoff = u64_at(head, 40);
    let (shentsize, shnum, shstrndx) = (u16_at(head, 58), u16_at(head, 60), u16_at(head, 62));
    if shoff == 0 {
        return Ok(None);
    }
    if shentsize != 64 {
        return Err(format!(
            "its section headers are {shentsize} bytes each; 64-bit ELF's are 64"
        ));
    }
    if shnum == 0 || shstrndx >= shnum {
        return Err(format!(
            "its section header count ({shnum}) or name table index ({shstrndx}) is invalid"
        ));
    }
    let size = u64::from(shnum) * 64;
    if shoff.checked_add(size).is_none_or(|end| end > source.len) {
        return Err(format!(
            "its section headers ({size} bytes at file offset {shoff:#x}) run past the end of \
             the file ({} bytes): the file is truncated",
            source.len
        ));
    }
    Ok(Some((shoff, shnum, shstrndx)))
}
