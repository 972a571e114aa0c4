//! The C++ example library (`csrc/cpp_lib32.cpp`, the original tool's `cpp_lib32`)
//! declared with `foreign!`: every export, its structs laid out with `CStruct`.

use loadlib::CStruct;

/// `struct Point { double x; double y; }`
#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct Point {
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
}

/// `struct FourPoints { Point points[4]; }`, passed by value.
#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct FourPoints {
    /// The points.
    pub points: [Point; 4],
}

/// `struct NPoints { int n; Point *points; }`: the points are placed next to the call and
/// the library gets a pointer to them.
#[derive(CStruct)]
#[repr(C)]
pub struct NPoints<'a> {
    /// How many points.
    pub n: i32,
    /// The points.
    pub points: &'a [Point],
}

loadlib::foreign! {
    /// The C++ library's exports (`extern "C"`), as `cpp_lib32.cpp` defines them.
    pub struct CppLib: extern "C" {
        /// `a + b`.
        fn add(a: i32, b: i32) -> i32;
        /// `a - b`.
        fn subtract(a: f32, b: f32) -> f32;
        /// `a + b` or `a - b`.
        fn add_or_subtract(a: f64, b: f64, do_addition: bool) -> f64;
        /// `xout[i] = a * xin[i]`: both arrays hold at least `n` values (checked).
        fn scalar_multiply(a: f64, #[len(n)] xin: *const f64, n: i32, #[out] #[len(n)] xout: *mut f64);
        /// The first `n` chars of `original`, reversed, into the first `n` of `reversed`
        /// (no NUL).
        fn reverse_string_v1(#[len(n)] original: *const c_char, n: i32, #[out] #[len(n)] reversed: *mut c_char);
        /// `n` chars the library allocates (and never frees), copied back.
        #[returns_len(n)]
        fn reverse_string_v2(#[len(n)] original: *const c_char, n: i32) -> *mut c_char;
        /// The perimeter through four points, passed by value.
        fn distance_4_points(p: FourPoints) -> f64;
        /// The perimeter through `p.n` points.
        fn distance_n_points(p: NPoints) -> f64;
    }
}
