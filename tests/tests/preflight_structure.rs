//! The ELF validator behind both pre-flights (`runtime/src/elf/`): each of
//! its checks refuses one targeted mutation of a real plugin with a reason
//! that says what is wrong, before `dlopen`; files that are not libraries
//! at all (a FIFO, a socket, a device, a 50 GiB sparse file, a 4 GiB text
//! file) are refused at once, without blocking or reading them; and a
//! library without section headers is read through its dynamic section.
//!
//! Every mutated file is first inspected, which runs no code of it; only
//! when `inspect` refused it is it handed to `load`, whose pre-flight
//! applies the same rules, so no broken file reaches the dynamic loader.
//!
//! ELF platforms only: the mutations edit ELF structures, and the special
//! files (FIFO, Unix socket, device) are Unix ones.

#![cfg(all(unix, not(target_vendor = "apple")))]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dynplug::__private::rules::slot::ROOT_FIXED;
use dynplug::{Catalog, Error, ScanOptions};
use dynplug_tests::{fixture, run_in_child};
use fixture_api::{Greeter, GreeterPlugin};

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}
fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_TLS: u32 = 7;
const PT_GNU_RELRO: u32 = 0x6474_e552;

/// This machine's relocation types the mutations use: `GLOB_DAT`, a
/// PC-relative 32-bit one (only text relocations have it) and `COPY`.
#[cfg(target_arch = "aarch64")]
mod reloc {
    pub const GLOB_DAT: u32 = 1025;
    pub const PC32: u32 = 261;
    pub const COPY: u32 = 1024;
    pub const TLS_MODULE: u32 = 1028;
}
#[cfg(not(target_arch = "aarch64"))]
mod reloc {
    pub const GLOB_DAT: u32 = 6;
    pub const PC32: u32 = 2;
    pub const COPY: u32 = 5;
    pub const TLS_MODULE: u32 = 16;
}

/// Where hello-plugin's structures lie, found the way the loader finds
/// them (program headers, then the dynamic section).
struct Fixture {
    bytes: Vec<u8>,
}

impl Fixture {
    fn hello() -> Fixture {
        Fixture {
            bytes: std::fs::read(fixture("hello-plugin")).unwrap(),
        }
    }

    /// The file offset of program header `i`.
    fn phdr(&self, i: usize) -> usize {
        u64_at(&self.bytes, 32) as usize + 56 * i
    }

    /// The indices of the program headers of type `kind`.
    fn phdrs(&self, kind: u32) -> Vec<usize> {
        let n = usize::from(u16_at(&self.bytes, 56));
        (0..n)
            .filter(|&i| u32_at(&self.bytes, self.phdr(i)) == kind)
            .collect()
    }

    /// The file offset of virtual address `vaddr`.
    fn offset(&self, vaddr: u64) -> usize {
        for i in self.phdrs(PT_LOAD) {
            let ph = self.phdr(i);
            let (off, va, filesz) = (
                u64_at(&self.bytes, ph + 8),
                u64_at(&self.bytes, ph + 16),
                u64_at(&self.bytes, ph + 32),
            );
            if vaddr >= va && vaddr < va + filesz {
                return (off + vaddr - va) as usize;
            }
        }
        panic!("{vaddr:#x} is in no segment");
    }

    /// The file offset of each dynamic entry, with its tag and value.
    fn dynamic(&self) -> Vec<(usize, u64, u64)> {
        let ph = self.phdr(self.phdrs(PT_DYNAMIC)[0]);
        let at = self.offset(u64_at(&self.bytes, ph + 16));
        let mut entries = Vec::new();
        for e in (at..).step_by(16) {
            let tag = u64_at(&self.bytes, e);
            entries.push((e, tag, u64_at(&self.bytes, e + 8)));
            if tag == 0 {
                return entries;
            }
        }
        unreachable!()
    }

    /// The file offset of the end of the dynamic segment's bytes.
    fn dynamic_end(&self) -> usize {
        let ph = self.phdr(self.phdrs(PT_DYNAMIC)[0]);
        (u64_at(&self.bytes, ph + 8) + u64_at(&self.bytes, ph + 32)) as usize
    }

    /// The file offset of the value of dynamic tag `tag`, and the value.
    fn tag(&self, tag: u64) -> (usize, u64) {
        let (at, _, value) = *self
            .dynamic()
            .iter()
            .find(|e| e.1 == tag)
            .unwrap_or_else(|| panic!("no dynamic tag {tag:#x}"));
        (at + 8, value)
    }

    /// The file offset of the table dynamic tag `tag` points to.
    fn table(&self, tag: u64) -> usize {
        self.offset(self.tag(tag).1)
    }

    /// The file offsets of the `.rela.dyn` entries (`DT_RELA`).
    fn relocations(&self) -> Vec<usize> {
        let at = self.table(7);
        let size = self.tag(8).1 as usize;
        (at..at + size).step_by(24).collect()
    }

