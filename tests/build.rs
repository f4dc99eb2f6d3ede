//! Builds the C library of `c/` into a shared library for the C-binding
//! tests (`tests/c_geometry.rs`), which find it through
//! `env!("DYNPLUG_GEOMETRY_LIB")`.
//!
//! `cc::Build` makes static libraries; it is used here only to find the C
//! compiler (and its flags) cargo's target wants, which then links a
//! shared one. GCC-like compilers only (gcc, clang, mingw-w64 gcc).

use std::path::PathBuf;

fn main() {
    let source = PathBuf::from("c/geometry.c");
    println!("cargo:rerun-if-changed=c/geometry.c");
    println!("cargo:rerun-if-changed=c/geometry.h");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let suffix = match os.as_str() {
        "macos" | "ios" => "dylib",
        "windows" => "dll",
        _ => "so",
    };
    let library = out_dir.join(format!("libgeometry.{suffix}"));
    let compiler = cc::Build::new()
        .try_get_compiler()
        .unwrap_or_else(|err| panic!("no C compiler for the geometry test library: {err}"));
    let mut command = compiler.to_command();
    command.args(["-shared", "-o"]).arg(&library).arg(&source);
    if os != "windows" {
        // Position-independent code and libm are the C runtime's own on
        // Windows (mingw-w64).
        command.arg("-fPIC").arg("-lm");
    }
    let status = command
        .status()
        .unwrap_or_else(|err| panic!("cannot run the C compiler ({command:?}): {err}"));
    assert!(
        status.success(),
        "the C compiler failed on {}: {command:?}",
        source.display()
    );
    println!("cargo:rustc-env=DYNPLUG_GEOMETRY_LIB={}", library.display());

    // The target triple, for a test that builds a fixture itself
    // (`tests/panics.rs`): cargo puts a cross-built one in a folder of that
    // name.
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    println!("cargo:rustc-env=DYNPLUG_TESTS_TARGET={target}");

    // Variants for the pre-flight tests (`tests/preflight_structure.rs`),
    // on ELF linkers only: a SysV hash table instead of a GNU one, and
    // packed relative relocations (`DT_RELR`, binutils 2.38 and later). A
    // variant the linker cannot make is left out (its variable is empty).
    for (name, flag) in [
        ("SYSV", "-Wl,--hash-style=sysv"),
        ("RELR", "-Wl,-z,pack-relative-relocs"),
    ] {
        let variant = out_dir.join(format!("libgeometry_{}.{suffix}", name.to_lowercase()));
        // A linker may also accept the flag and warn that it ignores it
        // (GNU ld 2.40 for aarch64 does so with packed relocations).
        let built = suffix == "so"
            && compiler
                .to_command()
                .args(["-shared", "-fPIC", flag, "-o"])
                .arg(&variant)
                .arg(&source)
                .arg("-lm")
                .output()
                .is_ok_and(|out| {
                    out.status.success()
                        && !String::from_utf8_lossy(&out.stderr).contains("ignored")
                });
        let value = if built {
            variant.display().to_string()
        } else {
            String::new()
        };
        println!("cargo:rustc-env=DYNPLUG_GEOMETRY_{name}_LIB={value}");
    }
}
