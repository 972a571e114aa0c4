//! `fortran`: the Fortran example library `libfortran_lib32.so`
//! (`csrc/fortran_lib32.f90`). Fortran takes every argument by reference; the wrapper
//! passes pointers to its locals, and converts matrices between row-major (the client's)
//! and column-major (Fortran's).

use std::ffi::c_char;

use loadlib::server::{Kwargs, Library, Server32, ServerError};
use loadlib::{Array, ArrayRef};

/// `logical(c_bool)`: one byte, 0 or 1 (read as `u8`, so no other value is ever UB).
type Logical = u8;

/// Wraps `libfortran_lib32.so`, built by `build.rs` for the server's width.
pub struct Fortran {
    sum_8bit: unsafe extern "C" fn(*const i8, *const i8) -> i8,
    sum_16bit: unsafe extern "C" fn(*const i16, *const i16) -> i16,
    sum_32bit: unsafe extern "C" fn(*const i32, *const i32) -> i32,
    sum_64bit: unsafe extern "C" fn(*const i64, *const i64) -> i64,
    multiply_float32: unsafe extern "C" fn(*const f32, *const f32) -> f32,
    multiply_float64: unsafe extern "C" fn(*const f64, *const f64) -> f64,
    is_positive: unsafe extern "C" fn(*const f64) -> Logical,
    add_or_subtract: unsafe extern "C" fn(*const i32, *const i32, *const Logical) -> i32,
    factorial: unsafe extern "C" fn(*const i8) -> f64,
    standard_deviation: unsafe extern "C" fn(*const f64, *const i32) -> f64,
    besselj0: unsafe extern "C" fn(*const f64) -> f64,
    reverse_string: unsafe extern "C" fn(*const c_char, *const i32, *mut c_char),
    add_1d_arrays: unsafe extern "C" fn(*mut f64, *const f64, *const f64, *const i32),
    #[allow(clippy::type_complexity)]
    matrix_multiply: unsafe extern "C" fn(
        *mut f64,
        *const f64,
        *const i32,
        *const i32,
        *const f64,
        *const i32,
        *const i32,
    ),
    _lib: Library,
}

impl Server32 for Fortran {
    const NAME: &'static str = "fortran";
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError> {
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib =
            unsafe { Library::cdll(kwargs.get("lib").unwrap_or(env!("LOADLIB_FORTRAN_LIB"))) }?;
        // SAFETY: each type below is the bind(c) interface in csrc/fortran_lib32.f90,
        // every dummy argument being a pointer (Fortran passes by reference).
        unsafe {
            Ok(Fortran {
                sum_8bit: lib.function(b"sum_8bit")?,
                sum_16bit: lib.function(b"sum_16bit")?,
                sum_32bit: lib.function(b"sum_32bit")?,
                sum_64bit: lib.function(b"sum_64bit")?,
                multiply_float32: lib.function(b"multiply_float32")?,
                multiply_float64: lib.function(b"multiply_float64")?,
                is_positive: lib.function(b"is_positive")?,
                add_or_subtract: lib.function(b"add_or_subtract")?,
                factorial: lib.function(b"factorial")?,
                standard_deviation: lib.function(b"standard_deviation")?,
                besselj0: lib.function(b"besselj0")?,
                reverse_string: lib.function(b"reverse_string")?,
                add_1d_arrays: lib.function(b"add_1d_arrays")?,
                matrix_multiply: lib.function(b"matrix_multiply")?,
                _lib: lib,
            })
        }
    }
}

/// A length as Fortran's `integer(c_int32_t)`.
fn len_i32(n: usize) -> Result<i32, ServerError> {
    i32::try_from(n)
        .map_err(|_| ServerError::value_error(format!("{n} exceeds a 32-bit Fortran integer")))
}

/// The most elements a product may have (512 MiB of doubles, which a 32-bit server can
/// still allocate next to its inputs).
const MAX_RESULT: usize = 1 << 26;

/// A 2-D `f64` matrix sent row-major: its rows, columns and elements.
fn matrix<'a>(name: &str, a: &ArrayRef<'a>) -> Result<(usize, usize, &'a [f64]), ServerError> {
    let data = a.as_slice::<f64>().ok_or_else(|| {
        ServerError::type_error(format!(
            "{name}: expected an array of f64, got array<{}>",
            a.dtype()
        ))
    })?;
    match *a.shape().dims() {
        [r, c] => Ok((r as usize, c as usize, data)),
        ref dims => Err(ServerError::value_error(format!(
            "{name}: expected a 2-D matrix, got shape {dims:?}"
        ))),
    }
}

/// Transposes the `rows x cols` matrix stored in `m` (row-major in, column-major out,
/// or the other way round with the extents swapped).
fn transpose(m: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..rows * cols)
        .map(|k| m[(k % rows) * cols + k / rows])
        .collect()
}