    /// The file offset of the first symbol matching `wanted`.
    fn symbol(&self, wanted: impl Fn(&[u8]) -> bool) -> usize {
        let symtab = self.table(6);
        let count = {
            use object::Object;
            let file = object::File::parse(&*self.bytes).unwrap();
            file.dynamic_symbols().count() + 1
        };
        (symtab..)
            .step_by(24)
            .take(count)
            .find(|&s| wanted(&self.bytes[s..s + 24]))
            .expect("a matching symbol")
    }

    /// A copy with `patch` applied, written to `dir/name`.
    fn mutant(&self, dir: &Path, name: &str, patch: impl FnOnce(&Self, &mut Vec<u8>)) -> PathBuf {
        let mut bytes = self.bytes.clone();
        patch(self, &mut bytes);
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// `inspect` refuses `path` with a reason containing every one of `why`;
/// then so does `load`, before `dlopen`.
fn refused(path: &Path, why: &[&str]) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let reason = match dynplug::inspect(path) {
        Ok(info) => panic!("{name}: inspect accepted it: {info:?}"),
        Err(Error::InvalidLibrary { reason, path: p }) => {
            assert_eq!(p, path);
            reason
        }
        Err(other) => panic!("{name}: not InvalidLibrary: {other:?}"),
    };
    for w in why {
        assert!(reason.contains(w), "{name}: `{w}` not in: {reason}");
    }
    match GreeterPlugin::load(path) {
        Ok(_) => panic!("{name}: loaded"),
        Err(Error::InvalidLibrary { reason: r, .. }) => assert_eq!(r, reason, "{name}"),
        Err(other) => panic!("{name}: load: not InvalidLibrary: {other:?}"),
    }
    scanned(path, &reason);
}

/// A catalogue of a folder holding only `path`, which pre-flight refuses
/// for `reason`: a scan (which reads what listing takes) either refuses it
/// too or lists it, and then its entry's load refuses it for `reason`; a
/// thorough scan refuses it for `reason`.
fn scanned(path: &Path, reason: &str) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("libmutant.so");
    std::fs::copy(path, &copy).unwrap();
    let catalog = Catalog::scan(dir.path()).unwrap();
    for entry in catalog.find::<dyn Greeter>() {
        match entry.load::<GreeterPlugin>() {
            Ok(_) => panic!("{name}: loaded from a scan"),
            Err(Error::InvalidLibrary { reason: r, .. }) => assert_eq!(r, reason, "{name}"),
            Err(other) => panic!("{name}: load of an entry: not InvalidLibrary: {other:?}"),
        }
    }
    for problem in catalog.problems() {
        assert!(
            matches!(problem, Error::InvalidLibrary { .. }),
            "{name}: {problem:?}"
        );
    }
    let options = ScanOptions::new().thorough(true);
    let thorough = Catalog::scan_with(dir.path(), &options).unwrap();
    assert_eq!(
        thorough.libraries().count(),
        0,
        "{name}: listed by a thorough scan"
    );
    match thorough.problems() {
        [Error::InvalidLibrary { reason: r, .. }] => assert_eq!(r, reason, "{name}"),
        other => panic!("{name}: a thorough scan: {other:?}"),
    }
}

#[test]
fn the_unmutated_fixture_passes() {
    let dir = tempfile::tempdir().unwrap();
    let path = Fixture::hello().mutant(dir.path(), "libsame.so", |_, _| {});
    let info = dynplug::inspect(&path).unwrap();
    assert_eq!(info.interfaces[0].name, "Greeter");
    GreeterPlugin::load(&path).unwrap();
}

