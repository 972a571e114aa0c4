//! `solve32`: the floor that isolates the bridge for `solve`: the `linear_algebra`
//! wrapper itself (the same 32-bit LAPACK, the same checks and column-major copy, then
//! `dgesv`), called in process by a 32-bit program, with no bridge in between.
//!
//! Usage: `solve32 N ITERS [LAPACK]`. Prints the total nanoseconds of ITERS solves of a
//! diagonally dominant N×N system (the limits benchmark reads it through criterion's
//! `iter_custom`).

use std::time::Instant;

use loadlib::server::{Kwargs, Server32};
use loadlib::ArrayRef;
use server32::wrappers::linear_algebra::{LinearAlgebra, LinearAlgebraServer};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(iters)) = (
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
        args.get(2).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: solve32 N ITERS [LAPACK]");
        std::process::exit(2);
    };
    let mut kwargs = Kwargs::default();
    if let Some(path) = args.get(3) {
        kwargs.0.insert("lapack".into(), path.clone());
    }
    let mut wrapper = LinearAlgebraServer::new(&kwargs).unwrap_or_else(|e| {
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
    let matrix = ArrayRef::new(&a, &[n, n]).expect("an n×n matrix");
    // One solve first, untimed: the bridge's server is warm too (LAPACK and BLAS
    // initialised, their pages and threads in place).
    let mut start = Instant::now();
    for i in 0..=iters {
        if i == 1 {
            start = Instant::now();
        }
        let x = wrapper.solve(matrix.clone(), &rhs).unwrap_or_else(|e| {
            eprintln!("solve32: {e}");
            std::process::exit(1)
        });
        assert_eq!(x.len(), n);
        std::hint::black_box(&x);
    }
    println!("{}", start.elapsed().as_nanos());
}
