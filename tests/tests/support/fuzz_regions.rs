//! Where, in a real plugin file, lie the structures that the dynamic
//! loader and dynplug's pre-flight interpret, found at test time through the
//! file's own ELF, program and section headers (with `object`), and a name
//! for the field at any byte of them (`phdr[3].p_filesz`).
//!
//! Only structure is listed: code, data, relocation addends and the code
//! addresses `DT_INIT` and `DT_FINI` are left out, because no structural
//! check can tell a flipped bit there from the original (see
//! docs/RELIABILITY.md).

use std::ops::Range;

use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSection, ObjectSegment, ObjectSymbol};

/// The prefix of a dynplug record's symbol (`__dynplug_meta__Greeter`).
const RECORD_PREFIX: &str = "__dynplug_meta__";

/// One structural region of the file: the bytes a mutant may flip there,
/// and how to name the field at a byte.
pub struct Region {
    /// A short, stable name (a key of the summary and of docs/RELIABILITY.md).
    pub name: &'static str,
    /// The file ranges whose bits are flipped.
    pub ranges: Vec<Range<usize>>,
    layout: Layout,
}

/// How a region's bytes are laid out, to name a field.
enum Layout {
    /// Plain bytes (a string table, a hash table, the record).
    Bytes { start: usize },
    /// A table of fixed-size entries starting at `start`.
    Table {
        start: usize,
        entry: usize,
        what: &'static str,
        fields: &'static [(usize, &'static str)],
    },
}

const EHDR: &[(usize, &str)] = &[
    (0, "e_ident[EI_MAG]"),
    (4, "e_ident[EI_CLASS]"),
    (5, "e_ident[EI_DATA]"),
    (6, "e_ident[EI_VERSION]"),
    (7, "e_ident[EI_OSABI]"),
    (8, "e_ident[EI_ABIVERSION]"),
    (9, "e_ident[EI_PAD]"),
    (16, "e_type"),
    (18, "e_machine"),
    (20, "e_version"),
    (24, "e_entry"),
    (32, "e_phoff"),
    (40, "e_shoff"),
    (48, "e_flags"),
    (52, "e_ehsize"),
    (54, "e_phentsize"),
    (56, "e_phnum"),
    (58, "e_shentsize"),
    (60, "e_shnum"),
    (62, "e_shstrndx"),
];
const PHDR: &[(usize, &str)] = &[
    (0, "p_type"),
    (4, "p_flags"),
    (8, "p_offset"),
    (16, "p_vaddr"),
    (24, "p_paddr"),
    (32, "p_filesz"),
    (40, "p_memsz"),
    (48, "p_align"),
];
const SHDR: &[(usize, &str)] = &[
    (0, "sh_name"),
    (4, "sh_type"),
    (8, "sh_flags"),
    (16, "sh_addr"),
    (24, "sh_offset"),
    (32, "sh_size"),
    (40, "sh_link"),
    (44, "sh_info"),
    (48, "sh_addralign"),
    (56, "sh_entsize"),
];
const DYN: &[(usize, &str)] = &[(0, "d_tag"), (8, "d_val")];
const SYM: &[(usize, &str)] = &[
    (0, "st_name"),
    (4, "st_info"),
    (5, "st_other"),
    (6, "st_shndx"),
    (8, "st_value"),
    (16, "st_size"),
];
const RELA: &[(usize, &str)] = &[(0, "r_offset"), (8, "r_info"), (16, "r_addend")];

impl Region {
    fn bytes(name: &'static str, range: Range<usize>) -> Region {
        Region {
            name,
            layout: Layout::Bytes { start: range.start },
            ranges: vec![range],
        }
    }

    fn table(
        name: &'static str,
        range: Range<usize>,
        entry: usize,
        what: &'static str,
        fields: &'static [(usize, &'static str)],
    ) -> Region {
        Region {
            name,
            layout: Layout::Table {
                start: range.start,
                entry,
                what,
                fields,
            },
            ranges: vec![range],
        }
    }

    /// How many bytes a mutant may flip here.
    pub fn len(&self) -> usize {
        self.ranges.iter().map(|r| r.len()).sum()
    }

    /// The `n`th byte (`n < len()`) of the region, as a file offset.
    pub fn nth_byte(&self, mut n: usize) -> usize {
        for range in &self.ranges {
            if n < range.len() {
                return range.start + n;
            }
            n -= range.len();
        }
        panic!("byte {n} past the region {}", self.name)
    }

    /// The field at file offset `at`: `phdr[3].p_filesz+2`,
    /// `.dynamic[5].d_val (tag 0x5)`, `.dynstr+0x1f`.
    pub fn field(&self, bytes: &[u8], at: usize) -> String {
        match self.layout {
            Layout::Bytes { start } => format!("{}+{:#x}", self.name, at - start),
            Layout::Table {
                start,
                entry,
                what,
                fields,
            } => {
                let index = (at - start) / entry;
                let within = (at - start) % entry;
                let (field_start, field) = fields
                    .iter()
                    .rev()
                    .find(|(offset, _)| *offset <= within)
                    .copied()
                    .unwrap_or((0, "?"));
                let mut text = format!("{what}[{index}].{field}");
                if within > field_start {
                    text += &format!("+{}", within - field_start);
                }
                if what == ".dynamic" {
                    let tag = u64_at(bytes, start + index * entry);
                    text += &format!(" (tag {tag:#x})");
                }
                if what == ".rela.dyn" || what == ".rela.plt" {
                    let info = u64_at(bytes, start + index * entry + 8);
                    text += &format!(" (type {}, symbol {})", info & 0xffff_ffff, info >> 32);
                }
                text
            }
        }
    }
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap()))
}

