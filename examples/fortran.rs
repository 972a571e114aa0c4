//! Calls the Fortran example library (`server32/csrc/fortran_lib32.f90`, a 32-bit shared
//! library built by gfortran) from this 64-bit program through the `fortran` wrapper of
//! the 32-bit server.
//!
//! ```text
//! cargo run --example fortran
//! ```

use loadlib::{Array, ArrayRef, Client64, ServerExe};

/// The Fortran library, called through a 32-bit server.
pub struct Fortran {
    client: Client64,
}

impl Fortran {
    /// Starts the bundled 32-bit server with the Fortran library loaded.
    pub fn new() -> loadlib::Result<Fortran> {
        Fortran::with_server(ServerExe::Bundled32)
    }

    /// Starts the given server executable (e.g. [`ServerExe::Bundled64`]) instead.
    pub fn with_server(exe: ServerExe) -> loadlib::Result<Fortran> {
        let client = Client64::builder("fortran").server(exe).start()?;
        Ok(Fortran { client })
    }

    /// The underlying client (for its pointer width, or a call by name).
    pub fn client(&self) -> &Client64 {
        &self.client
    }

    /// `a + b` as 8-bit integers (`integer(1)`).
    pub fn sum_8bit(&self, a: i8, b: i8) -> loadlib::Result<i8> {
        self.client.request32("sum_8bit", (a, b))
    }

    /// `a + b` as 16-bit integers (`integer(2)`).
    pub fn sum_16bit(&self, a: i16, b: i16) -> loadlib::Result<i16> {
        self.client.request32("sum_16bit", (a, b))
    }

    /// `a + b` as 32-bit integers (`integer(4)`).
    pub fn sum_32bit(&self, a: i32, b: i32) -> loadlib::Result<i32> {
        self.client.request32("sum_32bit", (a, b))
    }

    /// `a + b` as 64-bit integers (`integer(8)`), even in the 32-bit library.
    pub fn sum_64bit(&self, a: i64, b: i64) -> loadlib::Result<i64> {
        self.client.request32("sum_64bit", (a, b))
    }

    /// `a * b` in single precision (`real(4)`).
    pub fn multiply_float32(&self, a: f32, b: f32) -> loadlib::Result<f32> {
        self.client.request32("multiply_float32", (a, b))
    }

    /// `a * b` in double precision (`real(8)`).
    pub fn multiply_float64(&self, a: f64, b: f64) -> loadlib::Result<f64> {
        self.client.request32("multiply_float64", (a, b))
    }

    /// Whether `a > 0`, as the library's `logical` result.
    pub fn is_positive(&self, a: f64) -> loadlib::Result<bool> {
        self.client.request32("is_positive", (a,))
    }

    /// `a + b` if `do_addition`, else `a - b`.
    pub fn add_or_subtract(&self, a: i32, b: i32, do_addition: bool) -> loadlib::Result<i32> {
        self.client
            .request32("add_or_subtract", (a, b, do_addition))
    }

    /// `n!` as a double (0 for negative `n`).
    pub fn factorial(&self, n: i8) -> loadlib::Result<f64> {
        self.client.request32("factorial", (n,))
    }

    /// The sample standard deviation of `data` (at least two values).
    pub fn standard_deviation(&self, data: &[f64]) -> loadlib::Result<f64> {
        self.client.request32("standard_deviation", (data,))
    }

    /// The Bessel function of the first kind of order 0, `J0(x)`.
    pub fn besselj0(&self, x: f64) -> loadlib::Result<f64> {
        self.client.request32("besselj0", (x,))
    }

    /// `s` reversed by the library (ASCII only).
    pub fn reverse_string(&self, s: &str) -> loadlib::Result<String> {
        self.client.request32("reverse_string", (s,))
    }

    /// `a + b`, element-wise (the lengths must match).
    pub fn add_1d_arrays(&self, a: &[f64], b: &[f64]) -> loadlib::Result<Vec<f64>> {
        self.client.request32("add_1d_arrays", (a, b))
    }

    /// The matrix product `a × b` of row-major 2-D arrays (`a` has as many columns as `b`
    /// has rows). The server hands Fortran column-major copies and converts back.
    pub fn matrix_multiply(&self, a: ArrayRef<'_>, b: ArrayRef<'_>) -> loadlib::Result<Array> {
        self.client.request32("matrix_multiply", (a, b))
    }
}

fn main() -> loadlib::Result<()> {
    let f = Fortran::new()?;
    println!(
        "fortran_lib32 in a {}-bit server",
        f.client().server_pointer_width()
    );
    println!("sum_8bit(-50, 110) = {}", f.sum_8bit(-50, 110)?);
    println!(
        "sum_16bit(2^15 - 1, -2^15) = {}",
        f.sum_16bit(i16::MAX, i16::MIN)?
    );
    println!("sum_32bit(123456788, 1) = {}", f.sum_32bit(123_456_788, 1)?);
    println!("sum_64bit(2^62, 2^61) = {}", f.sum_64bit(1 << 62, 1 << 61)?);
    println!(
        "multiply_float32(5e-5, 2e-4) = {:e}",
        f.multiply_float32(5e-5, 2e-4)?
    );
    println!(
        "multiply_float64(5e-5, 2e-4) = {:e}",
        f.multiply_float64(5e-5, 2e-4)?
    );
    println!(
        "is_positive(1e-100) = {}, is_positive(-1e-100) = {}",
        f.is_positive(1e-100)?,
        f.is_positive(-1e-100)?
    );
    println!(
        "add_or_subtract(1000, 2000, true) = {}, (…, false) = {}",
        f.add_or_subtract(1000, 2000, true)?,
        f.add_or_subtract(1000, 2000, false)?
    );
    println!(
        "factorial(0) = {}, factorial(127) = {:e}",
        f.factorial(0)?,
        f.factorial(127)?
    );
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    println!(
        "standard_deviation(1..=9) = {}",
        f.standard_deviation(&data)?
    );
    println!("besselj0(8.6) = {}", f.besselj0(8.6)?);
    println!(
        "reverse_string(\"hello world!\") = {:?}",
        f.reverse_string("hello world!")?
    );
    println!(
        "add_1d_arrays([1, 2, 3], [10, 20, 30]) = {:?}",
        f.add_1d_arrays(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0])?
    );
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let a = ArrayRef::new(&a, &[2, 3]).expect("2x3");
    let b = ArrayRef::new(&b, &[3, 2]).expect("3x2");
    let product = f.matrix_multiply(a, b)?;
    println!(
        "matrix_multiply([[1,2,3],[4,5,6]], [[1,2],[3,4],[5,6]]) = {:?}",
        product.to_rows::<f64>().expect("f64 matrix")
    );
    Ok(())
}