#[test]
fn program_header_mutations_are_refused() {
    let f = Fixture::hello();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let loads = f.phdrs(PT_LOAD);
    let (first, second) = (f.phdr(loads[0]), f.phdr(loads[1]));

    let p = f.mutant(d, "libfilesz.so", |_, b| {
        let memsz = u64_at(b, second + 40);
        put_u64(b, second + 32, memsz + 0x10);
    });
    refused(
        &p,
        &[
            "loadable segment",
            "more bytes in the file",
            "than in memory",
        ],
    );

    let p = f.mutant(d, "liboverlap.so", |_, b| {
        // Segment 2 moved down by whole pages (two of its alignment, which
        // keeps it congruent to its offset), into segment 1's pages.
        let (va, align) = (u64_at(b, second + 16), u64_at(b, second + 48));
        put_u64(b, second + 16, va - 2 * align);
    });
    refused(&p, &["loadable segments overlap", "starts inside"]);

    let p = f.mutant(d, "libunsorted.so", |_, b| {
        let va = u64_at(b, first + 16);
        put_u64(b, first + 16, va + 0x10_0000_0000);
    });
    refused(&p, &["not sorted by address"]);

    let p = f.mutant(d, "libalign.so", |_, b| put_u64(b, second + 48, 0x1800));
    refused(&p, &["aligned to 0x1800", "power of two"]);

    let p = f.mutant(d, "libcongruent.so", |_, b| {
        let off = u64_at(b, second + 8);
        put_u64(b, second + 8, off + 8);
    });
    refused(&p, &["differ modulo its alignment"]);

    let len = f.bytes.len() as u64;
    let p = f.mutant(d, "libpastend.so", |_, b| put_u64(b, second + 8, len));
    refused(&p, &["runs past the end of the file", "truncated"]);

    let p = f.mutant(d, "libunreadable.so", |_, b| {
        let flags = u32_at(b, second + 4);
        put_u32(b, second + 4, flags & !4);
    });
    refused(&p, &["is not readable"]);

    // A writable segment 64 TiB long in memory: nothing is allocated in
    // proportion (the loader's own `mmap` would simply fail).
    let last = f.phdr(*loads.last().unwrap());
    let p = f.mutant(d, "libmemsz.so", |_, b| {
        let memsz = u64_at(b, last + 40);
        put_u64(b, last + 40, memsz | 0x4000_0000_0000);
    });
    let outcome = dynplug::inspect(&p);
    assert!(
        matches!(outcome, Ok(_) | Err(Error::InvalidLibrary { .. })),
        "{outcome:?}"
    );

    let p = f.mutant(d, "libphnum.so", |_, b| put_u16(b, 56, 0xffff));
    refused(&p, &["65535 program headers"]);

    // A p_offset that stays inside the file and congruent: the segment
    // maps other bytes, and only the section headers tell (or the dynamic
    // segment's offset, where this segment holds it).
    let p = f.mutant(d, "liboffset.so", |_, b| {
        let (off, align) = (u64_at(b, second + 8), u64_at(b, second + 48));
        put_u64(b, second + 8, off - align);
    });
    refused(&p, &["maps", "to file offset"]);

    let dynamic = f.phdr(f.phdrs(PT_DYNAMIC)[0]);
    let p = f.mutant(d, "libdynamic.so", |_, b| {
        put_u64(b, dynamic + 16, 0x4000_0000);
    });
    refused(&p, &["dynamic segment", "lies in no loadable segment"]);

    let tls = f.phdr(f.phdrs(PT_TLS)[0]);
    let p = f.mutant(d, "libtls.so", |_, b| put_u64(b, tls + 40, 1 << 40));
    refused(&p, &["thread-local segment"]);

    let relro = f.phdr(f.phdrs(PT_GNU_RELRO)[0]);
    let p = f.mutant(d, "librelro.so", |f, b| {
        // Over the code segment, at consistent offsets.
        let text = loads
            .iter()
            .map(|&i| f.phdr(i))
            .find(|&ph| u32_at(&f.bytes, ph + 4) & 1 != 0)
            .expect("an executable segment");
        for field in [8, 16, 24, 32, 40] {
            let v = u64_at(b, text + field);
            put_u64(b, relro + field, v);
        }
    });
    refused(
        &p,
        &["PT_GNU_RELRO", "not inside one writable loadable segment"],
    );
}

#[test]
fn a_file_size_that_reaches_into_bss_is_refused() {
    // Found by a 50,000-mutant campaign: one bit more in the last
    // segment's `p_filesz` (still below `p_memsz`, still inside the file)
    // fills the start of `.bss` with the bytes that follow in the file, so
    // statics start with garbage (or the plugin hangs). Only the section
    // headers say where the file bytes must end.
    let f = Fixture::hello();
    let dir = tempfile::tempdir().unwrap();
    let last = *f.phdrs(PT_LOAD).last().unwrap();
    let at = f.phdr(last);
    let (filesz, memsz) = (u64_at(&f.bytes, at + 32), u64_at(&f.bytes, at + 40));
    assert!(
        memsz >= filesz + 16,
        "the fixture's last segment has a .bss"
    );
    let p = f.mutant(dir.path(), "libbss.so", |_, b| {
        put_u64(b, at + 32, filesz + 16);
    });
    refused(
        &p,
        &["zero-filled section", "file bytes", "file size is wrong"],
    );
}