/// The bytes of the dynamic section at `range` less the values of
/// `DT_INIT` and `DT_FINI`: those are code addresses, of whichever function
/// the library names (`ld -init=...`), as free as the function pointers in
/// `.init_array`, so no structure check can tell a flipped one. Their tags
/// stay in.
fn dynamic_without_code_addresses(bytes: &[u8], range: Range<usize>) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut from = range.start;
    for entry in range.clone().step_by(16) {
        let tag = u64_at(bytes, entry);
        // DT_INIT and DT_FINI (the ELF gABI's numbers).
        if tag == 12 || tag == 13 {
            ranges.push(from..entry + 8);
            from = entry + 16;
        }
    }
    ranges.push(from..range.end);
    ranges.retain(|r| !r.is_empty());
    ranges
}

/// The file range of section `name`, if the file has it with file bytes.
fn section(file: &ElfFile64<'_, Endianness>, name: &str) -> Option<Range<usize>> {
    let (offset, size) = file.section_by_name(name)?.file_range()?;
    (size > 0).then_some(offset as usize..(offset + size) as usize)
}

/// The file range of the record a dynplug symbol (`__dynplug_meta__*`)
/// points at, through the loadable segment that holds its address.
fn record(file: &ElfFile64<'_, Endianness>) -> Range<usize> {
    let symbol = file
        .dynamic_symbols()
        .find(|s| s.name().is_ok_and(|n| n.starts_with(RECORD_PREFIX)))
        .expect("the fixture exports a dynplug record");
    let offset = file
        .segments()
        .find_map(|segment| {
            let within = symbol.address().checked_sub(segment.address())?;
            let (offset, size) = segment.file_range();
            (within < size).then_some(offset + within)
        })
        .expect("the record lies in a segment's file bytes") as usize;
    offset..offset + symbol.size() as usize
}

/// Every structural region of the ELF file `bytes`, in a fixed order.
///
/// Panics if the file lacks one that every plugin has (the program and
/// section headers, `.dynamic`, `.dynsym`, `.dynstr`, a hash table, the
/// record); regions a plugin may lack (`.hash`, `.rela.plt`, version
/// tables) are left out when absent.
pub fn regions(bytes: &[u8]) -> Vec<Region> {
    let file = ElfFile64::<Endianness>::parse(bytes).expect("the fixture is an ELF64 file");
    let endian = file.endian();
    let header = file.elf_header();
    let must = |name: &str| section(&file, name).unwrap_or_else(|| panic!("no {name} section"));

    let mut regions = vec![Region::table(
        "ELF header",
        0..header.e_ehsize(endian) as usize,
        64,
        "ehdr",
        EHDR,
    )];
    let phoff = header.e_phoff(endian) as usize;
    let phnum = file.elf_program_headers().len();
    regions.push(Region::table(
        "program headers",
        phoff..phoff + phnum * 56,
        56,
        "phdr",
        PHDR,
    ));
    let dynamic = file
        .elf_program_headers()
        .iter()
        .find(|p| p.p_type(endian) == object::elf::PT_DYNAMIC)
        .map(|p| p.p_offset(endian) as usize..(p.p_offset(endian) + p.p_filesz(endian)) as usize)
        .expect("PT_DYNAMIC");
    let mut dynamic = Region::table(".dynamic", dynamic, 16, ".dynamic", DYN);
    dynamic.ranges = dynamic_without_code_addresses(bytes, dynamic.ranges[0].clone());
    regions.push(dynamic);
    regions.push(Region::table(
        ".dynsym",
        must(".dynsym"),
        24,
        ".dynsym",
        SYM,
    ));
    regions.push(Region::bytes(".dynstr", must(".dynstr")));

    let hashes: Vec<_> = [".gnu.hash", ".hash"]
        .iter()
        .filter_map(|name| section(&file, name))
        .collect();
    assert!(!hashes.is_empty(), "no .gnu.hash or .hash section");
    regions.push(Region {
        name: "hash tables",
        layout: Layout::Bytes {
            start: hashes[0].start,
        },
        ranges: hashes,
    });

    for (name, what) in [
        ("relocations (.rela.dyn)", ".rela.dyn"),
        ("relocations (.rela.plt)", ".rela.plt"),
    ] {
        let Some(table) = section(&file, what) else {
            continue;
        };
        // r_offset and r_info of every entry; not r_addend, which is data.
        let ranges = table
            .clone()
            .step_by(24)
            .map(|entry| entry..entry + 16)
            .collect();
        regions.push(Region {
            name,
            ranges,
            layout: Layout::Table {
                start: table.start,
                entry: 24,
                what,
                fields: RELA,
            },
        });
    }

    let versions: Vec<_> = [".gnu.version", ".gnu.version_r", ".gnu.version_d"]
        .iter()
        .filter_map(|name| section(&file, name))
        .collect();
    if let Some(first) = versions.first() {
        regions.push(Region {
            name: "version tables",
            layout: Layout::Bytes { start: first.start },
            ranges: versions,
        });
    }

    regions.push(Region::bytes("dynplug record", record(&file)));

    let shoff = header.e_shoff(endian) as usize;
    let shnum = file.elf_section_table().len();
    regions.push(Region::table(
        "section headers",
        shoff..shoff + shnum * 64,
        64,
        "shdr",
        SHDR,
    ));
    for region in &regions {
        assert!(region.len() > 0, "region {} is empty", region.name);
        for range in &region.ranges {
            assert!(
                range.end <= bytes.len(),
                "region {} past the file",
                region.name
            );
        }
    }
    regions
}

