//! `linear_algebra`: Debian's reference LAPACK and BLAS (`liblapack.so.3`, which links
//! `libblas.so.3`), or on Windows SciPy's OpenBLAS build (`libscipy_openblas.dll`),
//! called from the 32-bit server: solve, eigenvalues, determinant,
//! inverse and matrix product, plus a standard deviation (BLAS `dnrm2`) and a cross
//! product.
//!
//! Matrices arrive as 2-D row-major (C order) `f64` arrays, read in place from shared
//! memory. LAPACK is Fortran: column-major storage, every argument by reference, and a
//! hidden length (`size_t`) after the arguments for each `CHARACTER` argument. Each
//! method says how it deals with the row-major layout: `solve` transposes the matrix into
//! its column-major work copy; the others use an identity instead of a transpose (a
//! row-major `A` read column-major is `Aᵀ`, and `det Aᵀ = det A`, `(Aᵀ)⁻¹ = (A⁻¹)ᵀ`, and
//! so on). Every size is checked before LAPACK sees it: a wrong size there is a crash.

use loadlib::server::{Kwargs, Library, Result, Server32, ServerError, Symbol};
use loadlib::{Array, ArrayRef};

/// Fortran arguments by reference: `INTEGER` in, `INTEGER` out, `DOUBLE PRECISION` in,
/// `DOUBLE PRECISION` in/out, `CHARACTER` in.
type Int = *const i32;
type IntOut = *mut i32;
type Dbl = *const f64;
type DblOut = *mut f64;
type Chr = *const u8;
/// `DGESV(N, NRHS, A, LDA, IPIV, B, LDB, INFO)`
type Dgesv = unsafe extern "C" fn(Int, Int, DblOut, Int, IntOut, DblOut, Int, IntOut);
/// `DGETRF(M, N, A, LDA, IPIV, INFO)`
type Dgetrf = unsafe extern "C" fn(Int, Int, DblOut, Int, IntOut, IntOut);
/// `DGETRI(N, A, LDA, IPIV, WORK, LWORK, INFO)`
type Dgetri = unsafe extern "C" fn(Int, DblOut, Int, Int, DblOut, Int, IntOut);
/// `DGEEV(JOBVL, JOBVR, N, A, LDA, WR, WI, VL, LDVL, VR, LDVR, WORK, LWORK, INFO)` and
/// the hidden lengths of `JOBVL` and `JOBVR`.
#[rustfmt::skip]
type Dgeev = unsafe extern "C" fn(
    Chr, Chr, Int, DblOut, Int, DblOut, DblOut, DblOut, Int, DblOut, Int, DblOut, Int, IntOut,
    usize, usize,
);
/// `DGEMM(TRANSA, TRANSB, M, N, K, ALPHA, A, LDA, B, LDB, BETA, C, LDC)` and the hidden
/// lengths of `TRANSA` and `TRANSB`.
#[rustfmt::skip]
type Dgemm = unsafe extern "C" fn(
    Chr, Chr, Int, Int, Int, Dbl, Dbl, Int, Dbl, Int, Dbl, DblOut, Int, usize, usize,
);
/// `DNRM2(N, X, INCX)`: the Euclidean norm.
type Dnrm2 = unsafe extern "C" fn(Int, Dbl, Int) -> f64;

/// Wraps LAPACK (kwarg `lapack=PATH`, default `liblapack.so.3`, or
/// `libscipy_openblas.dll` on Windows) and BLAS (kwarg `blas=PATH`; by default found in
/// LAPACK's library or its own dependency on it, else `libblas.so.3`). Kwarg
/// `symbol_prefix` is put before every routine's name (`scipy_` for SciPy's OpenBLAS,
/// the default on Windows).
pub struct LinearAlgebraServer {
    dgesv: Dgesv,
    dgetrf: Dgetrf,
    dgetri: Dgetri,
    dgeev: Dgeev,
    dgemm: Dgemm,
    dnrm2: Dnrm2,
    _blas: Option<Library>,
    _lapack: Library,
}

