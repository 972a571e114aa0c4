//! `fortran`: the Fortran example library `libfortran_lib32.so`
//! (`csrc/fortran_lib32.f90`). Fortran takes every argument by reference; the wrapper
//! passes pointers to its locals, and converts matrices between row-major (the client's)
//! and column-major (Fortran's).

use std::ffi::c_char;

use loadlib::server::{Kwargs, OutVec, Result, Server32, ServerError};
use loadlib::{Array, ArrayRef};

/// A default `LOGICAL`, as the original tool's `fortran_lib32` declares its logicals: 4
/// bytes under gfortran, any non-zero value true (read as `i32`, so no value is UB).
type Logical = i32;

loadlib::library! {
    /// The bind(c) interfaces of csrc/fortran_lib32.f90: every dummy argument is a
    /// pointer (Fortran passes by reference).
    struct FortranLib: extern "C" {
        fn sum_8bit(a: *const i8, b: *const i8) -> i8;
        fn sum_16bit(a: *const i16, b: *const i16) -> i16;
        fn sum_32bit(a: *const i32, b: *const i32) -> i32;
        fn sum_64bit(a: *const i64, b: *const i64) -> i64;
        fn multiply_float32(a: *const f32, b: *const f32) -> f32;
        fn multiply_float64(a: *const f64, b: *const f64) -> f64;
        fn is_positive(a: *const f64) -> Logical;
        fn add_or_subtract(a: *const i32, b: *const i32, do_addition: *const Logical) -> i32;
        fn factorial(n: *const i8) -> f64;
        fn standard_deviation(data: *const f64, n: *const i32) -> f64;
        fn besselj0(x: *const f64) -> f64;
        fn reverse_string(s: *const c_char, n: *const i32, out: *mut c_char);
        fn add_1d_arrays(out: *mut f64, a: *const f64, b: *const f64, n: *const i32);
        fn matrix_multiply(
            out: *mut f64,
            a: *const f64,
            a_rows: *const i32,
            a_cols: *const i32,
            b: *const f64,
            b_rows: *const i32,
            b_cols: *const i32,
        );
    }
}

/// Serves [`Fortran`] from `libfortran_lib32.so`, built by `build.rs` for the server's width.
pub struct FortranServer {
    c: FortranLib,
}

impl Server32 for FortranServer {
    const NAME: &'static str = "fortran";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        let path = kwargs.get("lib").unwrap_or(env!("LOADLIB_FORTRAN_LIB"));
        // SAFETY: loading runs the library's initialisers (the library this wrapper is
        // for); the declarations are its bind(c) interfaces.
        Ok(FortranServer {
            c: unsafe { FortranLib::load(path) }?,
        })
    }
}

/// A length as Fortran's `integer(c_int32_t)`.
fn len_i32(n: usize) -> Result<i32> {
    i32::try_from(n)
        .map_err(|_| ServerError::value_error(format!("{n} exceeds a 32-bit Fortran integer")))
}

/// The most elements a product may have (512 MiB of doubles, which a 32-bit server can
/// still allocate next to its inputs).
const MAX_RESULT: usize = 1 << 26;

