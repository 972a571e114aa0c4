//! Calls the Fortran example library (`server32/csrc/fortran_lib32.f90`) with **no server
//! code**: its procedures are declared with `loadlib::foreign!`
//! (`server32/src/declared/fortran.rs`), every argument by reference as Fortran passes
//! it. The same functions through a wrapper server: `examples/fortran.rs`.
//!
//! ```text
//! cargo run --example fortran_foreign
//! cargo run --example fortran_foreign -- /path/to/msl/examples/loadlib/fortran_lib32.so
//! ```
//!
//! The second form runs it against the original tool's own library.

use loadlib::foreign::Logical;
use server32::declared::fortran::FortranLib;

fn main() -> loadlib::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| server32::paths::library("fortran", 32).to_owned());
    // SAFETY: loading runs the library's initialisers in the server; the declarations
    // above are the library's own interfaces.
    let f = unsafe { FortranLib::load(&path) }?;
    println!("{path}, through declarations alone");
    println!("sum_8bit(-50, 110) = {}", f.sum_8bit(-50, 110)?);
    println!("sum_16bit(2^15 - 1, -1) = {}", f.sum_16bit(i16::MAX, -1)?);
    println!("sum_32bit(123456788, 1) = {}", f.sum_32bit(123456788, 1)?);
    println!("sum_64bit(-2^62, 1) = {}", f.sum_64bit(-(1i64 << 62), 1)?);
    println!(
        "multiply_float32(40.0, 2.5) = {}",
        f.multiply_float32(40.0, 2.5)?
    );
    println!(
        "multiply_float64(1e100, 1e200) = {:e}",
        f.multiply_float64(1e100, 1e200)?
    );
    println!("is_positive(-1.0) = {}", f.is_positive(-1.0)?.get());
    println!(
        "add_or_subtract(1000, 2000, false) = {}",
        f.add_or_subtract(1000, 2000, Logical(false))?
    );
    println!("factorial(10) = {}", f.factorial(10)?);
    let data: Vec<f64> = (1..=10).map(f64::from).collect();
    println!(
        "standard_deviation(1..=10) = {}",
        f.standard_deviation(&data, 10)?
    );
    println!("besselj0(8.0) = {}", f.besselj0(8.0)?);
    let mut rev = [0u8; 8];
    f.reverse_string("Fortran", 7, &mut rev[..])?;
    println!(
        "reverse_string(\"Fortran\") = {:?}",
        std::ffi::CStr::from_bytes_until_nul(&rev)
    );
    let mut sum = [0.0; 3];
    f.add_1d_arrays(&mut sum, &[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0], 3)?;
    println!("add_1d_arrays([1, 2, 3], [10, 20, 30]) = {sum:?}");
    // [[1, 2, 3], [4, 5, 6]] × [[1, 2], [3, 4], [5, 6]], column-major.
    let mut m = [0.0; 4];
    f.matrix_multiply(
        &mut m,
        &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0],
        2,
        3,
        &[1.0, 3.0, 5.0, 2.0, 4.0, 6.0],
        3,
        2,
    )?;
    println!(
        "matrix_multiply(2×3, 3×2) = [[{}, {}], [{}, {}]]",
        m[0], m[2], m[1], m[3]
    );
    Ok(())
}
