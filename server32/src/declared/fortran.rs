//! The Fortran example library (`csrc/fortran_lib32.f90`, the original tool's
//! `fortran_lib32`) declared with `foreign!`: every argument by reference, as Fortran
//! passes it; a default `LOGICAL` is 4 bytes (`Logical`); matrices column-major.

use loadlib::foreign::Logical;

loadlib::foreign! {
    /// The library's `bind(c)` procedures.
    pub struct FortranLib: extern "C" {
        /// `a + b`, 8-bit.
        fn sum_8bit(a: &i8, b: &i8) -> i8;
        /// `a + b`, 16-bit.
        fn sum_16bit(a: &i16, b: &i16) -> i16;
        /// `a + b`, 32-bit.
        fn sum_32bit(a: &i32, b: &i32) -> i32;
        /// `a + b`, 64-bit.
        fn sum_64bit(a: &i64, b: &i64) -> i64;
        /// `a * b`, single precision.
        fn multiply_float32(a: &f32, b: &f32) -> f32;
        /// `a * b`, double precision.
        fn multiply_float64(a: &f64, b: &f64) -> f64;
        /// Whether `a > 0`.
        fn is_positive(a: &f64) -> Logical;
        /// `a + b` or `a - b`.
        fn add_or_subtract(a: &i32, b: &i32, do_addition: &Logical) -> i32;
        /// `n!` (0 for `n < 0`).
        fn factorial(n: &i8) -> f64;
        /// The sample standard deviation of `a[..n]`.
        fn standard_deviation(#[len(n)] a: &[f64], n: &i32) -> f64;
        /// The Bessel function J0.
        fn besselj0(x: &f64) -> f64;
        /// `original[..n]` reversed, into `reversed` with a NUL.
        fn reverse_string(#[len(n)] original: *const c_char, n: &i32, #[out] #[len(n + 1)] reversed: *mut c_char);
        /// `out = in1 + in2`, element by element.
        fn add_1d_arrays(#[out] #[len(n)] out: &mut [f64], #[len(n)] in1: &[f64], #[len(n)] in2: &[f64], n: &i32);
        /// `out = a1 × a2`, column-major (`c1 == r2`).
        fn matrix_multiply(
            #[out] #[len(r1 * c2)] out: &mut [f64],
            #[len(r1 * c1)] a1: &[f64], r1: &i32, c1: &i32,
            #[len(r2 * c2)] a2: &[f64], r2: &i32, c2: &i32,
        );
    }
}
