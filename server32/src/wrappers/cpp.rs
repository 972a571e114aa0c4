//! `cpp`: the C++ example library `libcpp_lib32.so` (`csrc/cpp_lib32.cpp`): scalars,
//! arrays, strings (caller-allocated and library-allocated) and structs passed by value.

use std::ffi::{c_char, c_int};

use loadlib::server::{Kwargs, Library, Server32, ServerError};
use loadlib::ArrayRef;

/// `struct Point` of the library.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Point {
    x: f64,
    y: f64,
}

/// `struct FourPoints` of the library.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct FourPoints {
    points: [Point; 4],
}

/// `struct NPoints` of the library: a count and a pointer the caller owns.
#[repr(C)]
#[derive(Debug)]
struct NPoints {
    n: c_int,
    points: *mut Point,
}

/// Wraps `libcpp_lib32.so`, built by `build.rs` for the server's width.
pub struct Cpp {
    add: unsafe extern "C" fn(c_int, c_int) -> c_int,
    subtract: unsafe extern "C" fn(f32, f32) -> f32,
    add_or_subtract: unsafe extern "C" fn(f64, f64, bool) -> f64,
    scalar_multiply: unsafe extern "C" fn(f64, *const f64, c_int, *mut f64),
    reverse_string_v1: unsafe extern "C" fn(*const c_char, c_int, *mut c_char),
    reverse_string_v2: unsafe extern "C" fn(*mut c_char, c_int) -> *mut c_char,
    free_string: unsafe extern "C" fn(*mut c_char),
    distance_4_points: unsafe extern "C" fn(FourPoints) -> f64,
    distance_n_points: unsafe extern "C" fn(NPoints) -> f64,
    _lib: Library,
}

impl Server32 for Cpp {
    const NAME: &'static str = "cpp";
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError> {
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib = unsafe { Library::cdll(kwargs.get("lib").unwrap_or(env!("LOADLIB_CPP_LIB"))) }?;
        // SAFETY: each type below is the `extern "C"` signature in csrc/cpp_lib32.cpp,
        // and the structs are `#[repr(C)]` copies of the library's.
        unsafe {
            Ok(Cpp {
                add: lib.function(b"add")?,
                subtract: lib.function(b"subtract")?,
                add_or_subtract: lib.function(b"add_or_subtract")?,
                scalar_multiply: lib.function(b"scalar_multiply")?,
                reverse_string_v1: lib.function(b"reverse_string_v1")?,
                reverse_string_v2: lib.function(b"reverse_string_v2")?,
                free_string: lib.function(b"free_string")?,
                distance_4_points: lib.function(b"distance_4_points")?,
                distance_n_points: lib.function(b"distance_n_points")?,
                _lib: lib,
            })
        }
    }
}

/// A length as the library's `int`.
fn c_len(n: usize) -> Result<c_int, ServerError> {
    c_int::try_from(n)
        .map_err(|_| ServerError::value_error(format!("{n} elements exceed the C int length")))
}

/// The library reverses bytes, which only keeps a string valid when it is ASCII.
fn ascii(s: &str) -> Result<&str, ServerError> {
    if s.is_ascii() {
        Ok(s)
    } else {
        Err(ServerError::value_error(
            "the library reverses bytes: only ASCII text is supported",
        ))
    }
}

/// An `(n, 2)` array of `f64` (one `[x, y]` row per point) as `Point`s.
fn points(a: ArrayRef<'_>) -> Result<Vec<Point>, ServerError> {
    let xy = a.as_slice::<f64>().ok_or_else(|| {
        ServerError::type_error(format!(
            "expected an array of f64, got array<{}>",
            a.dtype()
        ))
    })?;
    match a.shape().dims() {
        [_, 2] => Ok(xy
            .chunks_exact(2)
            .map(|p| Point { x: p[0], y: p[1] })
            .collect()),
        dims => Err(ServerError::value_error(format!(
            "expected an (n, 2) array of points, got shape {dims:?}"
        ))),
    }
}

impl Cpp {
    /// The closed perimeter through `points`, computed by `distance_n_points`.
    fn perimeter(&self, points: &mut [Point]) -> Result<f64, ServerError> {
        let n = NPoints {
            n: c_len(points.len())?,
            points: points.as_mut_ptr(),
        };
        // SAFETY: `n.points` points to `n.n` valid `Point`s that outlive the call; the
        // library only reads them.
        Ok(unsafe { (self.distance_n_points)(n) })
    }
}

