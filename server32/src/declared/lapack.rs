//! LAPACK's `dgesv` declared with `foreign!`: Debian's 32-bit reference LAPACK
//! (`liblapack.so.3`) on Linux, SciPy's 32-bit OpenBLAS DLL (`libscipy_openblas.dll`,
//! every routine exported as `scipy_NAME_`) on Windows.

#[cfg(not(windows))]
loadlib::foreign! {
    /// LAPACK, called as Fortran: every argument by reference, matrices column-major.
    pub struct Lapack: extern "C" {
        /// Solves `A·X = B` for `X` (LU with partial pivoting): `A` is `n`×`n` (leading
        /// dimension `lda`) and is overwritten by its factors, `B` is `n`×`nrhs` and is
        /// overwritten by `X`; `info` is 0 on success.
        fn dgesv_(
            n: &i32,
            nrhs: &i32,
            #[len(lda * n)] a: &mut [f64],
            lda: &i32,
            #[out] #[len(n)] ipiv: &mut [i32],
            #[len(ldb * nrhs)] b: &mut [f64],
            ldb: &i32,
            #[out] info: &mut i32,
        );
    }
}

#[cfg(windows)]
loadlib::foreign! {
    /// LAPACK, called as Fortran: every argument by reference, matrices column-major.
    pub struct Lapack: extern "C" {
        /// Solves `A·X = B` (see the Linux declaration).
        #[link_name = "scipy_dgesv_"]
        fn dgesv_(
            n: &i32,
            nrhs: &i32,
            #[len(lda * n)] a: &mut [f64],
            lda: &i32,
            #[out] #[len(n)] ipiv: &mut [i32],
            #[len(ldb * nrhs)] b: &mut [f64],
            ldb: &i32,
            #[out] info: &mut i32,
        );
    }
}

/// The library `Lapack` loads by default.
#[cfg(not(windows))]
pub const LAPACK: &str = "liblapack.so.3";
/// The library `Lapack` loads by default.
#[cfg(windows)]
pub const LAPACK: &str = "libscipy_openblas.dll";
