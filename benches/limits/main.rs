//! Close to the limit: the bridge measured beside the physical floors, in one run.
//!
//! * floors: a raw atomic ping-pong between this 64-bit process and a 32-bit one, `memcpy`
//!   of the payload, the same library function called in-process from its 64-bit build,
//!   and, for copied arrays of 10^3..10^5 f64, the least two processes do (the 32-bit
//!   library called between a ping and its pong, the copies on this side);
//! * the bridge: small calls (one at a time by name and through the typed client, and
//!   pipelined), `scalar_multiply` of 10^3..10^7 f64 and LAPACK `solve` at n = 100, 500,
//!   1000 (typed clients), over shared memory with copied arrays, with arrays allocated in
//!   the segment (no copy), and over the file transport;
//! * foreign calls (functions declared with `foreign!`, no server code): `add`,
//!   `scalar_multiply` of 10^6 f64 in the segment, and LAPACK's `dgesv_` at n = 1000.
//!
//! Ends with a table of medians and their ratios to the matching floor.
//!
//! ```text
//! cargo bench --bench limits
//! ```

#[path = "../common/estimates.rs"]
mod estimates;
mod floors;
mod foreign;
mod original;
mod report;

use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use loadlib::{ArrayRef, Client64, Transport};
use server32::wrappers::linear_algebra::LinearAlgebraClient;
use server32::wrappers::testlib::TestLibClient;

pub const SCALAR_SIZES: [usize; 5] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];
pub const SOLVE_SIZES: [usize; 3] = [100, 500, 1000];
pub const BATCH: usize = 10_000;

fn start(module: &str, transport: Transport) -> Client64 {
    Client64::builder(module)
        .transport(transport)
        .request_timeout(Duration::from_secs(120))
        .start()
        .expect("start server32")
}

fn testlib(transport: Transport) -> TestLibClient {
    TestLibClient::new(start("testlib", transport)).expect("the testlib interface")
}

fn small_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("small_call");
    let shm = testlib(Transport::SharedMemory);
    let file = testlib(Transport::File);
    // `shm` and `file` call `add` by name: the bare call path, measured against the
    // ping-pong floor (it allocates nothing). `shm_typed` is the same call through the
    // typed method, which also collects its arguments into a `Vec`.
    for (name, client) in [("shm", &shm), ("file", &file)] {
        g.bench_function(name, |b| {
            let mut i = 0i32;
            b.iter(|| {
                i = i.wrapping_add(1);
                let r: i32 = client.request("add", (i, 1i32)).unwrap();
                assert_eq!(r, i.wrapping_add(1));
            })
        });
    }
    g.bench_function("shm_typed", |b| {
        let mut i = 0i32;
        b.iter(|| {
            i = i.wrapping_add(1);
            assert_eq!(shm.add(i, 1).unwrap(), i.wrapping_add(1));
        })
    });
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("shm_pipelined", |b| {
        b.iter(|| {
            let r = shm
                .client64()
                .expect("a server")
                .batch(|b| {
                    for i in 0..BATCH as i32 {
                        b.submit("add", (i, 1i32))?;
                    }
                    Ok(())
                })
                .unwrap();
            assert_eq!(r.len(), BATCH);
        })
    });
    g.finish();
}

fn scalar_multiply(c: &mut Criterion) {
    let mut g = c.benchmark_group("scalar_multiply");
    let shm = testlib(Transport::SharedMemory);
    let file = testlib(Transport::File);
    for n in SCALAR_SIZES {
        if n >= 1_000_000 {
            g.sample_size(10);
        }
        g.throughput(Throughput::Bytes(8 * n as u64));
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        for (name, client) in [("shm_copy", &shm), ("file", &file)] {
            g.bench_with_input(BenchmarkId::new(name, n), &x, |b, x| {
                b.iter(|| {
                    let y = client.scalar_multiply(2.0, x).unwrap();
                    assert_eq!(y.len(), x.len());
                })
            });
        }
        // Copied arrays into the caller's buffer: `x` is copied into the request, the
        // library writes the result in the request's bulk segment, and it is copied back
        // into `y` (an `Out` parameter: nothing of `y` is sent).
        let mut y = vec![0.0f64; n];
        shm.scalar_multiply_into(2.0, &x, &mut y).unwrap();
        assert_eq!(y[n - 1], 2.0 * (n - 1) as f64);
        g.bench_function(BenchmarkId::new("shm_copy_into", n), |b| {
            b.iter(|| shm.scalar_multiply_into(2.0, &x, &mut y).unwrap())
        });
        let mut xs = shm.alloc_array::<f64>(&[n]).unwrap();
        xs.copy_from_slice(&x);
        let mut out = shm.alloc_array::<f64>(&[n]).unwrap();
        shm.scalar_multiply_into(2.0, &xs, &mut out).unwrap();
        assert_eq!(out[n - 1], 2.0 * (n - 1) as f64);
        g.bench_function(BenchmarkId::new("shm_shared", n), |b| {
            b.iter(|| shm.scalar_multiply_into(2.0, &xs, &mut out).unwrap())
        });
    }
    g.finish();
}

/// A well-conditioned n×n system (diagonally dominant) and its right-hand side.
pub fn system(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut a: Vec<f64> = (0..n * n).map(|_| rnd()).collect();
    for i in 0..n {
        a[i * n + i] += n as f64;
    }
    let b = (0..n).map(|_| rnd()).collect();
    (a, b)
}

fn solve(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve");
    g.sample_size(10);
    let linear_algebra = |transport| {
        LinearAlgebraClient::new(start("linear_algebra", transport))
            .expect("the linear_algebra interface")
    };
    let shm = linear_algebra(Transport::SharedMemory);
    let file = linear_algebra(Transport::File);
    for n in SOLVE_SIZES {
        let (a, rhs) = system(n);
        let m = ArrayRef::new(&a, &[n, n]).unwrap();
        for (name, client) in [("shm_copy", &shm), ("file", &file)] {
            g.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| {
                    let x = client.solve(&m, &rhs).unwrap();
                    assert_eq!(x.len(), n);
                })
            });
        }
        let mut shared = shm.alloc_array::<f64>(&[n, n]).unwrap();
        shared.copy_from_slice(&a);
        g.bench_function(BenchmarkId::new("shm_shared", n), |b| {
            b.iter(|| {
                let x = shm.solve(&shared, &rhs).unwrap();
                assert_eq!(x.len(), n);
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = floors::pingpong, floors::memcpy, floors::in_process, floors::two_processes, floors::solve_32bit, small_calls, foreign::foreign, scalar_multiply, solve
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report::summary();
    original::side_by_side();
}