loadlib::methods! {
    impl Cpp {
        /// `a + b` (C `int`).
        fn add(&mut self, a: i32, b: i32) -> i32 {
            // SAFETY: plain integers.
            unsafe { (self.add)(a, b) }
        }

        /// `a - b` (C `float`).
        fn subtract(&mut self, a: f32, b: f32) -> f32 {
            // SAFETY: plain floats.
            unsafe { (self.subtract)(a, b) }
        }

        /// `a + b` if `do_addition`, else `a - b` (C `double`).
        fn add_or_subtract(&mut self, a: f64, b: f64, do_addition: bool) -> f64 {
            // SAFETY: plain scalars; Rust's `bool` is C++'s `bool`.
            unsafe { (self.add_or_subtract)(a, b, do_addition) }
        }

        /// `a * x`, element-wise; the library reads `x` in place in shared memory.
        fn scalar_multiply(&mut self, a: f64, x: &[f64]) -> Result<Vec<f64>, ServerError> {
            let n = c_len(x.len())?;
            let mut out = vec![0.0; x.len()];
            // SAFETY: `x` and `out` each hold `n` doubles.
            unsafe { (self.scalar_multiply)(a, x.as_ptr(), n, out.as_mut_ptr()) };
            Ok(out)
        }

        /// `s` reversed by the library into a buffer the wrapper allocates.
        fn reverse_string_v1(&mut self, s: &str) -> Result<String, ServerError> {
            let s = ascii(s)?;
            let n = c_len(s.len())?;
            let mut out = vec![0u8; s.len() + 1];
            // SAFETY: the library reads `n` bytes of `s` and writes `n + 1` bytes (the
            // reversed text and a NUL) into `out`, which has that many.
            unsafe { (self.reverse_string_v1)(s.as_ptr().cast(), n, out.as_mut_ptr().cast()) };
            out.pop();
            String::from_utf8(out).map_err(|e| ServerError::new("LibraryError", e.to_string()))
        }

        /// `s` reversed by the library into a buffer the library allocates (and the
        /// wrapper then releases with the library's `free_string`).
        fn reverse_string_v2(&mut self, s: &str) -> Result<String, ServerError> {
            let mut original = ascii(s)?.as_bytes().to_vec();
            let n = c_len(original.len())?;
            // SAFETY: the library reads `n` bytes of `original` (a `char*` it may not
            // keep) and returns a malloc'd buffer of `n + 1` bytes, or NULL.
            let p = unsafe { (self.reverse_string_v2)(original.as_mut_ptr().cast(), n) };
            if p.is_null() {
                return Err(ServerError::new("LibraryError", "reverse_string_v2 returned NULL"));
            }
            // SAFETY: `p` is non-NULL and holds `n` initialised bytes (see above).
            let bytes =
                unsafe { std::slice::from_raw_parts(p.cast::<u8>(), original.len()) }.to_vec();
            // SAFETY: `p` came from `reverse_string_v2`, is freed once and not used after.
            unsafe { (self.free_string)(p) };
            String::from_utf8(bytes).map_err(|e| ServerError::new("LibraryError", e.to_string()))
        }

        /// The perimeter of the quadrilateral given as a `(4, 2)` array, passed to the
        /// library as a `FourPoints` struct by value.
        fn distance_4_points(&mut self, xy: ArrayRef<'_>) -> Result<f64, ServerError> {
            let p: [Point; 4] = points(xy)?.try_into().map_err(|v: Vec<Point>| {
                ServerError::value_error(format!("expected 4 points, got {}", v.len()))
            })?;
            // SAFETY: `FourPoints` is passed by value and matches the library's layout.
            Ok(unsafe { (self.distance_4_points)(FourPoints { points: p }) })
        }

        /// The closed perimeter through the points of an `(n, 2)` array, passed to the
        /// library as an `NPoints` struct (0 for fewer than 2 points).
        fn distance_n_points(&mut self, xy: ArrayRef<'_>) -> Result<f64, ServerError> {
            self.perimeter(&mut points(xy)?)
        }

        /// The perimeter of a regular `n`-gon inscribed in a circle of `radius`: the
        /// server builds the points and the library sums the sides (→ 2πr as n grows).
        fn circumference(&mut self, radius: f64, n: i64) -> Result<f64, ServerError> {
            if !(0..=1 << 24).contains(&n) {
                return Err(ServerError::value_error(format!(
                    "n must be in 0..=16777216, got {n}"
                )));
            }
            let step = std::f64::consts::TAU / n as f64;
            let mut circle: Vec<Point> = (0..n)
                .map(|i| {
                    let (s, c) = (step * i as f64).sin_cos();
                    Point { x: radius * c, y: radius * s }
                })
                .collect();
            self.perimeter(&mut circle)
        }
    }
}