#[test]
fn dynamic_section_mutations_are_refused() {
    let f = Fixture::hello();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let (at, _) = f.tag(25); // DT_INIT_ARRAY
    let p = f.mutant(d, "libinitarray.so", |_, b| put_u64(b, at, 0x7000_0000));
    refused(
        &p,
        &["DT_INIT_ARRAY (0x70000000) is outside every loadable segment"],
    );

    // DT_INIT moved to the file's headers: a segment that is not
    // executable, or (aarch64) in the executable one, outside its code.
    let (at, _) = f.tag(12); // DT_INIT
    let p = f.mutant(d, "libinit.so", |_, b| put_u64(b, at, 0x100));
    refused(&p, &["DT_INIT (0x100)", "not executable"]);

    let (at, _) = f.tag(1); // DT_NEEDED
    let (_, strsz) = f.tag(10);
    let p = f.mutant(d, "libneeded.so", |_, b| put_u64(b, at, strsz + 5));
    refused(
        &p,
        &["DT_NEEDED string", "past the end of the string table"],
    );

    let (at, _) = f.tag(20); // DT_PLTREL
    let p = f.mutant(d, "libpltrel.so", |_, b| put_u64(b, at, 5));
    refused(&p, &["DT_PLTREL is 5"]);

    let (at, _) = f.tag(9); // DT_RELAENT
    let p = f.mutant(d, "librelaent.so", |_, b| put_u64(b, at, 16));
    refused(&p, &["DT_RELAENT is 16"]);

    let (at, size) = f.tag(8); // DT_RELASZ
    let p = f.mutant(d, "librelasz.so", |_, b| put_u64(b, at, size + 8));
    refused(&p, &["not a whole number of 24-byte entries"]);

    let (at, count) = f.tag(0x6fff_fff9); // DT_RELACOUNT
    let p = f.mutant(d, "librelacount.so", |_, b| put_u64(b, at, count + 1));
    refused(&p, &["counted as relative"]);

    // DT_NULL turned into a second DT_FLAGS_1, and so is every DT_NULL
    // the linker padded the section with: nothing ends the section.
    let null = f.dynamic().last().unwrap().0;
    let p = f.mutant(d, "libnonull.so", |f, b| {
        let (_, value) = f.tag(0x6fff_fffb);
        for entry in (null..f.dynamic_end()).step_by(16) {
            put_u64(b, entry, 0x6fff_fffb);
            put_u64(b, entry + 8, value);
        }
    });
    refused(&p, &["no DT_NULL"]);

    // A table's tag lost (turned into an unknown one): glibc would
    // dereference the missing entry size, or skip the table.
    let (at, _) = f.tag(9); // DT_RELAENT
    let p = f.mutant(d, "libnorelaent.so", |_, b| put_u64(b, at - 8, 0x6000_0009));
    refused(&p, &["DT_RELA without DT_RELAENT"]);
    let (at, _) = f.tag(23); // DT_JMPREL
    let p = f.mutant(d, "libnojmprel.so", |_, b| put_u64(b, at - 8, 0x6000_0017));
    refused(&p, &["DT_PLTRELSZ without DT_JMPREL"]);
    let (at, _) = f.tag(0x6fff_fff0); // DT_VERSYM
    let p = f.mutant(d, "libnoversym.so", |_, b| put_u64(b, at - 8, 0x6000_0010));
    refused(&p, &["without a version table (DT_VERSYM)"]);

    // DT_FINI a few bytes into `.fini`: the middle of an instruction.
    let (at, fini) = f.tag(13);
    let p = f.mutant(d, "libfini.so", |_, b| put_u64(b, at, fini + 2));
    refused(&p, &["DT_FINI", "points into the middle of its section"]);

    let (at, _) = f.tag(5); // DT_STRTAB
    let p = f.mutant(d, "libnostrtab.so", |_, b| put_u64(b, at - 8, 0x6000_0123));
    refused(&p, &["no string table (DT_STRTAB)"]);
}

#[test]
fn symbol_and_hash_table_mutations_are_refused() {
    let f = Fixture::hello();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gnu = f.table(0x6fff_fef5);

    let p = f.mutant(d, "libbuckets.so", |_, b| put_u32(b, gnu, 0));
    refused(&p, &["GNU hash table", "no bucket"]);

    let p = f.mutant(d, "libbloom.so", |_, b| put_u32(b, gnu + 8, 3));
    refused(&p, &["bloom filter of 3 words"]);

    let p = f.mutant(d, "libbucket.so", |_, b| {
        let bloom = u32_at(b, gnu + 8) as usize;
        put_u32(b, gnu + 16 + bloom * 8, 1);
    });
    refused(
        &p,
        &["bucket 0 starts at symbol 1, below its first hashed symbol"],
    );

    // An undefined symbol made hidden.
    let undefined = f.symbol(|s| u32_at(s, 0) != 0 && u16_at(s, 6) == 0);
    let p = f.mutant(d, "libhidden.so", |_, b| b[undefined + 5] = 2);
    refused(&p, &["undefined with a visibility other than default"]);

    let p = f.mutant(d, "libname.so", |_, b| put_u32(b, undefined, 0x00ff_ffff));
    refused(
        &p,
        &[
            "has its name at offset 16777215",
            "past the end of the string table",
        ],
    );

    let p = f.mutant(d, "libbind.so", |_, b| b[undefined + 4] = 0x51);
    refused(&p, &["unknown binding (5)"]);

    // The table's symbol (data, in a writable segment) made a function: the
    // object of the table's size, the fixed entries and 7 methods.
    let table_size = ((ROOT_FIXED + 7) * 8) as u64;
    let table = f.symbol(|s| u16_at(s, 6) != 0 && s[4] & 0xf == 1 && u64_at(s, 16) == table_size);
    let p = f.mutant(d, "libfunc.so", |_, b| b[table + 4] = 0x12);
    refused(&p, &["is a function at", "outside every executable"]);

    // ... or moved by a word: its entries are other words, not all code.
    let p = f.mutant(d, "libtableshift.so", |_, b| {
        let v = u64_at(b, table + 8);
        put_u64(b, table + 8, v + 8);
    });
    refused(&p, &["table of functions `__dynplug_vtable__Greeter`"]);
    let p = f.mutant(d, "libtablealign.so", |_, b| {
        let v = u64_at(b, table + 8);
        put_u64(b, table + 8, v + 2);
    });
    refused(&p, &["is not a word-aligned table of pointers"]);

    // An undefined symbol made local: it would bind to address 0.
    let p = f.mutant(d, "liblocal.so", |_, b| b[undefined + 4] &= 0x0f);
    refused(&p, &["is undefined and local"]);

    // ... or moved out of every segment.
    let p = f.mutant(d, "libdata.so", |_, b| put_u64(b, table + 8, 0x7000_0000));
    let outside = format!("is at 0x70000000, {table_size} bytes, outside every loadable segment");
    refused(&p, &[&outside]);
}