loadlib::methods! {
    impl Fortran {
        /// `a + b` as `integer(1)`.
        fn sum_8bit(&mut self, a: i8, b: i8) -> i8 {
            // SAFETY: pointers to locals that outlive the call.
            unsafe { (self.sum_8bit)(&a, &b) }
        }

        /// `a + b` as `integer(2)`.
        fn sum_16bit(&mut self, a: i16, b: i16) -> i16 {
            // SAFETY: pointers to locals that outlive the call.
            unsafe { (self.sum_16bit)(&a, &b) }
        }

        /// `a + b` as `integer(4)`.
        fn sum_32bit(&mut self, a: i32, b: i32) -> i32 {
            // SAFETY: pointers to locals that outlive the call.
            unsafe { (self.sum_32bit)(&a, &b) }
        }

        /// `a + b` as `integer(8)` (64-bit even in the 32-bit library).
        fn sum_64bit(&mut self, a: i64, b: i64) -> i64 {
            // SAFETY: pointers to locals that outlive the call.
            unsafe { (self.sum_64bit)(&a, &b) }
        }

        /// `a * b` as `real(4)`.
        fn multiply_float32(&mut self, a: f32, b: f32) -> f32 {
            // SAFETY: pointers to locals that outlive the call.
            unsafe { (self.multiply_float32)(&a, &b) }
        }

        /// `a * b` as `real(8)`.
        fn multiply_float64(&mut self, a: f64, b: f64) -> f64 {
            // SAFETY: pointers to locals that outlive the call.
            unsafe { (self.multiply_float64)(&a, &b) }
        }

        /// Whether `a > 0`, as a Fortran `logical`.
        fn is_positive(&mut self, a: f64) -> bool {
            // SAFETY: a pointer to a local that outlives the call.
            unsafe { (self.is_positive)(&a) != 0 }
        }

        /// `a + b` if `do_addition`, else `a - b`.
        fn add_or_subtract(&mut self, a: i32, b: i32, do_addition: bool) -> i32 {
            let flag = Logical::from(do_addition);
            // SAFETY: pointers to locals that outlive the call.
            unsafe { (self.add_or_subtract)(&a, &b, &flag) }
        }

        /// `n!` as a double (0 for negative `n`).
        fn factorial(&mut self, n: i8) -> f64 {
            // SAFETY: a pointer to a local that outlives the call.
            unsafe { (self.factorial)(&n) }
        }

        /// The sample standard deviation of `data`, read in place in shared memory.
        fn standard_deviation(&mut self, data: &[f64]) -> Result<f64, ServerError> {
            if data.len() < 2 {
                return Err(ServerError::value_error(format!(
                    "a sample standard deviation needs at least 2 values, got {}",
                    data.len()
                )));
            }
            let n = len_i32(data.len())?;
            // SAFETY: `data` holds `n` doubles.
            Ok(unsafe { (self.standard_deviation)(data.as_ptr(), &n) })
        }

        /// The Bessel function of the first kind of order 0 (gfortran's `bessel_j0`).
        fn besselj0(&mut self, x: f64) -> f64 {
            // SAFETY: a pointer to a local that outlives the call.
            unsafe { (self.besselj0)(&x) }
        }

        /// `s` reversed by the library (ASCII only: it reverses bytes).
        fn reverse_string(&mut self, s: &str) -> Result<String, ServerError> {
            if !s.is_ascii() {
                return Err(ServerError::value_error(
                    "the library reverses bytes: only ASCII text is supported",
                ));
            }
            let n = len_i32(s.len())?;
            let mut out = vec![0u8; s.len() + 1];
            // SAFETY: the library reads `n` characters of `s` and writes `n + 1` into
            // `out`, which has that many.
            unsafe { (self.reverse_string)(s.as_ptr().cast(), &n, out.as_mut_ptr().cast()) };
            out.pop();
            String::from_utf8(out).map_err(|e| ServerError::new("LibraryError", e.to_string()))
        }

        /// `a + b`, element-wise.
        fn add_1d_arrays(&mut self, a: &[f64], b: &[f64]) -> Result<Vec<f64>, ServerError> {
            if a.len() != b.len() {
                return Err(ServerError::value_error(format!(
                    "the arrays differ in length: {} and {}",
                    a.len(),
                    b.len()
                )));
            }
            let n = len_i32(a.len())?;
            let mut out = vec![0.0; a.len()];
            // SAFETY: `out`, `a` and `b` each hold `n` doubles.
            unsafe { (self.add_1d_arrays)(out.as_mut_ptr(), a.as_ptr(), b.as_ptr(), &n) };
            Ok(out)
        }

        /// The matrix product `a × b` of two 2-D `f64` arrays, computed by Fortran's
        /// `matmul` on column-major copies.
        fn matrix_multiply(
            &mut self,
            a: ArrayRef<'_>,
            b: ArrayRef<'_>,
        ) -> Result<Array, ServerError> {
            let (r1, c1, a) = matrix("a", &a)?;
            let (r2, c2, b) = matrix("b", &b)?;
            if c1 != r2 {
                return Err(ServerError::value_error(format!(
                    "cannot multiply a {r1}x{c1} matrix by a {r2}x{c2} matrix"
                )));
            }
            let (r1_, c1_, r2_, c2_) = (len_i32(r1)?, len_i32(c1)?, len_i32(r2)?, len_i32(c2)?);
            let out_len = r1.checked_mul(c2).filter(|&n| n <= MAX_RESULT).ok_or_else(|| {
                ServerError::value_error(format!("a {r1}x{c2} product is too large for the server"))
            })?;
            let (a_cm, b_cm) = (transpose(a, r1, c1), transpose(b, r2, c2));
            let mut out = vec![0.0; out_len];
            // SAFETY: the column-major buffers hold r1*c1, r2*c2 and r1*c2 doubles, as the
            // extents passed say.
            unsafe {
                (self.matrix_multiply)(
                    out.as_mut_ptr(),
                    a_cm.as_ptr(),
                    &r1_,
                    &c1_,
                    b_cm.as_ptr(),
                    &r2_,
                    &c2_,
                )
            };
            Array::new(vec![r1, c2], transpose(&out, c2, r1))
                .ok_or_else(|| ServerError::new("LibraryError", "result shape"))
        }
    }
}
