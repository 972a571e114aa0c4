//! LAPACK and BLAS from Debian's 32-bit packages (`liblapack3:i386`, `libblas3:i386`), or
//! on Windows SciPy's 32-bit OpenBLAS DLL (`libscipy_openblas.dll`, from PyPI's
//! `scipy-openblas32`), called from this 64-bit program through a 32-bit server over
//! shared memory.
//!
//! It solves a random 1000×1000 system twice (the matrix copied into the call, then
//! allocated in shared memory and passed with no copy), checks the residual here on the
//! 64-bit side, and shows a few small results: determinant, inverse, eigenvalues.
//!
//! `LinearAlgebraClient` is the typed client `loadlib::interface!` generates from the
//! wrapper's declaration (`server32/src/wrappers/linear_algebra.rs`). Matrices are
//! row-major (C order) `f64`: pass an [`ArrayRef`] over your own data (copied into shared
//! memory for the call) or a `&SharedArray` from `alloc_array` (read in place by the
//! server: no copy).
//!
//! ```text
//! cargo run --release --example linear_algebra
//! cargo run --release --example linear_algebra --target x86_64-pc-windows-gnu
//! ```

use std::time::Instant;

use loadlib::{Array, ArrayRef, Client64};
use server32::wrappers::linear_algebra::LinearAlgebraClient;

/// A small xorshift64* generator: reproducible numbers with no extra crate.
struct Rng(u64);