/// The default LAPACK, its separate BLAS, and the prefix of their symbols.
#[cfg(not(windows))]
const DEFAULTS: (&str, &str, &str) = ("liblapack.so.3", "libblas.so.3", "");
/// On Windows: OpenBLAS as SciPy ships it for 32-bit Windows (PyPI `scipy-openblas32`,
/// one DLL holding LAPACK and BLAS, every routine exported as `scipy_NAME_`).
#[cfg(windows)]
const DEFAULTS: (&str, &str, &str) = ("libscipy_openblas.dll", "libscipy_openblas.dll", "scipy_");

impl Server32 for LinearAlgebraServer {
    const NAME: &'static str = "linear_algebra";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        let (default_lapack, default_blas, default_prefix) = DEFAULTS;
        let prefix = kwargs.get("symbol_prefix").unwrap_or(default_prefix);
        let name = |routine: &str| format!("{prefix}{routine}_").into_bytes();
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lapack = unsafe { Library::cdll(kwargs.get("lapack").unwrap_or(default_lapack)) }?;
        let blas = match kwargs.get("blas") {
            // SAFETY: the BLAS the user named; its initialisers run.
            Some(path) => Some(unsafe { Library::cdll(path) }?),
            // SAFETY: only probes whether the symbol exists; the pointer is never called.
            // (dlsym on liblapack's handle also searches its dependency libblas.)
            None if unsafe { lapack.function::<unsafe extern "C" fn()>(&name("dgemm")) }
                .is_ok() =>
            {
                None
            }
            // SAFETY: the system BLAS; its initialisers run.
            None => Some(unsafe { Library::cdll(default_blas) }?),
        };
        let blas_lib = blas.as_ref().unwrap_or(&lapack);
        // SAFETY: each type above is the routine's reference (gfortran) signature on
        // this target: INTEGER is 32-bit, DOUBLE PRECISION is f64, and the hidden
        // CHARACTER lengths are size_t. The libraries are kept in the struct, beside the
        // pointers taken out of their borrows.
        unsafe {
            Ok(LinearAlgebraServer {
                dgesv: Symbol::into_raw(lapack.function(&name("dgesv"))?),
                dgetrf: Symbol::into_raw(lapack.function(&name("dgetrf"))?),
                dgetri: Symbol::into_raw(lapack.function(&name("dgetri"))?),
                dgeev: Symbol::into_raw(lapack.function(&name("dgeev"))?),
                dgemm: Symbol::into_raw(blas_lib.function(&name("dgemm"))?),
                dnrm2: Symbol::into_raw(blas_lib.function(&name("dnrm2"))?),
                _blas: blas,
                _lapack: lapack,
            })
        }
    }
}

/// A size as a Fortran INTEGER.
fn fint(n: usize) -> Result<i32, ServerError> {
    i32::try_from(n)
        .map_err(|_| ServerError::value_error(format!("size {n} exceeds LAPACK's 32-bit INTEGER")))
}

/// A zeroed buffer of `len` doubles, or a `MemoryError` (not an abort) when the 32-bit
/// address space cannot hold it.
fn buffer(len: usize) -> Result<Vec<f64>, ServerError> {
    loadlib::server::zeroed_vec(len)
}

/// A 2-D `f64` matrix: (rows, columns, row-major elements), non-empty and finite.
fn matrix<'a>(m: &ArrayRef<'a>, what: &str) -> Result<(usize, usize, &'a [f64]), ServerError> {
    let &[rows, cols] = m.shape().dims() else {
        return Err(ServerError::type_error(format!(
            "{what} must be a 2-D array, got a {}-D array of shape {:?}",
            m.shape().rank(),
            m.shape().dims()
        )));
    };
    let data = m.as_slice::<f64>().ok_or_else(|| {
        ServerError::type_error(format!("{what} must hold f64, got {}", m.dtype()))
    })?;
    if rows == 0 || cols == 0 {
        return Err(ServerError::value_error(format!(
            "{what} is empty ({rows}x{cols})"
        )));
    }
    fint(rows.max(cols))?;
    finite(data, what)?;
    Ok((rows, cols, data))
}

/// A square matrix: (n, row-major elements).
fn square<'a>(m: &ArrayRef<'a>, what: &str) -> Result<(usize, &'a [f64]), ServerError> {
    let (rows, cols, data) = matrix(m, what)?;
    if rows != cols {
        return Err(ServerError::value_error(format!(
            "{what} must be square, got {rows}x{cols}"
        )));
    }
    Ok((rows, data))
}