#[test]
fn version_table_mutations_are_refused() {
    let f = Fixture::hello();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let versym = f.table(0x6fff_fff0);
    let p = f.mutant(d, "libversym.so", |_, b| put_u16(b, versym + 2 * 5, 0x7000));
    refused(&p, &["symbol 5 has version index 28672"]);

    let verneed = f.table(0x6fff_fffe);
    let p = f.mutant(d, "libvnversion.so", |_, b| put_u16(b, verneed, 2));
    refused(&p, &["version needs (DT_VERNEED) entry 0 is of version 2"]);

    // vn_file pointed at another string of the table: a symbol's name.
    let p = f.mutant(d, "libvnfile.so", |f, b| {
        let named = f.symbol(|s| u32_at(s, 0) != 0);
        let name = u32_at(&f.bytes, named);
        put_u32(b, verneed + 4, name);
    });
    refused(&p, &["not among the libraries it needs (DT_NEEDED)"]);

    let p = f.mutant(d, "libvnnext.so", |_, b| {
        put_u32(b, verneed + 12, 0x4000_0000)
    });
    refused(
        &p,
        &["version needs (DT_VERNEED)", "lies in no loadable segment"],
    );
}

#[test]
fn relocation_mutations_are_refused() {
    let f = Fixture::hello();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let relocs = f.relocations();
    let last = *relocs.last().unwrap();

    let p = f.mutant(d, "libtarget.so", |_, b| put_u64(b, last, 0x100));
    refused(
        &p,
        &["targets 0x100 (8 bytes), outside every writable segment"],
    );

    let p = f.mutant(d, "libtype.so", |_, b| put_u32(b, last + 8, 99));
    refused(&p, &["has type 99, not a dynamic relocation type"]);

    // A GLOB_DAT turned into a PC32, which only text relocations have.
    let glob_dat = *relocs
        .iter()
        .find(|&&r| u32_at(&f.bytes, r + 8) == reloc::GLOB_DAT)
        .expect("a GLOB_DAT relocation");
    let p = f.mutant(d, "libpc32.so", |_, b| {
        put_u32(b, glob_dat + 8, reloc::PC32)
    });
    refused(
        &p,
        &[&format!(
            "has type {}, not a dynamic relocation type",
            reloc::PC32
        )],
    );

    let p = f.mutant(d, "libcopy.so", |_, b| put_u32(b, last + 8, reloc::COPY));
    refused(&p, &["copy relocation"]);

    let p = f.mutant(d, "libsymindex.so", |_, b| put_u32(b, last + 12, 0xffff));
    refused(&p, &["names symbol 65535, past the symbol count"]);

    // A relative relocation moved by a flipped bit: out of order.
    let p = f.mutant(d, "libunsortedrel.so", |_, b| {
        let off = u64_at(b, relocs[3]);
        put_u64(b, relocs[3], off + 0x80);
    });
    refused(
        &p,
        &[
            "out of order after",
            "relative relocations are sorted by target",
        ],
    );

    // A GOT relocation (sorted by symbol, not target) moved onto the word
    // of another: that word is written twice, this one not at all.
    let got: Vec<usize> = relocs
        .iter()
        .copied()
        .filter(|&r| u32_at(&f.bytes, r + 8) == reloc::GLOB_DAT)
        .collect();
    assert!(got.len() >= 2, "hello-plugin has GLOB_DAT relocations");
    let p = f.mutant(d, "libtwice.so", |f, b| {
        let target = u64_at(&f.bytes, got[1]);
        put_u64(b, got[0], target);
    });
    refused(&p, &["a word another relocation writes too"]);
    let p = f.mutant(d, "libunaligned.so", |_, b| {
        let off = u64_at(b, relocs[4]);
        put_u64(b, relocs[4], off + 2);
    });
    refused(&p, &["not aligned to a word"]);

    // A jump slot moved below the PLT's part of the offset table, or
    // naming another slot's symbol.
    let (jmprel, plt_size) = (f.table(23), f.tag(2).1 as usize);
    assert!(plt_size >= 48, "hello-plugin has two jump slots at least");
    let p = f.mutant(d, "libslot.so", |_, b| {
        let off = u64_at(b, jmprel);
        put_u64(b, jmprel, off - 0x400);
    });
    refused(
        &p,
        &["jump slot relocation 0 targets", "outside the PLT's slots"],
    );
    let p = f.mutant(d, "libslotsym.so", |f, b| {
        let sym = u32_at(&f.bytes, jmprel + 12);
        put_u32(b, jmprel + 24 + 12, sym);
    });
    refused(
        &p,
        &[
            "jump slot relocation 1 names symbol",
            "another jump slot names",
        ],
    );
    let p = f.mutant(d, "libslotnull.so", |_, b| put_u32(b, jmprel + 12, 0));
    refused(&p, &["binds a slot to no symbol"]);
    let p = f.mutant(d, "libslotalign.so", |_, b| {
        let off = u64_at(b, jmprel);
        put_u64(b, jmprel, off + 4);
    });
    refused(&p, &["not aligned"]);

    // The relocation of the first initialiser slot.
    let (_, init_array) = f.tag(25);
    let slot = *relocs
        .iter()
        .find(|&&r| u64_at(&f.bytes, r) == init_array)
        .expect("a relocation of DT_INIT_ARRAY's first slot");
    let p = f.mutant(d, "libinitdata.so", |_, b| put_u64(b, slot + 16, 0x100));
    refused(&p, &["slot 0 of its DT_INIT_ARRAY is relocated to 0x100"]);

    // Made a no-op (type 0, NONE), with the count of relative ones
    // ending before it: the slot is left as the file has it.
    let (count_at, _) = f.tag(0x6fff_fff9);
    let index = relocs.iter().position(|&r| r == slot).unwrap() as u64;
    let p = f.mutant(d, "libinitgone.so", |_, b| {
        put_u32(b, slot + 8, 0);
        put_u64(b, count_at, index);
    });
    refused(&p, &["slot 0 of its DT_INIT_ARRAY", "is not relocated"]);
}

