//! Binds the system's C maths library, libm, through a trait, and calls it.
//!
//! `cargo run -p dynplug-libm-example`
//!
//! A C library carries no description of its functions, so the trait below
//! *is* the description: dynplug resolves every function it names when the
//! library is loaded (all missing ones reported at once) and calls them
//! with the C ABI. Whether the signatures are right is what the `unsafe`
//! around loading promises.

use std::ffi::c_int;
use std::process::ExitCode;

/// The part of libm (C99, `<math.h>`) this program uses.
#[dynplug::plugin_interface(c_library)]
pub trait Libm: Send + Sync {
    /// `double cos(double)`.
    fn cos(&self, x: f64) -> f64;
    /// `double sqrt(double)`.
    fn sqrt(&self, x: f64) -> f64;
    /// `double pow(double, double)`, under a Rust name.
    #[symbol = "pow"]
    fn power(&self, x: f64, y: f64) -> f64;
    /// `double frexp(double, int *)`: `x` as a mantissa in [0.5, 1) times a
    /// power of two, written to `*exponent`.
    ///
    /// # Safety
    ///
    /// `exponent` must be valid for writing a `c_int`.
    unsafe fn frexp(&self, x: f64, exponent: *mut c_int) -> f64;
    /// `double exp10(double)`: a GNU extension, not C99, so absent from
    /// some C libraries (macOS's). Optional: when the library lacks it,
    /// this default body runs instead.
    fn exp10(&self, x: f64) -> f64 {
        10f64.powf(x)
    }
}

/// Finds libm by the names the dynamic loader knows it by.
fn load() -> Result<LibmLibrary, dynplug::Error> {
    // SAFETY: every function the trait names has, in libm, the signature
    // the trait gives it (C99 <math.h>; `exp10` as glibc declares it), and
    // the safe methods (all but `frexp`) are sound for any `f64`s. libm's
    // initialisers are the C library's own.
    unsafe { LibmLibrary::load_by_name("libm.so.6") }.or_else(|_| {
        // SAFETY: as above, for whichever of these files the loader finds.
        unsafe {
            LibmLibrary::load_by_names(
                &["libm.so.6", "libm.so", "libm.dylib"],
                &dynplug::LoadOptions::new(),
            )
        }
    })
}

fn main() -> ExitCode {
    let m = match load() {
        Ok(m) => m,
        Err(err) => {
            eprintln!("error: {err}");
            if let Some(source) = std::error::Error::source(&err) {
                eprintln!("caused by: {source}");
            }
            return ExitCode::FAILURE;
        }
    };
    println!("loaded {}", m.path().display());
    println!("cos(pi)      = {}", m.cos(std::f64::consts::PI));
    println!("sqrt(2)      = {}", m.sqrt(2.0));
    println!("pow(2, 10)   = {}", m.power(2.0, 10.0));
    let mut exponent: c_int = 0;
    // SAFETY: `exponent` is a live local `c_int`.
    let mantissa = unsafe { m.frexp(48.0, &mut exponent) };
    println!("frexp(48)    = {mantissa} * 2^{exponent}");
    let origin = if m.has_exp10() {
        "libm's"
    } else {
        "the trait's default body"
    };
    println!("exp10(3)     = {} ({origin})", m.exp10(3.0));
    ExitCode::SUCCESS
}
