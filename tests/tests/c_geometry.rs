//! Binding a C library built from `c/geometry.c` by `build.rs`: structs by
//! value and by pointer, structs returned by value, a callback with a
//! context pointer, optional functions present and absent.

use std::ffi::{c_int, c_void};
use std::path::Path;

use dynplug::Error;

#[derive(dynplug::CType, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Vec2 {
    pub x: f64,
    pub y: f64,
}

/// A `CType` made of `CType`s.
#[derive(dynplug::CType, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Rect {
    pub min: Vec2,
    pub max: Vec2,
}

/// A callback as C declares it: `int (*)(int, void *)`.
pub type Callback = extern "C" fn(c_int, *mut c_void) -> c_int;

#[dynplug::plugin_interface(c_library)]
pub trait Geometry: Send + Sync {
    fn vec2_length(&self, v: Vec2) -> f64;
    /// Multiplies `*v` by `k`.
    ///
    /// # Safety
    ///
    /// `v` must be valid for reading and writing a `Vec2`.
    unsafe fn vec2_scale(&self, v: *mut Vec2, k: f64);
    #[symbol = "vec2_add"]
    fn add(&self, a: Vec2, b: Vec2) -> Vec2;
    fn rect_around(&self, center: Vec2, half: f64) -> Rect;
    /// The area of `*r`, or -1 if `r` is null.
    ///
    /// # Safety
    ///
    /// `r` must be null or valid for reading a `Rect`.
    unsafe fn rect_area(&self, r: *const Rect) -> f64;
    /// Returns `f(f(x, ctx), ctx)`.
    ///
    /// # Safety
    ///
    /// `f` must be sound to call with `ctx`.
    unsafe fn apply_twice(&self, f: Callback, ctx: *mut c_void, x: c_int) -> c_int;
    /// `f(x, ctx)`, or `fallback` without `f`: a nullable callback, named by
    /// its alias (which the macro cannot see through: the compiler checks
    /// it).
    ///
    /// # Safety
    ///
    /// `f`, if given, must be sound to call with `ctx`.
    unsafe fn apply_or(
        &self,
        f: Option<Callback>,
        ctx: *mut c_void,
        x: c_int,
        fallback: c_int,
    ) -> c_int;
    /// In the library: the default body must not run.
    fn geometry_version(&self) -> c_int {
        0
    }
    /// Not in the library: the default body runs.
    fn vec2_dot(&self, a: Vec2, b: Vec2) -> f64 {
        a.x * b.x + a.y * b.y
    }
}

fn library_path() -> &'static Path {
    Path::new(env!("DYNPLUG_GEOMETRY_LIB"))
}

fn geometry() -> GeometryLibrary {
    // SAFETY: the declarations above are those of c/geometry.h, and the
    // safe ones may be called with any arguments.
    unsafe { GeometryLibrary::load(library_path()) }.unwrap()
}

#[test]
fn structs_by_value_and_by_pointer() {
    let g = geometry();
    assert_eq!(g.path(), library_path());
    assert_eq!(g.vec2_length(Vec2 { x: 3.0, y: 4.0 }), 5.0);
    assert_eq!(g.vec2_length(Vec2 { x: -5.0, y: 12.0 }), 13.0);
    let mut v = Vec2 { x: 1.5, y: -2.0 };
    // SAFETY: `v` is a live local.
    unsafe { g.vec2_scale(&mut v, 4.0) };
    assert_eq!(v, Vec2 { x: 6.0, y: -8.0 });
}

#[test]
fn structs_returned_by_value() {
    let g = geometry();
    let sum = g.add(Vec2 { x: 1.0, y: 2.0 }, Vec2 { x: 10.0, y: 20.0 });
    assert_eq!(sum, Vec2 { x: 11.0, y: 22.0 });
    let rect = g.rect_around(Vec2 { x: 1.0, y: -1.0 }, 0.5);
    assert_eq!(
        rect,
        Rect {
            min: Vec2 { x: 0.5, y: -1.5 },
            max: Vec2 { x: 1.5, y: -0.5 },
        }
    );
    // SAFETY: a live local, then null, which the function accepts.
    let (area, none) = unsafe { (g.rect_area(&rect), g.rect_area(std::ptr::null())) };
    assert_eq!(area, 1.0);
    assert_eq!(none, -1.0);
}