/// Rejects NaN and infinities, which LAPACK does not promise to handle.
fn finite(data: &[f64], what: &str) -> Result<(), ServerError> {
    match data.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(ServerError::value_error(format!(
            "{what} has a non-finite element ({}) at flat index {i}",
            data[i]
        ))),
        None => Ok(()),
    }
}

/// A LAPACK `INFO < 0`: an argument this wrapper passed was wrong (a bug here).
fn check_args(routine: &str, info: i32) -> Result<(), ServerError> {
    if info < 0 {
        return Err(ServerError::new(
            "LapackError",
            format!("{routine}: argument {} had an illegal value", -info),
        ));
    }
    Ok(())
}

/// The error for `INFO = i > 0` from an LU factorisation.
fn singular(info: i32) -> ServerError {
    ServerError::value_error(format!(
        "matrix is singular: U({info},{info}) of its LU factorisation is exactly zero"
    ))
}

impl LinearAlgebraServer {
    /// LU-factorises `a` (n×n, column-major, overwritten) with `dgetrf`; returns the
    /// pivots and `INFO` (> 0: singular).
    fn lu(&mut self, a: &mut [f64], n: usize) -> Result<(Vec<i32>, i32), ServerError> {
        debug_assert_eq!(a.len(), n * n);
        let ni = fint(n)?;
        let mut ipiv = vec![0i32; n];
        let mut info = 0;
        // SAFETY: `a` holds n*n doubles with leading dimension n; `ipiv` holds n ints.
        unsafe { (self.dgetrf)(&ni, &ni, a.as_mut_ptr(), &ni, ipiv.as_mut_ptr(), &mut info) };
        check_args("dgetrf", info)?;
        Ok((ipiv, info))
    }
}

