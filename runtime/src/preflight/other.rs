//! Pre-flight of Mach-O and PE libraries, with the `object` crate reading
//! the open file through a read cache: only the headers, load commands and
//! export tables it parses are read, never the whole file.
//!
//! What is checked: the architecture, word size, byte order and kind (a
//! dynamic library), every segment's file bytes inside the file (for PE,
//! every section's raw bytes, as the Windows loader maps them), and the
//! exported names. The structural checks of the ELF validator (`elf`) have
//! no counterpart here yet.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

use object::{Object, ObjectKind, ObjectSegment, ReadCache, ReadRef};

use super::{
    FileInterface, FileReport, MAX_RECORD, META_PREFIX, PACKAGE_PREFIX, SymbolSet, platform,
};
use crate::Error;
use crate::meta::{self, HEADER_LEN, MetaError};

/// Checks the file open as `file` (`len` bytes, of this platform's kind)
/// and reads its interfaces.
pub(super) fn check(path: &Path, file: &File, len: u64) -> Result<FileReport, Error> {
    let invalid = |reason: String| Error::InvalidLibrary {
        path: path.to_path_buf(),
        reason,
    };
    let cache = ReadCache::new(file);
    let object = object::File::parse(&cache)
        .map_err(|e| invalid(format!("it is a malformed {}: {e}", platform::FORMAT_NAME)))?;
    check_object(&object, len).map_err(invalid)?;
    let (interfaces, symbols, exports) = interfaces(&object, &cache).map_err(invalid)?;
    Ok(FileReport {
        interfaces,
        symbols,
        table_sizes: Default::default(),
        exports,
    })
}

/// Architecture, word size, byte order, type, and every segment inside
/// the file.
fn check_object<'a, R: ReadRef<'a>>(object: &object::File<'a, R>, len: u64) -> Result<(), String> {
    let arch = object.architecture();
    if arch != platform::ARCH {
        return Err(format!(
            "it is built for {}, and this process runs on {}",
            format!("{arch:?}").to_lowercase(),
            format!("{:?}", platform::ARCH).to_lowercase()
        ));
    }
    if object.is_64() != cfg!(target_pointer_width = "64") {
        return Err("its word size differs from this process's".to_owned());
    }
    if object.is_little_endian() != cfg!(target_endian = "little") {
        return Err("its byte order differs from this process's".to_owned());
    }
    match object.kind() {
        ObjectKind::Dynamic => {}
        ObjectKind::Executable => {
            return Err("it is an executable, not a shared library".to_owned());
        }
        _ => return Err("it is not a shared library".to_owned()),
    }
    let mut segments = 0;
    for segment in object.segments() {
        segments += 1;
        let (offset, size) = segment.file_range();
        if offset.checked_add(size).is_none_or(|end| end > len) {
            return Err(format!(
                "a segment (file offset {offset:#x}, {size} bytes) runs past the end of the file \
                 ({len} bytes): the file is truncated"
            ));
        }
    }
    if segments == 0 {
        return Err("it has no segment".to_owned());
    }
    pe_sections_inside(object, len)
}

/// In a PE file, every section's raw bytes inside the file: the Windows
/// loader maps `SizeOfRawData` bytes of each (which `object`'s segment
/// ranges cut to the section's size in memory).
fn pe_sections_inside<'a, R: ReadRef<'a>>(
    object: &object::File<'a, R>,
    len: u64,
) -> Result<(), String> {
    use object::LittleEndian as LE;
    let table = match object {
        object::File::Pe32(file) => file.section_table(),
        object::File::Pe64(file) => file.section_table(),
        _ => return Ok(()),
    };
    for (index, section) in table.iter().enumerate() {
        let offset = u64::from(section.pointer_to_raw_data.get(LE));
        let size = u64::from(section.size_of_raw_data.get(LE));
        if size > 0 && offset + size > len {
            let name = String::from_utf8_lossy(section.raw_name());
            let name = name.trim_end_matches('\0');
            return Err(format!(
                "section {} (`{name}`, file offset {offset:#x}, {size} bytes) runs past the \
                 end of the file ({len} bytes): the file is truncated",
                index + 1
            ));
        }
    }
    Ok(())
}

/// Every exported metadata record, the exported dynplug symbols, and every
/// exported name.
#[allow(clippy::type_complexity, reason = "private, used once")]
fn interfaces<'a, R: ReadRef<'a>>(
    object: &object::File<'a, R>,
    data: R,
) -> Result<(Vec<FileInterface>, SymbolSet, HashSet<String>), String> {
    let exports = object
        .exports()
        .map_err(|e| format!("its export table cannot be read: {e}"))?;
    let mut found = Vec::new();
    let mut symbols = SymbolSet::default();
    let mut names = HashSet::new();
    let mut packages = Vec::new();
    for export in exports {
        let export = export.map_err(|e| format!("its export table cannot be read: {e}"))?;
        let object::NameOrOrdinal::Name(name) = export.name() else {
            continue;
        };
        let name = name
            .strip_prefix(platform::SYMBOL_PREFIX.as_bytes())
            .unwrap_or(name);
        let at_address = matches!(export.target(), object::ExportTarget::Address { .. });
        if let Ok(text) = std::str::from_utf8(name) {
            if name.starts_with(b"__dynplug_") {
                if at_address {
                    symbols.insert(text.to_owned());
                }
            } else {
                names.insert(text.to_owned());
            }
        }
        let read = || match export.target() {
            object::ExportTarget::Address { address } => read_record(object, data, address),
            _ => Err(MetaError::Malformed("the record's symbol has no address")),
        };
        if let Some(interface) = name.strip_prefix(PACKAGE_PREFIX.as_bytes()) {
            packages.push((String::from_utf8_lossy(interface).into_owned(), read()));
        }
        let Some(id) = name.strip_prefix(META_PREFIX.as_bytes()) else {
            continue;
        };
        let id = String::from_utf8_lossy(id);
        let (interface, export_name) = super::split_export(&id);
        found.push(FileInterface {
            name: interface.to_owned(),
            export: export_name.map(str::to_owned),
            record: read(),
            package: None,
        });
    }
    super::attach_packages(&mut found, packages);
    Ok((found, symbols, names))
}

/// Reads the record at virtual `address`, never past its segment's bytes
/// in the file.
fn read_record<'a, R: ReadRef<'a>>(
    object: &object::File<'a, R>,
    data: R,
    address: u64,
) -> Result<Vec<u8>, MetaError> {
    let (offset, available) = object
        .segments()
        .find_map(|segment| {
            let within = address.checked_sub(segment.address())?;
            let (file_offset, file_size) = segment.file_range();
            (within < file_size).then(|| (file_offset + within, file_size - within))
        })
        .ok_or(MetaError::Malformed(
            "the record is not in the file's segments",
        ))?;
    let header = data
        .read_bytes_at(offset, HEADER_LEN.min(available as usize) as u64)
        .map_err(|()| MetaError::Malformed("the record cannot be read"))?;
    let (total, _) = meta::read_header(header)?;
    if total > MAX_RECORD || total as u64 > available {
        return Err(MetaError::Malformed("the record runs past its segment"));
    }
    let bytes = data
        .read_bytes_at(offset, total as u64)
        .map_err(|()| MetaError::Malformed("the record cannot be read"))?;
    Ok(bytes.to_vec())
}
