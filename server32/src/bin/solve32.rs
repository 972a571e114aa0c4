//! `solve32`: the floor that isolates the bridge for `solve`: the same 32-bit LAPACK that
//! the `linear_algebra` wrapper loads, called in process by a 32-bit program doing the
//! wrapper's work (a column-major copy of the matrix, then `dgesv`).
//!
//! Usage: `solve32 N ITERS [LAPACK]`. Prints the total nanoseconds of ITERS solves of a
//! diagonally dominant N×N system (the limits benchmark reads it through criterion's
//! `iter_custom`).

use std::time::Instant;

loadlib::library! {
    /// `DGESV(N, NRHS, A, LDA, IPIV, B, LDB, INFO)`.
    struct Lapack: extern "C" {
        fn dgesv_(
            n: *const i32,
            nrhs: *const i32,
            a: *mut f64,
            lda: *const i32,
            ipiv: *mut i32,
            b: *mut f64,
            ldb: *const i32,
            info: *mut i32,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(iters)) = (
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
        args.get(2).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: solve32 N ITERS [LAPACK]");
        std::process::exit(2);
    };
    let path = args.get(3).map_or("liblapack.so.3", String::as_str);
    // SAFETY: loading LAPACK runs only its initialisers; `dgesv_` has the declared
    // Fortran signature (every argument by reference).
    let lapack = unsafe { Lapack::load(path) }.unwrap_or_else(|e| {
        eprintln!("solve32: {e}");
        std::process::exit(2)
    });
    // A diagonally dominant row-major system, as the benchmark sends.
    let a: Vec<f64> = (0..n * n)
        .map(|k| {
            if k / n == k % n {
                n as f64
            } else {
                ((k * 7919) % 1000) as f64 / 1000.0 - 0.5
            }
        })
        .collect();
    let rhs: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    // One solve first, untimed: the bridge's server is warm too (LAPACK and BLAS
    // initialised, their pages and threads in place).
    let mut start = Instant::now();
    for i in 0..=iters {
        if i == 1 {
            start = Instant::now();
        }
        let mut col = vec![0.0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                col[j * n + i] = a[i * n + j];
            }
        }
        let mut x = rhs.clone();
        let mut ipiv = vec![0i32; n];
        let (ni, one, mut info) = (n as i32, 1i32, 0i32);
        // SAFETY: col is n*n, ipiv n, x n; leading dimensions n; all pointers live.
        unsafe {
            lapack.dgesv_(
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
        assert_eq!(info, 0, "dgesv failed");
        std::hint::black_box(&x);
    }
    println!("{}", start.elapsed().as_nanos());
}
