//! Binding libm, a C library nobody here wrote, through a trait (on
//! Windows the C runtime, `msvcrt.dll`, which has the same functions).

use std::ffi::c_int;

use dynplug::Error;

#[dynplug::plugin_interface(c_library)]
pub trait Libm: Send + Sync {
    fn cos(&self, x: f64) -> f64;
    fn sqrt(&self, x: f64) -> f64;
    /// Splits `x` into a mantissa and a power of two.
    ///
    /// # Safety
    ///
    /// `exponent` must be valid for writing a `c_int`.
    unsafe fn frexp(&self, x: f64, exponent: *mut c_int) -> f64;
    #[symbol = "pow"]
    fn power(&self, x: f64, y: f64) -> f64;
    /// Not in libm: the default body runs.
    fn dynplug_no_such_function(&self, x: f64) -> f64 {
        -x
    }
}

fn libm() -> LibmLibrary {
    // SAFETY: the declarations above match libm's (C99, glibc).
    unsafe { LibmLibrary::load(dynplug_tests::libm()) }.unwrap()
}

#[test]
fn calls_reach_libm() {
    let m = libm();
    assert_eq!(m.cos(0.0), 1.0);
    assert!((m.cos(std::f64::consts::PI) + 1.0).abs() < 1e-12);
    assert_eq!(m.sqrt(2.25), 1.5);
    assert!(m.sqrt(-1.0).is_nan());
    assert_eq!(m.power(2.0, 10.0), 1024.0);
    let mut exponent: c_int = 0;
    // SAFETY: a valid pointer to a c_int.
    let mantissa = unsafe { m.frexp(48.0, &mut exponent) };
    assert_eq!((mantissa, exponent), (0.75, 6));
}

#[test]
fn an_optional_function_that_is_absent_runs_the_default() {
    let m = libm();
    assert!(!m.has_dynplug_no_such_function());
    assert_eq!(m.dynplug_no_such_function(2.0), -2.0);
}

#[test]
fn load_by_name_searches_the_system() {
    // SAFETY: as above.
    let name = dynplug_tests::libm_name();
    let m = unsafe { LibmLibrary::load_by_name(name) }.unwrap();
    assert_eq!(m.sqrt(16.0), 4.0);
    assert_eq!(m.path(), std::path::Path::new(name));
    // SAFETY: as above.
    let err = unsafe {
        LibmLibrary::load_by_names(
            &["libdynplug-nope.so.9", "libdynplug-nope.so"],
            &Default::default(),
        )
    }
    .unwrap_err();
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("`libdynplug-nope.so.9`: cannot open the library: ")
            && text.contains("; `libdynplug-nope.so`: cannot open the library: "),
        "both names tried, each with why: {text}"
    );
}

#[test]
fn load_by_names_goes_on_past_a_failing_path() {
    // A name, a path that does not exist, then the real library: the
    // search does not stop at the failing path.
    // SAFETY: as above.
    let m = unsafe {
        LibmLibrary::load_by_names(
            &[
                "libdynplug-nope.so.9",
                "plugins/nope/libm.so",
                dynplug_tests::libm_name(),
            ],
            &Default::default(),
        )
    }
    .expect("the third entry loads");
    assert_eq!(m.cos(0.0), 1.0);
    // And when every entry fails, each one's failure is listed, in order.
    // SAFETY: as above.
    let err = unsafe {
        LibmLibrary::load_by_names(
            &["libdynplug-nope.so.9", "plugins/nope/libm.so"],
            &Default::default(),
        )
    }
    .unwrap_err();
    let text = err.to_string();
    let first = text.find("`libdynplug-nope.so.9`").expect(&text);
    let second = text
        .find("`plugins/nope/libm.so`: cannot open the library: no such file")
        .expect(&text);
    assert!(first < second, "{text}");
}

#[dynplug::plugin_interface(c_library)]
pub trait Missing {
    fn cos(&self, x: f64) -> f64;
    fn dynplug_missing_one(&self);
    fn dynplug_missing_two(&self) -> i32;
}

#[test]
fn every_missing_function_is_listed() {
    // SAFETY: only `cos` exists, and nothing is called.
    let err = unsafe { MissingLibrary::load(dynplug_tests::libm()) }.unwrap_err();
    let Error::MissingSymbols {
        interface, missing, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(missing, &["dynplug_missing_one", "dynplug_missing_two"]);
    assert_eq!(interface, "Missing");
    assert!(
        err.to_string()
            .contains("`Missing` lacks 2 function(s): dynplug_missing_one, dynplug_missing_two"),
        "{err}"
    );
}

#[test]
fn a_bad_file_is_refused_before_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libfake.so");
    std::fs::write(&path, b"not a library").unwrap();
    // SAFETY: the file is refused before anything runs.
    let err = unsafe { LibmLibrary::load(&path) }.unwrap_err();
    assert!(matches!(err, Error::InvalidLibrary { .. }), "{err:?}");
}