/// Offset-table relocations (`GLOB_DAT`, TLS) moved to a word no other
/// relocation writes: nothing is written twice, every target is aligned
/// and writable, yet the slot the code reads is left unrelocated and the
/// first use crashes (three of 50,000 mutants of the fuzz campaign did
/// this). Each is refused by where its target lies.
#[test]
fn offset_table_relocations_moved_off_their_slots_are_refused() {
    use object::{Object, ObjectSection};
    let f = Fixture::hello();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let relocs = f.relocations();
    let of_type = |kind: u32| -> Vec<usize> {
        relocs
            .iter()
            .copied()
            .filter(|&r| u32_at(&f.bytes, r + 8) == kind)
            .collect()
    };
    let glob_dat = of_type(reloc::GLOB_DAT)[0];
    let moved = |name: &str, target: u64| f.mutant(d, name, |_, b| put_u64(b, glob_dat, target));

    // Into the dynamic section (mutant 28722); refused without section
    // headers too, from PT_DYNAMIC alone.
    let dynamic = u64_at(&f.bytes, f.phdr(f.phdrs(PT_DYNAMIC)[0]) + 16);
    let p = moved("libgotdynamic.so", dynamic + 0x10);
    refused(&p, &["inside its dynamic section"]);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[40..48].fill(0);
    bytes[60..64].fill(0);
    let bare = d.join("libgotdynamic-nosections.so");
    std::fs::write(&bare, bytes).unwrap();
    refused(&bare, &["inside its dynamic section"]);

    // Into a writable section that is not the offset table (mutants 13410
    // and 44706 moved theirs into `.data.rel.ro`; `.bss` is never written
    // by a relocation either).
    let file = object::File::parse(&*f.bytes).unwrap();
    let bss = file
        .section_by_name(".bss")
        .expect("hello-plugin has a .bss");
    let p = moved("libgotbss.so", bss.address());
    refused(&p, &["outside its offset table (.got, .got.plt)"]);

    // Onto the words at DT_PLTGOT that the loader fills itself.
    let (_, pltgot) = f.tag(3);
    let p = moved("libgotreserved.so", pltgot + 8);
    refused(&p, &["DT_PLTGOT", "that the loader fills itself"]);

    // Onto the second word of a TLS module pair, where the linker put the
    // variable's offset and no relocation writes (where the fixture has
    // such a pair: GNU ld for aarch64 uses TLS descriptors instead).
    if let Some(&module) = of_type(reloc::TLS_MODULE).first() {
        let second = u64_at(&f.bytes, module) + 8;
        assert!(
            !relocs.iter().any(|&r| u64_at(&f.bytes, r) == second),
            "the word after a TLS module relocation is the linker's"
        );
        let p = moved("libgottls.so", second);
        refused(
            &p,
            &[
                "TLS module relocation",
                "where the variable's offset belongs",
            ],
        );
    } else if !cfg!(target_arch = "aarch64") {
        panic!("hello-plugin has a TLS module pair");
    }
}

#[test]
fn truncation_says_how_long_the_file_is_and_what_it_needs() {
    let f = Fixture::hello();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libcut.so");
    std::fs::write(&path, &f.bytes[..0x20000]).unwrap();
    refused(&path, &["131072 bytes", "truncated"]);
}