/// File offsets where a cut is most telling: the start and end of every
/// section and segment with file bytes, and of every region.
pub fn boundaries(bytes: &[u8], regions: &[Region]) -> Vec<usize> {
    let file = ElfFile64::<Endianness>::parse(bytes).expect("the fixture is an ELF64 file");
    let mut cuts = Vec::new();
    for section in file.sections() {
        if let Some((offset, size)) = section.file_range() {
            cuts.extend([offset as usize, (offset + size) as usize]);
        }
    }
    for segment in file.segments() {
        let (offset, size) = segment.file_range();
        cuts.extend([offset as usize, (offset + size) as usize]);
    }
    for region in regions {
        for range in &region.ranges {
            cuts.extend([range.start, range.end]);
        }
    }
    cuts.retain(|&cut| cut <= bytes.len());
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// If flipping bit `bit` of the byte at `offset` of `bytes` (a 64-bit ELF
/// library) changes only the symbol index of a relocation, from one
/// imported function (or untyped import) to another: what it rebinds, in
/// words. Such a file is as well-formed as the original (a relocation may
/// name any symbol the library imports): a change of content, like a
/// flipped byte of code, which no structure check can refuse and a
/// signature does (docs/RELIABILITY.md).
pub fn rebinds_an_import(bytes: &[u8], offset: usize, bit: u8) -> Option<String> {
    use object::elf::{SHN_UNDEF, STT_FUNC, STT_NOTYPE};
    use object::read::elf::Sym;
    let file = ElfFile64::<Endianness>::parse(bytes).ok()?;
    let endian = file.endian();
    let table = [".rela.dyn", ".rela.plt"]
        .into_iter()
        .filter_map(|name| section(&file, name))
        .find(|table| table.contains(&offset))?;
    let within = (offset - table.start) % 24;
    // The symbol index is the high half of `r_info` (bytes 12..16).
    if !(12..16).contains(&within) {
        return None;
    }
    let entry = offset - within;
    let info = u64::from_le_bytes(bytes[entry + 8..entry + 16].try_into().ok()?);
    let old = (info >> 32) as usize;
    let new = old ^ (1usize << (u32::from(bit) + 8 * (within as u32 - 12)));
    let symbols = file.elf_dynamic_symbol_table();
    let import = |index: usize| {
        let symbol = symbols.symbol(object::SymbolIndex(index)).ok()?;
        let kind = symbol.st_type();
        let imported = symbol.st_shndx(endian) == SHN_UNDEF
            && (kind == STT_FUNC || kind == STT_NOTYPE)
            && symbol.st_name(endian) != 0;
        let name = symbols.symbol_name(endian, symbol).ok()?;
        imported.then(|| String::from_utf8_lossy(name).into_owned())
    };
    let (from, to) = (import(old)?, import(new)?);
    Some(format!(
        "rebinds a relocation from the import `{from}` to the import `{to}`"
    ))
}
