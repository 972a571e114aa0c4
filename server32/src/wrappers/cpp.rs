//! `cpp`: the C++ example library `libcpp_lib32.so` (`csrc/cpp_lib32.cpp`): scalars,
//! arrays, strings (caller-allocated and library-allocated) and structs passed by value.
//!
//! It needs only the functions of the original tool's `cpp_lib32`. Who frees what:
//! `reverse_string_v1` writes into a buffer the wrapper owns; `reverse_string_v2` returns a
//! buffer the library allocated with `new[]` and exports no way to release, so the wrapper
//! copies its `n` bytes and leaves it, as the original tool does (`n` bytes per call
//! stay allocated in the 32-bit server until it exits). A library that also exports
//! `void free_string(char*)` gets its buffers released through it.

use std::ffi::{c_char, c_int};

use loadlib::server::{Kwargs, OutVec, Result, Server32, ServerError, Symbol};
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

loadlib::library! {
    /// The `extern "C"` functions of `csrc/cpp_lib32.cpp` (the original tool's signatures);
    /// the structs are `#[repr(C)]` copies of the library's.
    struct CppLib: extern "C" {
        fn add(a: c_int, b: c_int) -> c_int;
        fn subtract(a: f32, b: f32) -> f32;
        fn add_or_subtract(a: f64, b: f64, do_addition: bool) -> f64;
        fn scalar_multiply(a: f64, x: *const f64, n: c_int, out: *mut f64);
        fn reverse_string_v1(original: *const c_char, n: c_int, reversed: *mut c_char);
        fn reverse_string_v2(original: *mut c_char, n: c_int) -> *mut c_char;
        fn distance_4_points(p: FourPoints) -> f64;
        fn distance_n_points(p: NPoints) -> f64;
    }
}