loadlib::interface! {
    /// Linear algebra in the 32-bit LAPACK and BLAS.
    pub trait LinearAlgebra => LinearAlgebraClient {
        /// Solves `matrix · x = vector` (`dgesv`: LU with partial pivoting) and returns `x`.
        ///
        /// `matrix` is n×n row-major; it is transposed into the column-major work copy
        /// LAPACK overwrites (the shared input is never written). `vector` has n elements.
        /// An exactly singular matrix is a `ValueError`.
        fn solve(matrix: ArrayRef<'_>, vector: &[f64]) -> Vec<f64>;
        /// The eigenvalues of a general real n×n matrix (`dgeev`, no eigenvectors), as an
        /// n×2 array whose row k is (real part, imaginary part) of eigenvalue k.
        ///
        /// They come in LAPACK's order: a complex-conjugate pair is consecutive, the one
        /// with positive imaginary part first. No transpose: `Aᵀ` has the same eigenvalues.
        fn eigenvalues(matrix: ArrayRef<'_>) -> Array;
        /// The determinant of an n×n matrix, from its LU factorisation (`dgetrf`): the
        /// product of U's diagonal, negated once per row interchange. A singular matrix
        /// gives 0. No transpose: `det Aᵀ = det A`. Overflows to ±inf for huge values.
        fn determinant(matrix: ArrayRef<'_>) -> f64;
        /// The inverse of an n×n matrix (`dgetrf` then `dgetri`), n×n row-major.
        ///
        /// No transpose: the row-major input read column-major is `Aᵀ`, LAPACK returns
        /// `(Aᵀ)⁻¹ = (A⁻¹)ᵀ` column-major, which read row-major is `A⁻¹`. An exactly singular
        /// matrix is a `ValueError`.
        fn inverse(matrix: ArrayRef<'_>) -> Array;
        /// The product `a · b` (BLAS `dgemm`) of an m×k and a k×n matrix: m×n row-major.
        ///
        /// No copy and no transpose: row-major `a`, `b` read column-major are `aᵀ`, `bᵀ`,
        /// and dgemm computes `bᵀ·aᵀ = (a·b)ᵀ` column-major, which read row-major is `a·b`.
        fn matrix_multiply(a: ArrayRef<'_>, b: ArrayRef<'_>) -> Array;
        /// The standard deviation of `data` (any shape, flattened): the population one
        /// (divide by n) when `as_population`, else the sample one (divide by n − 1).
        /// The norm of the deviations from the mean is BLAS `dnrm2` (no overflow).
        fn stdev(data: &[f64], as_population: bool) -> f64;
        /// The cross product `v1 × v2` of two 3-vectors (computed in the wrapper).
        fn cross_product(v1: &[f64], v2: &[f64]) -> Vec<f64>;
    }
}

impl LinearAlgebra for LinearAlgebraServer {
    fn solve(&mut self, matrix: ArrayRef<'_>, vector: &[f64]) -> Result<Vec<f64>> {
        let (n, a) = square(&matrix, "matrix")?;
        if vector.len() != n {
            return Err(ServerError::value_error(format!(
                "vector has {} elements but matrix is {n}x{n}",
                vector.len()
            )));
        }
        finite(vector, "vector")?;
        let mut col = buffer(n * n)?;
        // Blocked transpose: row-major `a` into column-major `col`.
        const B: usize = 32;
        for ib in (0..n).step_by(B) {
            for jb in (0..n).step_by(B) {
                for i in ib..(ib + B).min(n) {
                    for j in jb..(jb + B).min(n) {
                        col[j * n + i] = a[i * n + j];
                    }
                }
            }
        }
        let mut x = vector.to_vec();
        let mut ipiv = vec![0i32; n];
        let (ni, one, mut info) = (fint(n)?, 1i32, 0i32);
        // SAFETY: `col` is n*n doubles (LDA = n), `ipiv` n ints, `x` n doubles
        // (LDB = n, NRHS = 1); all sizes were checked above.
        unsafe {
            (self.dgesv)(
                &ni,
                &one,
                col.as_mut_ptr(),
                &ni,
                ipiv.as_mut_ptr(),
                x.as_mut_ptr(),
                &ni,
                &mut info,
            )
        };
        check_args("dgesv", info)?;
        if info > 0 {
            return Err(singular(info));
        }
        Ok(x)
    }

    fn eigenvalues(&mut self, matrix: ArrayRef<'_>) -> Result<Array> {
        let (n, a) = square(&matrix, "matrix")?;
        let mut work_a = buffer(n * n)?;
        work_a.copy_from_slice(a);
        let (mut wr, mut wi) = (buffer(n)?, buffer(n)?);
        let mut unused = [0.0f64; 1];
        let (ni, one, mut info) = (fint(n)?, 1i32, 0i32);
        let mut call = |work: &mut [f64], lwork: i32, info: &mut i32| {
            // SAFETY: `work_a` is n*n (LDA = n); `wr`, `wi` hold n; JOBVL = JOBVR = 'N'
            // so VL/VR are not referenced (LDVL = LDVR = 1 is allowed); `work` holds
            // max(1, lwork) doubles (lwork = -1 is the workspace query).
            unsafe {
                (self.dgeev)(
                    b"N".as_ptr(),
                    b"N".as_ptr(),
                    &ni,
                    work_a.as_mut_ptr(),
                    &ni,
                    wr.as_mut_ptr(),
                    wi.as_mut_ptr(),
                    unused.as_mut_ptr(),
                    &one,
                    unused.as_mut_ptr(),
                    &one,
                    work.as_mut_ptr(),
                    &lwork,
                    info,
                    1,
                    1,
                )
            }
        };
        let mut query = [0.0f64; 1];
        call(&mut query, -1, &mut info);
        check_args("dgeev (workspace query)", info)?;
        let lwork = (query[0] as usize).max(3 * n).max(1);
        let mut work = buffer(lwork)?;
        call(&mut work, fint(lwork)?, &mut info);
        check_args("dgeev", info)?;
        if info > 0 {
            return Err(ServerError::value_error(format!(
                "dgeev: the QR algorithm did not converge ({info} eigenvalues not found)"
            )));
        }
        let pairs = wr.iter().zip(&wi).flat_map(|(&re, &im)| [re, im]).collect();
        Ok(Array::new(vec![n, 2], pairs).expect("n x 2"))
    }

    fn determinant(&mut self, matrix: ArrayRef<'_>) -> Result<f64> {
        let (n, a) = square(&matrix, "matrix")?;
        let mut lu = buffer(n * n)?;
        lu.copy_from_slice(a);
        let (ipiv, _info) = self.lu(&mut lu, n)?;
        let mut det = 1.0;
        for (i, &p) in ipiv.iter().enumerate() {
            det *= lu[i * n + i];
            if p as usize != i + 1 {
                det = -det;
            }
        }
        Ok(det)
    }

    fn inverse(&mut self, matrix: ArrayRef<'_>) -> Result<Array> {
        let (n, a) = square(&matrix, "matrix")?;
        let mut inv = buffer(n * n)?;
        inv.copy_from_slice(a);
        let (ipiv, info) = self.lu(&mut inv, n)?;
        if info > 0 {
            return Err(singular(info));
        }
        let (ni, mut info) = (fint(n)?, 0i32);
        let mut query = [0.0f64; 1];
        // SAFETY: workspace query (LWORK = -1): `inv` n*n (LDA = n), `ipiv` n ints,
        // WORK holds one double.
        unsafe {
            (self.dgetri)(
                &ni,
                inv.as_mut_ptr(),
                &ni,
                ipiv.as_ptr(),
                query.as_mut_ptr(),
                &-1,
                &mut info,
            )
        };
        check_args("dgetri (workspace query)", info)?;
        let lwork = (query[0] as usize).max(n);
        let mut work = buffer(lwork)?;
        let lw = fint(lwork)?;
        // SAFETY: as above, with WORK holding `lwork` doubles.
        unsafe {
            (self.dgetri)(
                &ni,
                inv.as_mut_ptr(),
                &ni,
                ipiv.as_ptr(),
                work.as_mut_ptr(),
                &lw,
                &mut info,
            )
        };
        check_args("dgetri", info)?;
        if info > 0 {
            return Err(singular(info));
        }
        Ok(Array::new(vec![n, n], inv).expect("n x n"))
    }

    fn matrix_multiply(&mut self, a: ArrayRef<'_>, b: ArrayRef<'_>) -> Result<Array> {
        let (m, k, a) = matrix(&a, "a")?;
        let (k2, n, b) = matrix(&b, "b")?;
        if k != k2 {
            return Err(ServerError::value_error(format!(
                "cannot multiply a {m}x{k} matrix by a {k2}x{n} matrix: inner sizes differ"
            )));
        }
        let mut c = buffer(
            m.checked_mul(n)
                .ok_or_else(|| ServerError::value_error("product too large"))?,
        )?;
        let (mi, ni, ki) = (fint(m)?, fint(n)?, fint(k)?);
        // SAFETY: column-major, TRANSA = TRANSB = 'N': the first operand is `b` as an
        // n×k matrix (LDA = n, n*k doubles), the second `a` as k×m (LDB = k, k*m
        // doubles), the result n×m (LDC = n, `c` holds m*n doubles).
        unsafe {
            (self.dgemm)(
                b"N".as_ptr(),
                b"N".as_ptr(),
                &ni,
                &mi,
                &ki,
                &1.0,
                b.as_ptr(),
                &ni,
                a.as_ptr(),
                &ki,
                &0.0,
                c.as_mut_ptr(),
                &ni,
                1,
                1,
            )
        };
        Ok(Array::new(vec![m, n], c).expect("m x n"))
    }

    fn stdev(&mut self, data: &[f64], as_population: bool) -> Result<f64> {
        let n = data.len();
        let need = if as_population { 1 } else { 2 };
        if n < need {
            return Err(ServerError::value_error(format!(
                "the {} standard deviation needs at least {need} value(s), got {n}",
                if as_population {
                    "population"
                } else {
                    "sample"
                }
            )));
        }
        finite(data, "data")?;
        let mean = data.iter().sum::<f64>() / n as f64;
        let mut dev = buffer(n)?;
        for (d, x) in dev.iter_mut().zip(data) {
            *d = x - mean;
        }
        let ni = fint(n)?;
        // SAFETY: `dev` holds n doubles, INCX = 1.
        let norm = unsafe { (self.dnrm2)(&ni, dev.as_ptr(), &1) };
        Ok(norm / ((n + 1 - need) as f64).sqrt())
    }

    fn cross_product(&mut self, v1: &[f64], v2: &[f64]) -> Result<Vec<f64>> {
        let (&[a1, a2, a3], &[b1, b2, b3]) = (v1, v2) else {
            return Err(ServerError::value_error(format!(
                "the cross product needs two 3-vectors, got {} and {} elements",
                v1.len(),
                v2.len()
            )));
        };
        Ok(vec![
            a2 * b3 - a3 * b2,
            a3 * b1 - a1 * b3,
            a1 * b2 - a2 * b1,
        ])
    }
}
