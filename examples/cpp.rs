//! Calls the C++ example library (`server32/csrc/cpp_lib32.cpp`, a 32-bit shared library)
//! from this 64-bit program through the `cpp` wrapper of the 32-bit server.
//!
//! ```text
//! cargo run --example cpp
//! ```

use loadlib::{ArrayRef, Client64, ServerExe};

/// The C++ library, called through a 32-bit server.
pub struct Cpp {
    client: Client64,
}

impl Cpp {
    /// Starts the bundled 32-bit server with the C++ library loaded.
    pub fn new() -> loadlib::Result<Cpp> {
        Cpp::with_server(ServerExe::Bundled32)
    }

    /// Starts the given server executable (e.g. [`ServerExe::Bundled64`]) instead.
    pub fn with_server(exe: ServerExe) -> loadlib::Result<Cpp> {
        let client = Client64::builder("cpp").server(exe).start()?;
        Ok(Cpp { client })
    }

    /// The underlying client (for its pointer width, or a call by name).
    pub fn client(&self) -> &Client64 {
        &self.client
    }

    /// `a + b`, added by the library as C `int`s.
    pub fn add(&self, a: i32, b: i32) -> loadlib::Result<i32> {
        self.client.request32("add", (a, b))
    }

    /// `a - b`, subtracted by the library as C `float`s.
    pub fn subtract(&self, a: f32, b: f32) -> loadlib::Result<f32> {
        self.client.request32("subtract", (a, b))
    }

    /// `a + b` if `do_addition`, else `a - b`, as C `double`s.
    pub fn add_or_subtract(&self, a: f64, b: f64, do_addition: bool) -> loadlib::Result<f64> {
        self.client
            .request32("add_or_subtract", (a, b, do_addition))
    }

    /// `a * x`, element-wise; `x` travels through shared memory and the library reads it
    /// in place.
    pub fn scalar_multiply(&self, a: f64, x: &[f64]) -> loadlib::Result<Vec<f64>> {
        self.client.request32("scalar_multiply", (a, x))
    }

    /// `s` reversed by the library into a buffer the server provides (ASCII only).
    pub fn reverse_string_v1(&self, s: &str) -> loadlib::Result<String> {
        self.client.request32("reverse_string_v1", (s,))
    }

    /// `s` reversed by the library into a buffer the library allocates and the server
    /// frees (ASCII only).
    pub fn reverse_string_v2(&self, s: &str) -> loadlib::Result<String> {
        self.client.request32("reverse_string_v2", (s,))
    }

    /// The perimeter of the quadrilateral through four `(x, y)` points, passed to the
    /// library as a `FourPoints` struct by value.
    pub fn distance_4_points(&self, points: [(f64, f64); 4]) -> loadlib::Result<f64> {
        self.points_call("distance_4_points", &points)
    }

    /// The perimeter of the closed polygon through `points`, passed to the library as
    /// an `NPoints` struct (0 for fewer than two points).
    pub fn distance_n_points(&self, points: &[(f64, f64)]) -> loadlib::Result<f64> {
        self.points_call("distance_n_points", points)
    }

    /// The perimeter of the regular `n`-gon inscribed in a circle of `radius`: only the
    /// radius and `n` are sent; the server builds the points and the library sums the
    /// sides. It approaches `2π·radius` as `n` grows.
    pub fn circumference(&self, radius: f64, n: u32) -> loadlib::Result<f64> {
        self.client.request32("circumference", (radius, n))
    }

    fn points_call(&self, method: &str, points: &[(f64, f64)]) -> loadlib::Result<f64> {
        let xy: Vec<f64> = points.iter().flat_map(|&(x, y)| [x, y]).collect();
        let xy = ArrayRef::new(&xy, &[points.len(), 2]).expect("two values per point");
        self.client.request32(method, (xy,))
    }
}

fn main() -> loadlib::Result<()> {
    let cpp = Cpp::new()?;
    println!(
        "cpp_lib32 in a {}-bit server",
        cpp.client().server_pointer_width()
    );
    println!("add(3, 14) = {}", cpp.add(3, 14)?);
    println!("subtract(43.2, 3.2) = {}", cpp.subtract(43.2, 3.2)?);
    println!(
        "add_or_subtract(10.0, 5.0, true) = {}, (…, false) = {}",
        cpp.add_or_subtract(10.0, 5.0, true)?,
        cpp.add_or_subtract(10.0, 5.0, false)?
    );
    println!(
        "scalar_multiply(2.0, [0, 1, 2, 3, 4]) = {:?}",
        cpp.scalar_multiply(2.0, &[0.0, 1.0, 2.0, 3.0, 4.0])?
    );
    let s = "New Zealand";
    println!("reverse_string_v1({s:?}) = {:?}", cpp.reverse_string_v1(s)?);
    println!("reverse_string_v2({s:?}) = {:?}", cpp.reverse_string_v2(s)?);
    let square = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)];
    println!(
        "distance_4_points(unit square) = {}",
        cpp.distance_4_points(square)?
    );
    println!("circumference of a circle of diameter 1 (≈ π):");
    for i in [2, 4, 8, 12, 16, 20] {
        let n = 1u32 << i;
        let c = cpp.circumference(0.5, n)?;
        println!(
            "  n = 2^{i:<2} → {c:.15} (error {:.1e})",
            std::f64::consts::PI - c
        );
    }
    Ok(())
}