/// A copy of fixture `name` with `e_shoff`, `e_shnum` and `e_shstrndx`
/// zeroed: the loader needs no section headers.
fn without_section_headers(dir: &Path, name: &str) -> PathBuf {
    let mut bytes = std::fs::read(fixture(name)).unwrap();
    bytes[40..48].fill(0);
    bytes[60..64].fill(0);
    let path = dir.join(format!("lib{}-nosections.so", name.replace('-', "_")));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_library_without_section_headers_is_read_through_its_dynamic_section() {
    let dir = tempfile::tempdir().unwrap();
    let path = without_section_headers(dir.path(), "hello-plugin");
    let info = dynplug::inspect(&path).unwrap();
    let names: Vec<&str> = info.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Greeter"]);
    assert!(!info.interfaces[0].methods.is_empty());
    let plugin = GreeterPlugin::load(&path).unwrap();
    assert_eq!(fixture_api::Greeter::add(&plugin, 2, 3), 5);

    // An older version of the interface: a mismatch, not "not a plugin".
    let old = without_section_headers(dir.path(), "old-plugin");
    match GreeterPlugin::load(&old) {
        Ok(_) => panic!("the old plugin loaded"),
        Err(Error::InterfaceMismatch { interface, .. }) => assert_eq!(interface, "Greeter"),
        Err(other) => panic!("not InterfaceMismatch: {other:?}"),
    }
}

/// The same with binutils' own tools, where installed (the test does not
/// need them): `strip` keeps section headers, so the stripped file must
/// still load and list its interface.
#[test]
fn a_stripped_library_still_inspects_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libstripped.so");
    // This machine's binutils (the cross tools when the test binary runs
    // under an emulator), else the host's.
    let own = format!("{}-linux-gnu-strip", std::env::consts::ARCH);
    let ran = [own.as_str(), "strip"].into_iter().any(|strip| {
        std::process::Command::new(strip)
            .arg("--strip-all")
            .arg("-o")
            .arg(&path)
            .arg(fixture("hello-plugin"))
            .status()
            .is_ok_and(|s| s.success())
    });
    if !ran {
        eprintln!("strip is not installed: nothing to check");
        return;
    }
    let info = dynplug::inspect(&path).unwrap();
    assert_eq!(info.interfaces[0].name, "Greeter");
    GreeterPlugin::load(&path).unwrap();
}

/// Runs `f` on another thread and fails if it takes longer than `limit`
/// (a blocked open would otherwise hang the test).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("no answer within {limit:?}: blocked"))
}

/// `inspect` and `load` of `path` both refuse it within a second with an
/// `InvalidLibrary` whose reason contains `why`.
fn refused_at_once(path: &Path, why: &'static str) {
    let owned = path.to_path_buf();
    let (inspected, loaded, took) = within(Duration::from_secs(5), move || {
        let start = Instant::now();
        let inspected = dynplug::inspect(&owned).map(|_| ());
        let loaded = GreeterPlugin::load(&owned).map(|_| ());
        (inspected, loaded, start.elapsed())
    });
    for result in [inspected, loaded] {
        match result {
            Err(Error::InvalidLibrary { reason, .. }) => {
                assert!(reason.contains(why), "{}: {reason}", path.display());
            }
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    assert!(
        took < Duration::from_secs(1),
        "{}: took {took:?}",
        path.display()
    );
}

#[test]
fn a_fifo_a_socket_and_a_device_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("libfifo.so");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path and a mode.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    refused_at_once(&fifo, "named pipe (FIFO)");

    let socket = dir.path().join("libsocket.so");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    refused_at_once(&socket, "a socket");

    refused_at_once(Path::new("/dev/zero"), "a device");
}

/// The child's peak resident memory, in KiB (Linux).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

const HUGE_TEST: &str = "huge_and_sparse_files_are_answered_at_once_with_flat_memory";

/// Run in a child, so that its peak memory is its own.
#[test]
fn huge_and_sparse_files_are_answered_at_once_with_flat_memory() {
    if let Some(case) = dynplug_tests::child_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libhuge.so");
        let before = peak_kib();
        match case.as_str() {
            "sparse-50g" => {
                // Holes only: costs no disk.
                let file = std::fs::File::create(&path).unwrap();
                file.set_len(50 << 30).unwrap();
                refused_at_once(&path, "larger than any shared library");
            }
            "text-4g" => {
                std::fs::write(&path, b"just some text, then 4 GiB of holes\n").unwrap();
                let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                file.set_len(4 << 30).unwrap();
                refused_at_once(&path, "not an ELF shared library");
            }
            "plugin-7g" => {
                // A real plugin followed by 7 GiB of holes: its tables are
                // read, not the rest.
                std::fs::copy(fixture("hello-plugin"), &path).unwrap();
                let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                file.set_len(7 << 30).unwrap();
                let start = Instant::now();
                let info = dynplug::inspect(&path).unwrap();
                assert_eq!(info.interfaces[0].name, "Greeter");
                assert!(
                    start.elapsed() < Duration::from_secs(1),
                    "{:?}",
                    start.elapsed()
                );
            }
            other => panic!("unknown case {other}"),
        }
        let grown = peak_kib().saturating_sub(before);
        println!("child: {case} done, peak grew by {grown} KiB");
        assert!(grown < 64 << 10, "{case}: peak memory grew by {grown} KiB");
        return;
    }
    for case in ["sparse-50g", "text-4g", "plugin-7g"] {
        let out = run_in_child(HUGE_TEST, case);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains(&format!("child: {case} done")),
            "{case}: {:?}\n{stdout}\n{stderr}",
            out.status
        );
    }
}

