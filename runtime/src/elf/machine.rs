//! What this machine's dynamic loader knows: its `e_machine`, and the
//! relocation types it applies to a shared library (x86-64, AArch64 and
//! RISC-V lists; on other machines types are not checked).

/// This machine's `e_machine`.
pub(crate) const MACHINE: u16 = if cfg!(target_arch = "x86_64") {
    62
} else if cfg!(target_arch = "aarch64") {
    183
} else if cfg!(target_arch = "riscv64") {
    243
} else if cfg!(target_arch = "loongarch64") {
    258
} else if cfg!(target_arch = "powerpc64") {
    21
} else if cfg!(target_arch = "s390x") {
    22
} else if cfg!(target_arch = "sparc64") {
    43
} else if cfg!(target_arch = "mips64") {
    8
} else {
    0
};

pub(crate) fn machine_name(machine: u16) -> String {
    match machine {
        3 => "x86".to_owned(),
        8 => "mips".to_owned(),
        20 => "powerpc".to_owned(),
        21 => "powerpc64".to_owned(),
        22 => "s390x".to_owned(),
        40 => "arm".to_owned(),
        43 => "sparc64".to_owned(),
        62 => "x86_64".to_owned(),
        183 => "aarch64".to_owned(),
        243 => "riscv".to_owned(),
        258 => "loongarch".to_owned(),
        other => format!("machine {other}"),
    }
}

/// What a relocation type does, for the checks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Writes nothing.
    None,
    /// Writes the load address plus the addend.
    Relative,
    /// Calls the resolver at the load address plus the addend.
    Irelative,
    /// Writes a symbol's address plus the addend (word-sized).
    Absolute,
    /// Another known type writing this many bytes.
    Other(u64),
    /// A known type of the global offset table (a symbol's address, a TLS
    /// offset or descriptor), writing this many word-aligned bytes.
    Got(u64),
    /// A copy relocation.
    Copy,
}

/// The machine's relative relocation type, where `kind` knows one.
pub(crate) const RELATIVE: Option<u32> = match MACHINE {
    62 => Some(8),
    183 => Some(1027),
    243 => Some(3),
    _ => None,
};

/// The machine's relocation types the loader applies.
pub(crate) fn kind(kind: u32) -> Option<Kind> {
    let known = match (MACHINE, kind) {
        (_, 0) => Kind::None,
        // x86-64.
        (62, 8) => Kind::Relative,
        (62, 37) => Kind::Irelative,
        (62, 1) => Kind::Absolute,
        (62, 5) => Kind::Copy,
        // PC32 and the SIZE types are not dynamic relocations of a shared
        // library without text relocations (refused): a GLOB_DAT whose type
        // was damaged into one writes half a pointer.
        (62, 6 | 7 | 16 | 17 | 18) => Kind::Got(8),
        (62, 36) => Kind::Got(16),
        // AArch64.
        (183, 1027) => Kind::Relative,
        (183, 1032) => Kind::Irelative,
        (183, 257) => Kind::Absolute,
        (183, 1024) => Kind::Copy,
        (183, 1025 | 1026 | 1028 | 1029 | 1030) => Kind::Got(8),
        (183, 1031) => Kind::Got(16),
        // RISC-V.
        (243, 3) => Kind::Relative,
        (243, 58) => Kind::Irelative,
        (243, 2) => Kind::Absolute,
        (243, 4) => Kind::Copy,
        (243, 5 | 7 | 9 | 11) => Kind::Got(8),
        (243, 12) => Kind::Got(16),
        (62 | 183 | 243, _) => return None,
        // Other machines: types unchecked, a word written.
        _ => Kind::Other(8),
    };
    Some(known)
}

/// For a relocation type that can fill a function pointer: `Some(true)`
/// if it writes the load address plus the addend (relative), `Some(false)`
/// if a symbol's address plus the addend (absolute); `None` for others.
pub(crate) fn function_address(number: u32) -> Option<bool> {
    match kind(number)? {
        Kind::Relative => Some(true),
        Kind::Absolute => Some(false),
        _ => None,
    }
}

/// Whether relocation type `kind` fills a slot with a symbol's address
/// (`GLOB_DAT`, `JUMP_SLOT`): one naming symbol 0 is damaged.
pub(crate) fn is_slot(kind: u32) -> bool {
    matches!((MACHINE, kind), (62, 6 | 7) | (183, 1025 | 1026) | (243, 5))
}

/// Whether relocation type `kind` writes a TLS module id (`DTPMOD`): the
/// first word of a general-dynamic pair in the offset table, whose second
/// word holds the variable's offset in the module's block, written by a
/// `DTPOFF` relocation or by the linker.
pub(crate) fn is_tls_module(kind: u32) -> bool {
    matches!((MACHINE, kind), (62, 16) | (183, 1028) | (243, 7))
}

/// Whether relocation type `kind` writes a TLS offset in a module's block
/// (`DTPOFF`): the second word of a general-dynamic pair.
pub(crate) fn is_tls_offset(kind: u32) -> bool {
    matches!((MACHINE, kind), (62, 17) | (183, 1029) | (243, 9))
}
