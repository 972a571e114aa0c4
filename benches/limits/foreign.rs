//! Foreign calls (functions declared with `foreign!`, no server code) beside the same
//! work through a typed interface and beside the floors: `add`, `scalar_multiply` of
//! 10^6 f64 with both arrays in the segment, and LAPACK's `dgesv_` at n = 1000 with the
//! matrix in the segment.

use criterion::{BenchmarkId, Criterion, Throughput};
use loadlib::foreign::FOREIGN_MODULE;
use loadlib::Client64;
use server32::declared::lapack::{Lapack, LAPACK};
use server32::declared::testlib::TestLib;

/// Size of the `scalar_multiply` row.
pub const FOREIGN_SCALAR: usize = 1_000_000;
/// Order of the `dgesv_` row.
pub const FOREIGN_SOLVE: usize = 1000;

fn builder() -> loadlib::Builder {
    Client64::builder(FOREIGN_MODULE).request_timeout(std::time::Duration::from_secs(120))
}

pub fn foreign(c: &mut Criterion) {
    let mut g = c.benchmark_group("foreign");
    // SAFETY: the bundled test library, declared as defined in csrc/loadlib_test.c.
    let lib = unsafe { TestLib::load_with(builder(), server32::paths::library("test", 32)) }
        .expect("load the 32-bit test library");
    g.bench_function("add", |b| {
        let mut i = 0i32;
        b.iter(|| {
            i = i.wrapping_add(1);
            assert_eq!(lib.add(i, 1).unwrap(), i.wrapping_add(1));
        })
    });
    let n = FOREIGN_SCALAR;
    let client = lib.library().client();
    let mut x = client.alloc_array::<f64>(&[n]).unwrap();
    x.iter_mut().enumerate().for_each(|(i, v)| *v = i as f64);
    let mut y = client.alloc_array::<f64>(&[n]).unwrap();
    lib.scalar_multiply(2.0, &x, n as i32, &mut y).unwrap();
    assert_eq!(y[n - 1], 2.0 * (n - 1) as f64);
    g.sample_size(20);
    g.throughput(Throughput::Bytes(8 * n as u64));
    g.bench_function(BenchmarkId::new("scalar_multiply_shared", n), |b| {
        b.iter(|| lib.scalar_multiply(2.0, &x, n as i32, &mut y).unwrap())
    });

    // dgesv_ overwrites the matrix with its factors and the right-hand side with the
    // solution: each call starts from fresh copies, made in the segment (a memcpy of the
    // matrix, as the 32-bit in-process floor copies it too).
    let n = FOREIGN_SOLVE;
    // SAFETY: the system's LAPACK, declared with its reference interface.
    let lapack = unsafe { Lapack::load_with(builder(), LAPACK) }.expect("load LAPACK");
    let client = lapack.library().client();
    let (a, rhs) = crate::system(n);
    let mut shared_a = client.alloc_array::<f64>(&[n * n]).unwrap();
    let mut shared_b = client.alloc_array::<f64>(&[n]).unwrap();
    let (mut ipiv, mut info) = (vec![0i32; n], 0);
    g.sample_size(10);
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("dgesv", n), |b| {
        b.iter(|| {
            // The row-major system, read column-major: the transposed system, as well
            // conditioned.
            shared_a.copy_from_slice(&a);
            shared_b.copy_from_slice(&rhs);
            let ni = n as i32;
            lapack
                .dgesv_(
                    ni,
                    1,
                    &mut shared_a,
                    ni,
                    &mut ipiv,
                    &mut shared_b,
                    ni,
                    &mut info,
                )
                .unwrap();
            assert_eq!(info, 0);
        })
    });
    g.finish();
}