/// What the callback's context points to.
struct Counter {
    calls: u32,
    seen: Vec<c_int>,
}

/// Records `x` in the `Counter` that `ctx` points to and returns `3x + 1`.
extern "C" fn record_and_step(x: c_int, ctx: *mut c_void) -> c_int {
    // SAFETY: only ever called by `apply_twice` below, with the context
    // pointer the test gave it: a live, unaliased `Counter`.
    let counter = unsafe { &mut *ctx.cast::<Counter>() };
    counter.calls += 1;
    counter.seen.push(x);
    3 * x + 1
}

#[test]
fn a_callback_with_a_context_pointer() {
    let g = geometry();
    let mut counter = Counter {
        calls: 0,
        seen: Vec::new(),
    };
    let ctx: *mut Counter = &mut counter;
    // SAFETY: `record_and_step` expects a `Counter`, which `ctx` points to
    // for the whole call.
    let result = unsafe { g.apply_twice(record_and_step, ctx.cast(), 2) };
    assert_eq!(result, 22);
    assert_eq!(counter.calls, 2);
    assert_eq!(counter.seen, [2, 7]);
}

#[test]
fn an_optional_callback_named_by_an_alias() {
    let g = geometry();
    let mut counter = Counter {
        calls: 0,
        seen: Vec::new(),
    };
    let ctx: *mut Counter = &mut counter;
    // SAFETY: as in `a_callback_with_a_context_pointer`; without a function
    // the context is not used.
    unsafe {
        assert_eq!(g.apply_or(Some(record_and_step), ctx.cast(), 5, -1), 16);
        assert_eq!(g.apply_or(None, ctx.cast(), 5, -1), -1);
    }
    assert_eq!(counter.seen, [5]);
}

#[test]
fn optional_functions() {
    let g = geometry();
    assert!(g.has_geometry_version());
    assert_eq!(g.geometry_version(), 2, "the library's, not the default");
    assert!(!g.has_vec2_dot());
    let dot = g.vec2_dot(Vec2 { x: 1.0, y: 2.0 }, Vec2 { x: 3.0, y: 4.0 });
    assert_eq!(dot, 11.0, "the default body");
}

#[dynplug::plugin_interface(c_library)]
pub trait GeometryTomorrow {
    fn vec2_length(&self, v: Vec2) -> f64;
    fn vec2_cross(&self, a: Vec2, b: Vec2) -> f64;
    fn vec2_rotate(&self, v: Vec2, radians: f64) -> Vec2;
    /// Absent too, but optional: not listed.
    fn vec2_normalize(&self, v: Vec2) -> Vec2 {
        v
    }
}

#[test]
fn every_missing_function_is_listed() {
    // SAFETY: nothing is called; loading fails.
    let err = unsafe { GeometryTomorrowLibrary::load(library_path()) }.unwrap_err();
    let Error::MissingSymbols { path, missing, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(path, library_path());
    assert_eq!(missing, &["vec2_cross", "vec2_rotate"]);
    let message = err.to_string();
    assert!(
        message.contains("vec2_cross") && message.contains("vec2_rotate"),
        "{message}"
    );
}

/// `libgeometry` links libm, but does not define `cos` itself.
#[dynplug::plugin_interface(c_library)]
pub trait NotFromDependencies {
    fn vec2_length(&self, v: Vec2) -> f64;
    /// libm's, not the library's: must count as absent.
    fn cos(&self, x: f64) -> f64 {
        x
    }
}

#[test]
fn functions_of_the_librarys_dependencies_are_not_its_own() {
    // SAFETY: `vec2_length` is declared as geometry.c defines it; `cos` is
    // not called through the library.
    let lib = unsafe { NotFromDependenciesLibrary::load(library_path()) }.unwrap();
    assert!(
        !lib.has_cos(),
        "dlsym would find libm's cos through the dependency"
    );
    assert_eq!(lib.cos(0.5), 0.5, "the default body ran");
}