/// A C binding of one function of the geometry library.
#[dynplug::plugin_interface(c_library)]
pub trait Length {
    fn geometry_version(&self) -> std::ffi::c_int;
}

/// The geometry library linked as `variant` by build.rs, if the linker
/// could make it, copied into `dir` with `patch` applied.
fn geometry(variant: &str, dir: &Path, patch: impl FnOnce(&mut Vec<u8>)) -> Option<PathBuf> {
    if variant.is_empty() {
        eprintln!("the linker cannot make this variant: nothing to check");
        return None;
    }
    let mut bytes = std::fs::read(variant).unwrap();
    patch(&mut bytes);
    let path = dir.join(format!(
        "lib{}.so",
        bytes.len() ^ bytes.iter().map(|&b| b as usize).sum::<usize>()
    ));
    std::fs::write(&path, bytes).unwrap();
    Some(path)
}

/// Dynamic tag `tag`'s value's file offset in `bytes`, and the file offset
/// of what it points to (first loadable segment at offset 0: C libraries).
fn c_tag(bytes: &[u8], tag: u64) -> (usize, usize) {
    let f = Fixture {
        bytes: bytes.to_vec(),
    };
    let (at, value) = f.tag(tag);
    (at, f.offset(value))
}

fn refused_c(path: &Path, why: &str) {
    match dynplug::inspect(path) {
        Err(Error::InvalidLibrary { reason, .. }) => assert!(reason.contains(why), "{reason}"),
        other => panic!("{}: {other:?}", path.display()),
    }
    // SAFETY: refused before the loader sees it.
    match unsafe { LengthLibrary::load(path) } {
        Err(Error::InvalidLibrary { reason, .. }) => assert!(reason.contains(why), "{reason}"),
        Err(other) => panic!("{}: {other:?}", path.display()),
        Ok(_) => panic!("{}: loaded", path.display()),
    }
}

#[test]
fn a_library_with_a_sysv_hash_table_loads_and_its_table_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let variant = env!("DYNPLUG_GEOMETRY_SYSV_LIB");
    let Some(path) = geometry(variant, dir.path(), |_| {}) else {
        return;
    };
    // SAFETY: the declaration matches geometry.c.
    let lib = unsafe { LengthLibrary::load(&path) }.unwrap();
    assert_eq!(lib.geometry_version(), 2);

    let bytes = std::fs::read(variant).unwrap();
    let (_, hash) = c_tag(&bytes, 4);
    let (nbucket, nchain) = (u32_at(&bytes, hash) as usize, u32_at(&bytes, hash + 4));
    let p = geometry(variant, dir.path(), |b| put_u32(b, hash, 0)).unwrap();
    refused_c(&p, "hash table (DT_HASH) has no bucket");
    // A bucket past the symbols.
    let p = geometry(variant, dir.path(), |b| put_u32(b, hash + 8, nchain + 3)).unwrap();
    refused_c(&p, "past the symbol count");
    // A chain that loops: the first nonzero bucket's symbol chained to
    // itself.
    let first = (0..nbucket)
        .map(|i| u32_at(&bytes, hash + 8 + 4 * i))
        .find(|&s| s != 0)
        .expect("a nonempty bucket") as usize;
    let p = geometry(variant, dir.path(), |b| {
        put_u32(b, hash + 8 + 4 * nbucket + 4 * first, first as u32);
    })
    .unwrap();
    refused_c(&p, "has a chain that loops");
}

#[test]
fn a_library_with_packed_relative_relocations_loads_and_they_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let variant = env!("DYNPLUG_GEOMETRY_RELR_LIB");
    let Some(path) = geometry(variant, dir.path(), |_| {}) else {
        return;
    };
    // SAFETY: the declaration matches geometry.c.
    let lib = unsafe { LengthLibrary::load(&path) }.unwrap();
    assert_eq!(lib.geometry_version(), 2);

    let bytes = std::fs::read(variant).unwrap();
    let (_, relr) = c_tag(&bytes, 36);
    // The first entry made a bitmap: nothing before it says where.
    let p = geometry(variant, dir.path(), |b| {
        let e = u64_at(b, relr);
        put_u64(b, relr, e | 1);
    })
    .unwrap();
    refused_c(&p, "a bitmap with no address before it");
    // The first address moved to code.
    let p = geometry(variant, dir.path(), |b| put_u64(b, relr, 0x10)).unwrap();
    refused_c(&p, "outside every writable segment");
}
