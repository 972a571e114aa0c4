//! `structs`: `#[repr(C)]` structs as interface parameters and results, by value, by
//! reference and in slices. `distance_4_points` hands the client's `FourPoints` to the
//! C++ example library (`csrc/cpp_lib32.cpp`) by value, as it arrived; the other methods
//! work on the structs in Rust. Also the other Rust types with no wire type of their own:
//! `usize`, `isize`, `char` and `Vec<String>`.

use loadlib::server::{Kwargs, Result, Server32, ServerError};
use loadlib::{CStruct, Out};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// `struct Point` of the C++ library: 16 bytes for every compiler.
#[derive(CStruct, FromBytes, IntoBytes, Immutable, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct Point {
    /// x
    pub x: f64,
    /// y
    pub y: f64,
}

/// `struct FourPoints` of the C++ library: 64 bytes for every compiler.
#[derive(CStruct, FromBytes, IntoBytes, Immutable, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct FourPoints {
    /// The corners, in order.
    pub points: [Point; 4],
}

/// Fields of every width, ordered so that no compiler pads them: 32 bytes everywhere.
#[derive(CStruct, FromBytes, IntoBytes, Immutable, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct Sample {
    /// An identifier.
    pub id: u32,
    /// Flags.
    pub flags: u16,
    /// A kind.
    pub kind: u8,
    /// A signed byte.
    pub tag: i8,
    /// A value (at offset 8 for every compiler: two 4-byte words precede it).
    pub value: f64,
    /// A 64-bit count.
    pub total: i64,
    /// Four small numbers.
    pub counts: [i16; 4],
}

loadlib::library! {
    /// The one function of the C++ example library this wrapper calls.
    struct CppLib: extern "C" {
        fn distance_4_points(p: FourPoints) -> f64;
    }
}

loadlib::interface! {
    /// Structs crossing the bridge.
    pub trait Structs => StructsClient {
        /// The closed perimeter through the four points, computed by the C++ library from
        /// the struct passed to it by value.
        fn distance_4_points(p: FourPoints) -> f64;
        /// The same perimeter, computed here from the struct by reference.
        fn perimeter(p: &FourPoints) -> f64;
        /// The points moved by `(dx, dy)`: a struct in and out by value.
        fn translate(p: FourPoints, dx: f64, dy: f64) -> FourPoints;
        /// Scales the points in place.
        fn scale(p: &mut FourPoints, k: f64);
        /// The mean of the points (a slice read in place).
        fn centroid(ps: &[Point]) -> Point;
        /// The points sorted by `x` (a `Vec` in and out).
        fn sorted_by_x(ps: Vec<Point>) -> Vec<Point>;
        /// Swaps `x` and `y` of every point, in place.
        fn reflect(ps: &mut [Point]);
        /// Writes `out.len()` points `(i, k * i)`.
        fn line(k: f64, out: Out<'_, Point>);
        /// Every field changed in a known way.
        fn bump(s: Sample) -> Sample;
        /// The sample's `total`, or -1 without one.
        fn total_or(s: Option<&Sample>) -> i64;
        /// `size_of::<FourPoints>()` and `size_of::<Sample>()` in the server.
        fn sizes() -> Vec<u32>;
        /// `n / 2` (a value above a 32-bit server's `usize` is an `OverflowError`).
        fn half(n: usize) -> usize;
        /// `n - 1`.
        fn pred(n: isize) -> isize;
        /// The character after `c`.
        fn next_char(c: char) -> char;
        /// Each name followed by `sep`.
        fn tagged(names: Vec<String>, sep: char) -> Vec<String>;
    }
}

/// Serves [`Structs`]; the C++ library is `kwarg("lib", …)`, else the bundled one.
pub struct StructsServer {
    c: CppLib,
}

impl Server32 for StructsServer {
    const NAME: &'static str = "structs";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        let path = kwargs.get("lib").unwrap_or(env!("LOADLIB_CPP_LIB"));
        // SAFETY: loading runs the library's initialisers (the C++ example library); the
        // declaration is its `extern "C"` signature.
        let c = unsafe { CppLib::load(path) }?;
        Ok(StructsServer { c })
    }
}

fn perimeter(p: &[Point]) -> f64 {
    let d = |a: &Point, b: &Point| (a.x - b.x).hypot(a.y - b.y);
    let n = p.len();
    (0..n).map(|i| d(&p[i], &p[(i + 1) % n])).sum()
}

impl Structs for StructsServer {
    fn distance_4_points(&mut self, p: FourPoints) -> Result<f64> {
        // SAFETY: `FourPoints` is the library's struct, laid out as its compiler does.
        Ok(unsafe { self.c.distance_4_points(p) })
    }

    fn perimeter(&mut self, p: &FourPoints) -> Result<f64> {
        Ok(perimeter(&p.points))
    }

    fn translate(&mut self, mut p: FourPoints, dx: f64, dy: f64) -> Result<FourPoints> {
        for q in &mut p.points {
            q.x += dx;
            q.y += dy;
        }
        Ok(p)
    }

    fn scale(&mut self, p: &mut FourPoints, k: f64) -> Result<()> {
        for q in &mut p.points {
            q.x *= k;
            q.y *= k;
        }
        Ok(())
    }

    fn centroid(&mut self, ps: &[Point]) -> Result<Point> {
        if ps.is_empty() {
            return Err(ServerError::value_error("no points"));
        }
        let n = ps.len() as f64;
        Ok(Point {
            x: ps.iter().map(|p| p.x).sum::<f64>() / n,
            y: ps.iter().map(|p| p.y).sum::<f64>() / n,
        })
    }

    fn sorted_by_x(&mut self, mut ps: Vec<Point>) -> Result<Vec<Point>> {
        ps.sort_by(|a, b| a.x.total_cmp(&b.x));
        Ok(ps)
    }

    fn reflect(&mut self, ps: &mut [Point]) -> Result<()> {
        for p in ps {
            std::mem::swap(&mut p.x, &mut p.y);
        }
        Ok(())
    }

    fn line(&mut self, k: f64, mut out: Out<'_, Point>) -> Result<()> {
        for (i, p) in out.iter_mut().enumerate() {
            *p = Point {
                x: i as f64,
                y: k * i as f64,
            };
        }
        Ok(())
    }

    fn bump(&mut self, s: Sample) -> Result<Sample> {
        Ok(Sample {
            id: s.id + 1,
            flags: !s.flags,
            kind: s.kind.wrapping_mul(2),
            tag: -s.tag,
            value: s.value * 2.0,
            total: s.total - 1,
            counts: s.counts.map(|c| c * 10),
        })
    }

    fn total_or(&mut self, s: Option<&Sample>) -> Result<i64> {
        Ok(s.map_or(-1, |s| s.total))
    }

    fn sizes(&mut self) -> Result<Vec<u32>> {
        Ok(vec![
            size_of::<FourPoints>() as u32,
            size_of::<Sample>() as u32,
        ])
    }

    fn half(&mut self, n: usize) -> Result<usize> {
        Ok(n / 2)
    }

    fn pred(&mut self, n: isize) -> Result<isize> {
        n.checked_sub(1)
            .ok_or_else(|| ServerError::overflow("isize::MIN - 1"))
    }

    fn next_char(&mut self, c: char) -> Result<char> {
        char::from_u32(c as u32 + 1)
            .ok_or_else(|| ServerError::value_error(format!("no character after {c:?}")))
    }

    fn tagged(&mut self, names: Vec<String>, sep: char) -> Result<Vec<String>> {
        Ok(names.into_iter().map(|n| format!("{n}{sep}")).collect())
    }
}
