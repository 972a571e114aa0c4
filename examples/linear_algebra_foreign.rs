//! Solves a random 1000×1000 linear system with LAPACK's `dgesv_` called **directly**: the
//! routine is declared with `loadlib::foreign!` (`server32/src/declared/lapack.rs`) and
//! the bundled 32-bit server calls it with no wrapper code. The matrix and the right-hand
//! side live in shared memory, column-major as Fortran wants them; LAPACK factors the
//! matrix and overwrites the right-hand side with the solution in place, so nothing is
//! copied either way. The same through a wrapper server: `examples/linear_algebra.rs`.
//!
//! Debian's 32-bit LAPACK (`liblapack3:i386`) on Linux; SciPy's 32-bit OpenBLAS DLL on
//! Windows.
//!
//! ```text
//! cargo run --release --example linear_algebra_foreign
//! ```

use std::time::Instant;

use server32::declared::lapack::{Lapack, LAPACK};

fn main() -> loadlib::Result<()> {
    const N: usize = 1000;
    let t = Instant::now();
    // SAFETY: the system's LAPACK, declared with its reference (gfortran) interface.
    let lapack = unsafe { Lapack::load(LAPACK) }?;
    let client = lapack.library().client();
    println!(
        "{LAPACK} in a {}-bit server, started in {:.1} ms",
        client.server_pointer_width(),
        t.elapsed().as_secs_f64() * 1e3
    );

    // A random, diagonally dominant matrix (so well conditioned), column-major, built in
    // shared memory; x = 1, 2, 3, … and b = A·x.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rng = move || {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut a = client.alloc_array::<f64>(&[N * N])?;
    for col in 0..N {
        for row in 0..N {
            a[col * N + row] = rng() + if row == col { N as f64 } else { 0.0 };
        }
    }
    let x: Vec<f64> = (1..=N).map(|i| i as f64).collect();
    let mut b = client.alloc_array::<f64>(&[N])?;
    for row in 0..N {
        b[row] = (0..N).map(|col| a[col * N + row] * x[col]).sum();
    }
    let keep = a.to_vec();

    let n = N as i32;
    let mut ipiv = vec![0i32; N];
    let mut info = -1;
    let t = Instant::now();
    lapack.dgesv_(n, 1, &mut a, n, &mut ipiv, &mut b, n, &mut info)?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(info, 0, "dgesv reported info = {info}");

    // The residual of the solution, here on the 64-bit side.
    let mut worst = 0.0f64;
    for row in 0..N {
        let ax: f64 = (0..N).map(|col| keep[col * N + row] * b[col]).sum();
        let bx: f64 = (0..N).map(|col| keep[col * N + row] * x[col]).sum();
        worst = worst.max((ax - bx).abs() / bx.abs());
    }
    let err = b
        .iter()
        .zip(&x)
        .map(|(s, x)| (s - x).abs())
        .fold(0.0, f64::max);
    println!("dgesv_ on {N}×{N} in shared memory: {ms:.1} ms, info = {info}");
    println!("largest error in x: {err:.2e}; largest relative residual: {worst:.2e}");
    println!("x[0..5] = {:?}", &b[..5]);
    Ok(())
}
