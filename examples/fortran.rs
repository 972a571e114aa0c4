//! Calls the Fortran example library (`server32/csrc/fortran_lib32.f90`, a 32-bit shared
//! library built by gfortran) from this 64-bit program through the `fortran` wrapper of
//! the 32-bit server.
//!
//! `FortranClient` is the typed client `loadlib::interface!` generates from the wrapper's
//! declaration (`server32/src/wrappers/fortran.rs`): one method for each library function,
//! taking and returning Rust types.
//!
//! ```text
//! cargo run --example fortran
//! ```

use loadlib::{ArrayRef, Client64};
use server32::wrappers::fortran::FortranClient;

fn main() -> loadlib::Result<()> {
    // `.server(ServerExe::Bundled64)` on the builder would run a 64-bit server instead.
    let f = FortranClient::start(Client64::builder("fortran"))?;
    if let Some(server) = f.client64() {
        println!(
            "fortran_lib32 in a {}-bit server",
            server.server_pointer_width()
        );
    }
    // Integers of every width: `integer(1)`, `(2)`, `(4)` and `(8)`.
    println!("sum_8bit(-50, 110) = {}", f.sum_8bit(-50, 110)?);
    println!(
        "sum_16bit(2^15 - 1, -2^15) = {}",
        f.sum_16bit(i16::MAX, i16::MIN)?
    );
    println!("sum_32bit(123456788, 1) = {}", f.sum_32bit(123_456_788, 1)?);
    println!("sum_64bit(2^62, 2^61) = {}", f.sum_64bit(1 << 62, 1 << 61)?);
    // `real(4)` and `real(8)`.
    println!(
        "multiply_float32(5e-5, 2e-4) = {:e}",
        f.multiply_float32(5e-5, 2e-4)?
    );
    println!(
        "multiply_float64(5e-5, 2e-4) = {:e}",
        f.multiply_float64(5e-5, 2e-4)?
    );
    // A `logical` result.
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
    // Arrays travel through shared memory; the library reads them in place.
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
    // 2-D arrays are row-major; the wrapper hands Fortran column-major copies.
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