loadlib::interface! {
    /// The C++ example library: scalars, arrays, strings and structs.
    pub trait Cpp => CppClient {
        /// `a + b` (C `int`).
        fn add(a: i32, b: i32) -> i32;
        /// `a - b` (C `float`).
        fn subtract(a: f32, b: f32) -> f32;
        /// `a + b` if `do_addition`, else `a - b` (C `double`).
        fn add_or_subtract(a: f64, b: f64, do_addition: bool) -> f64;
        /// `a * x`, element-wise; the library reads `x` in place in shared memory and
        /// writes the result in place in the reply's.
        fn scalar_multiply(a: f64, x: &[f64]) -> OutVec<f64>;
        /// `s` reversed by the library into a buffer the wrapper allocates.
        fn reverse_string_v1(s: &str) -> String;
        /// `s` reversed by the library into a buffer the library allocates (see the module
        /// documentation for who frees it).
        fn reverse_string_v2(s: &str) -> String;
        /// The perimeter of the quadrilateral given as a `(4, 2)` array, passed to the
        /// library as a `FourPoints` struct by value.
        fn distance_4_points(xy: ArrayRef<'_>) -> f64;
        /// The closed perimeter through the points of an `(n, 2)` array, passed to the
        /// library as an `NPoints` struct (0 for fewer than 2 points).
        fn distance_n_points(xy: ArrayRef<'_>) -> f64;
        /// The perimeter of a regular `n`-gon inscribed in a circle of `radius`: the
        /// server builds the points and the library sums the sides (→ 2πr as n grows).
        fn circumference(radius: f64, n: i64) -> f64;
    }
}

/// Serves [`Cpp`] from `libcpp_lib32.so`, built by `build.rs` for the server's width.
pub struct CppServer {
    c: CppLib,
    /// `void free_string(char*)`, if the library has one.
    free_string: Option<unsafe extern "C" fn(*mut c_char)>,
}

impl Server32 for CppServer {
    const NAME: &'static str = "cpp";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        let path = kwargs.get("lib").unwrap_or(env!("LOADLIB_CPP_LIB"));
        // SAFETY: loading runs the library's initialisers (the library this wrapper is
        // for); the declarations are its `extern "C"` signatures.
        let c = unsafe { CppLib::load(path) }?;
        // SAFETY: if present, `free_string` releases a `reverse_string_v2` result; the
        // pointer is kept beside the library (`c`), which it does not outlive.
        let free_string = unsafe {
            let symbol = c.library().function(b"free_string");
            symbol.ok().map(|s| Symbol::into_raw(s))
        };
        Ok(CppServer { c, free_string })
    }
}

/// A length as the library's `int`.
fn c_len(n: usize) -> Result<c_int> {
    c_int::try_from(n)
        .map_err(|_| ServerError::value_error(format!("{n} elements exceed the C int length")))
}

/// The library reverses bytes, which only keeps a string valid when it is ASCII.
fn ascii(s: &str) -> Result<&str> {
    if s.is_ascii() {
        Ok(s)
    } else {
        Err(ServerError::value_error(
            "the library reverses bytes: only ASCII text is supported",
        ))
    }
}

/// An `(n, 2)` array of `f64` (one `[x, y]` row per point) as `Point`s.
fn points(a: ArrayRef<'_>) -> Result<Vec<Point>> {
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

impl CppServer {
    /// The closed perimeter through `points`, computed by `distance_n_points`.
    fn perimeter(&self, points: &mut [Point]) -> Result<f64> {
        let n = NPoints {
            n: c_len(points.len())?,
            points: points.as_mut_ptr(),
        };
        // SAFETY: `n.points` points to `n.n` valid `Point`s that outlive the call; the
        // library only reads them.
        Ok(unsafe { self.c.distance_n_points(n) })
    }
}

impl Cpp for CppServer {
    fn add(&mut self, a: i32, b: i32) -> Result<i32> {
        // SAFETY: plain integers.
        Ok(unsafe { self.c.add(a, b) })
    }

    fn subtract(&mut self, a: f32, b: f32) -> Result<f32> {
        // SAFETY: plain floats.
        Ok(unsafe { self.c.subtract(a, b) })
    }

    fn add_or_subtract(&mut self, a: f64, b: f64, do_addition: bool) -> Result<f64> {
        // SAFETY: plain scalars; Rust's `bool` is C++'s `bool`.
        Ok(unsafe { self.c.add_or_subtract(a, b, do_addition) })
    }

    fn scalar_multiply(&mut self, a: f64, x: &[f64]) -> Result<OutVec<f64>> {
        let n = c_len(x.len())?;
        // SAFETY: the library reads `n` doubles at `x` and writes `n` at `out` (in place
        // in the reply's shared memory when it can be).
        unsafe {
            OutVec::filled(x.len(), |out| {
                self.c.scalar_multiply(a, x.as_ptr(), n, out);
                Ok(())
            })
        }
    }

    fn reverse_string_v1(&mut self, s: &str) -> Result<String> {
        let s = ascii(s)?;
        let n = c_len(s.len())?;
        let mut out = vec![0u8; s.len()];
        // SAFETY: the library reads `n` bytes of `s` and writes `n` bytes (the reversed
        // text, no NUL) into `out`, which has that many.
        unsafe {
            self.c
                .reverse_string_v1(s.as_ptr().cast(), n, out.as_mut_ptr().cast())
        };
        String::from_utf8(out).map_err(|e| ServerError::library_error(e.to_string()))
    }

    fn reverse_string_v2(&mut self, s: &str) -> Result<String> {
        let mut original = ascii(s)?.as_bytes().to_vec();
        let n = c_len(original.len())?;
        // SAFETY: the library reads `n` bytes of `original` (a `char*` it may not keep)
        // and returns a buffer of at least `n` bytes that it allocated, or NULL.
        let p = unsafe { self.c.reverse_string_v2(original.as_mut_ptr().cast(), n) };
        if p.is_null() {
            return Err(ServerError::library_error(
                "reverse_string_v2 returned NULL",
            ));
        }
        // SAFETY: `p` is non-NULL and holds `n` initialised bytes (see above).
        let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), original.len()) }.to_vec();
        if let Some(free_string) = self.free_string {
            // SAFETY: `p` came from `reverse_string_v2`, is freed once and not used after.
            unsafe { free_string(p) };
        }
        String::from_utf8(bytes).map_err(|e| ServerError::library_error(e.to_string()))
    }

    fn distance_4_points(&mut self, xy: ArrayRef<'_>) -> Result<f64> {
        let p: [Point; 4] = points(xy)?.try_into().map_err(|v: Vec<Point>| {
            ServerError::value_error(format!("expected 4 points, got {}", v.len()))
        })?;
        // SAFETY: `FourPoints` is passed by value and matches the library's layout.
        Ok(unsafe { self.c.distance_4_points(FourPoints { points: p }) })
    }

    fn distance_n_points(&mut self, xy: ArrayRef<'_>) -> Result<f64> {
        self.perimeter(&mut points(xy)?)
    }

    fn circumference(&mut self, radius: f64, n: i64) -> Result<f64> {
        if !(0..=1 << 24).contains(&n) {
            return Err(ServerError::value_error(format!(
                "n must be in 0..=16777216, got {n}"
            )));
        }
        let step = std::f64::consts::TAU / n as f64;
        let mut circle: Vec<Point> = (0..n)
            .map(|i| {
                let (s, c) = (step * i as f64).sin_cos();
                Point {
                    x: radius * c,
                    y: radius * s,
                }
            })
            .collect();
        self.perimeter(&mut circle)
    }
}