/// A 2-D `f64` matrix sent row-major: its rows, columns and elements.
fn matrix<'a>(name: &str, a: &ArrayRef<'a>) -> Result<(usize, usize, &'a [f64])> {
    let data = a.as_slice::<f64>().ok_or_else(|| {
        ServerError::type_error(format!(
            "{name}: expected an array of f64, got array<{}>",
            a.dtype()
        ))
    })?;
    match *a.shape().dims() {
        [r, c] => Ok((r, c, data)),
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

loadlib::interface! {
    /// The Fortran example library: integers of every width, reals, logicals, strings and
    /// arrays.
    pub trait Fortran => FortranClient {
        /// `a + b` as `integer(1)`.
        fn sum_8bit(a: i8, b: i8) -> i8;
        /// `a + b` as `integer(2)`.
        fn sum_16bit(a: i16, b: i16) -> i16;
        /// `a + b` as `integer(4)`.
        fn sum_32bit(a: i32, b: i32) -> i32;
        /// `a + b` as `integer(8)` (64-bit even in the 32-bit library).
        fn sum_64bit(a: i64, b: i64) -> i64;
        /// `a * b` as `real(4)`.
        fn multiply_float32(a: f32, b: f32) -> f32;
        /// `a * b` as `real(8)`.
        fn multiply_float64(a: f64, b: f64) -> f64;
        /// Whether `a > 0`, as a Fortran `logical`.
        fn is_positive(a: f64) -> bool;
        /// `a + b` if `do_addition`, else `a - b`.
        fn add_or_subtract(a: i32, b: i32, do_addition: bool) -> i32;
        /// `n!` as a double (0 for negative `n`).
        fn factorial(n: i8) -> f64;
        /// The sample standard deviation of `data`, read in place in shared memory.
        fn standard_deviation(data: &[f64]) -> f64;
        /// The Bessel function of the first kind of order 0 (gfortran's `bessel_j0`).
        fn besselj0(x: f64) -> f64;
        /// `s` reversed by the library (ASCII only: it reverses bytes).
        fn reverse_string(s: &str) -> String;
        /// `a + b`, element-wise.
        fn add_1d_arrays(a: &[f64], b: &[f64]) -> OutVec<f64>;
        /// The matrix product `a × b` of two 2-D `f64` arrays, computed by Fortran's
        /// `matmul` on column-major copies.
        fn matrix_multiply(a: ArrayRef<'_>, b: ArrayRef<'_>) -> Array;
    }
}

impl Fortran for FortranServer {
    fn sum_8bit(&mut self, a: i8, b: i8) -> Result<i8> {
        // SAFETY: pointers to locals that outlive the call.
        Ok(unsafe { self.c.sum_8bit(&a, &b) })
    }

    fn sum_16bit(&mut self, a: i16, b: i16) -> Result<i16> {
        // SAFETY: pointers to locals that outlive the call.
        Ok(unsafe { self.c.sum_16bit(&a, &b) })
    }

    fn sum_32bit(&mut self, a: i32, b: i32) -> Result<i32> {
        // SAFETY: pointers to locals that outlive the call.
        Ok(unsafe { self.c.sum_32bit(&a, &b) })
    }

    fn sum_64bit(&mut self, a: i64, b: i64) -> Result<i64> {
        // SAFETY: pointers to locals that outlive the call.
        Ok(unsafe { self.c.sum_64bit(&a, &b) })
    }

    fn multiply_float32(&mut self, a: f32, b: f32) -> Result<f32> {
        // SAFETY: pointers to locals that outlive the call.
        Ok(unsafe { self.c.multiply_float32(&a, &b) })
    }

    fn multiply_float64(&mut self, a: f64, b: f64) -> Result<f64> {
        // SAFETY: pointers to locals that outlive the call.
        Ok(unsafe { self.c.multiply_float64(&a, &b) })
    }

    fn is_positive(&mut self, a: f64) -> Result<bool> {
        // SAFETY: a pointer to a local that outlives the call.
        Ok(unsafe { self.c.is_positive(&a) != 0 })
    }

    fn add_or_subtract(&mut self, a: i32, b: i32, do_addition: bool) -> Result<i32> {
        let flag = Logical::from(do_addition);
        // SAFETY: pointers to locals that outlive the call.
        Ok(unsafe { self.c.add_or_subtract(&a, &b, &flag) })
    }

    fn factorial(&mut self, n: i8) -> Result<f64> {
        // SAFETY: a pointer to a local that outlives the call.
        Ok(unsafe { self.c.factorial(&n) })
    }

    fn standard_deviation(&mut self, data: &[f64]) -> Result<f64> {
        if data.len() < 2 {
            return Err(ServerError::value_error(format!(
                "a sample standard deviation needs at least 2 values, got {}",
                data.len()
            )));
        }
        let n = len_i32(data.len())?;
        // SAFETY: `data` holds `n` doubles.
        Ok(unsafe { self.c.standard_deviation(data.as_ptr(), &n) })
    }

    fn besselj0(&mut self, x: f64) -> Result<f64> {
        // SAFETY: a pointer to a local that outlives the call.
        Ok(unsafe { self.c.besselj0(&x) })
    }

    fn reverse_string(&mut self, s: &str) -> Result<String> {
        if !s.is_ascii() {
            return Err(ServerError::value_error(
                "the library reverses bytes: only ASCII text is supported",
            ));
        }
        let n = len_i32(s.len())?;
        let mut out = vec![0u8; s.len() + 1];
        // SAFETY: the library reads `n` characters of `s` and writes `n + 1` into
        // `out`, which has that many.
        unsafe {
            self.c
                .reverse_string(s.as_ptr().cast(), &n, out.as_mut_ptr().cast())
        };
        out.pop();
        String::from_utf8(out).map_err(|e| ServerError::new("LibraryError", e.to_string()))
    }

    fn add_1d_arrays(&mut self, a: &[f64], b: &[f64]) -> Result<OutVec<f64>> {
        if a.len() != b.len() {
            return Err(ServerError::value_error(format!(
                "the arrays differ in length: {} and {}",
                a.len(),
                b.len()
            )));
        }
        let n = len_i32(a.len())?;
        // SAFETY: Fortran writes all `n` doubles of `out` (in place in the reply's shared
        // memory) and reads `n` of `a` and `b`.
        unsafe {
            OutVec::filled(a.len(), |out| {
                self.c.add_1d_arrays(out, a.as_ptr(), b.as_ptr(), &n);
                Ok(())
            })
        }
    }

    fn matrix_multiply(&mut self, a: ArrayRef<'_>, b: ArrayRef<'_>) -> Result<Array> {
        let (r1, c1, a) = matrix("a", &a)?;
        let (r2, c2, b) = matrix("b", &b)?;
        if c1 != r2 {
            return Err(ServerError::value_error(format!(
                "cannot multiply a {r1}x{c1} matrix by a {r2}x{c2} matrix"
            )));
        }
        let (r1_, c1_, r2_, c2_) = (len_i32(r1)?, len_i32(c1)?, len_i32(r2)?, len_i32(c2)?);
        let out_len = r1
            .checked_mul(c2)
            .filter(|&n| n <= MAX_RESULT)
            .ok_or_else(|| {
                ServerError::value_error(format!("a {r1}x{c2} product is too large for the server"))
            })?;
        let (a_cm, b_cm) = (transpose(a, r1, c1), transpose(b, r2, c2));
        let mut out = vec![0.0; out_len];
        // SAFETY: the column-major buffers hold r1*c1, r2*c2 and r1*c2 doubles, as the
        // extents passed say.
        unsafe {
            self.c.matrix_multiply(
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