impl Rng {
    /// A uniform number in [-1, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// ‖A·x − b‖ / ‖b‖ for row-major n×n `a`, in 64-bit arithmetic here.
fn relative_residual(a: &[f64], x: &[f64], b: &[f64]) -> f64 {
    let n = b.len();
    let mut r2 = 0.0;
    for (row, bi) in a.chunks(n).zip(b) {
        let ax: f64 = row.iter().zip(x).map(|(aij, xj)| aij * xj).sum();
        r2 += (ax - bi) * (ax - bi);
    }
    r2.sqrt() / b.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Runs `f`, prints `label` with its wall time, and returns its result.
fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    println!("  {label:.<52} {:>9.2} ms", t.elapsed().as_secs_f64() * 1e3);
    out
}

/// Prints a small row-major matrix, one row a line.
fn print_matrix(name: &str, m: &Array) {
    for (i, row) in m.to_rows::<f64>().expect("2-D f64").iter().enumerate() {
        // Rounding noise such as -1e-17 is shown as 0.
        let cells: Vec<String> = row
            .iter()
            .map(|&v| format!("{:9.4}", if v.abs() < 5e-5 { 0.0 } else { v }))
            .collect();
        let label = if i == 0 { name } else { "" };
        println!("  {label:>12} [{}]", cells.join(" "));
    }
}

fn main() -> loadlib::Result<()> {
    const N: usize = 1000;
    println!("Solving a random {N}x{N} system with LAPACK dgesv in a 32-bit server\n");

    let la = timed("start the 32-bit server", || {
        LinearAlgebraClient::start(Client64::builder("linear_algebra"))
    })?;
    if let Some(server) = la.client64() {
        println!(
            "  (server pid {}, a {}-bit process)",
            server.server_pid(),
            server.server_pointer_width()
        );
    }

    // 1. The matrix in an ordinary Vec, copied into shared memory for the call.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (a, b) = timed("build A and b in a Vec (64-bit side)", || {
        let a: Vec<f64> = (0..N * N).map(|_| rng.next()).collect();
        let b: Vec<f64> = (0..N).map(|_| rng.next()).collect();
        (a, b)
    });
    let matrix = ArrayRef::new(&a, &[N, N]).expect("N*N elements");
    let t = Instant::now();
    let x = timed("solve (A copied into the call)", || la.solve(matrix, &b))?;
    let gflops = 2.0 / 3.0 * (N as f64).powi(3) / t.elapsed().as_secs_f64() / 1e9;
    println!("  (≈ {gflops:.1} GFLOP/s for dgesv's 2n³/3 operations, transfer included)");
    let res = timed("residual ‖Ax − b‖/‖b‖ (64-bit side)", || {
        relative_residual(&a, &x, &b)
    });
    println!("  relative residual = {res:.3e}\n");

    // 2. The matrix allocated in shared memory, filled in place, passed with no copy.
    let mut shared = timed("allocate A in shared memory", || {
        la.alloc_array::<f64>(&[N, N])
    })?;
    timed("fill A in place (same numbers)", || {
        shared.copy_from_slice(&a)
    });
    let x2 = timed("solve (zero-copy: &SharedArray)", || la.solve(&shared, &b))?;
    let res2 = timed("residual ‖Ax − b‖/‖b‖ (64-bit side)", || {
        relative_residual(&shared, &x2, &b)
    });
    println!("  relative residual = {res2:.3e}");
    let same = x.iter().zip(&x2).all(|(p, q)| p == q);
    println!("  both solutions identical: {same}");
    println!(
        "  (the zero-copy call skips copying {} MB; dgesv's n³ work dominates either way)",
        N * N * 8 / 1_000_000
    );
    timed("round trip of a 1x1 solve (bridge overhead)", || {
        let one = ArrayRef::new(&[2.0], &[1, 1]).expect("1x1");
        la.solve(one, &[1.0])
    })?;
    println!();
    assert!(res < 1e-8 && res2 < 1e-8, "residual too large");

    // 3. Small matrices.
    println!("Small examples");
    let m = [[4.0, -2.0, 1.0], [3.0, 6.0, -4.0], [2.0, 1.0, 8.0]];
    let flat = m.concat();
    let m3 = ArrayRef::new(&flat, &[3, 3]).expect("3x3");
    print_matrix("A =", &Array::new(vec![3, 3], flat.clone()).expect("3x3"));
    println!("  {:>12} {}", "det(A) =", la.determinant(&m3)?);
    let inv = la.inverse(&m3)?;
    print_matrix("inv(A) =", &inv);
    let product = la.matrix_multiply(&m3, &inv)?;
    print_matrix("A·inv(A) =", &product);

    let angle = std::f64::consts::FRAC_PI_6;
    let rot = [angle.cos(), -angle.sin(), angle.sin(), angle.cos()];
    println!("\n  eigenvalues of a rotation by 30° (cos 30° ± i sin 30°):");
    // Eigenvalues come as an n×2 array of (real, imaginary) rows.
    let eig = la.eigenvalues(ArrayRef::new(&rot, &[2, 2]).expect("2x2"))?;
    for pair in eig.to_rows::<f64>().expect("n×2 f64") {
        let (re, im) = (pair[0], pair[1]);
        println!(
            "  {:>12} {re:.6} {} {:.6}i",
            "",
            if im < 0.0 { '-' } else { '+' },
            im.abs()
        );
    }
    let sym = [2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0];
    let eig = la.eigenvalues(ArrayRef::new(&sym, &[3, 3]).expect("3x3"))?;
    let re: Vec<String> = eig
        .to_rows::<f64>()
        .expect("n×2 f64")
        .iter()
        .map(|pair| format!("{:.6}", pair[0]))
        .collect();
    println!(
        "  eigenvalues of [[2,1,0],[1,2,1],[0,1,2]] (2, 2 ± √2): {}",
        re.join(", ")
    );

    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    println!(
        "\n  stdev of 1..=9: sample {:.10}, population {:.10}",
        la.stdev(&data, false)?,
        la.stdev(&data, true)?
    );
    println!(
        "  [1, 2, 3] × [4, 5, 6] = {:?}",
        la.cross_product(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0])?
    );
    let singular = [1.0, 2.0, 2.0, 4.0];
    let singular = ArrayRef::new(&singular, &[2, 2]).expect("2x2");
    match la.solve(singular, &[1.0, 2.0]) {
        Err(loadlib::Error::Server32 { name, message, .. }) => {
            println!("  solving with [[1,2],[2,4]] -> {name}: {message}")
        }
        other => println!("  unexpected: {other:?}"),
    }

    drop(shared);
    let server = la.into_connection().into_client64().expect("a server");
    let out = server.shutdown_server32()?;
    println!("\nserver exited: {}", out.status);
    Ok(())
}
