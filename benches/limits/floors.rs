//! The floors: what no bridge can beat.

use std::process::Command;

use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use loadlib::__private::shm::{self, Segment};
use server32::testkit::floor::{PingPong32, ScalarMultiplyFloor};

use crate::{system, SCALAR_SIZES, SOLVE_SIZES};

/// A raw atomic ping-pong with a 32-bit process: one round trip per iteration.
pub fn pingpong(c: &mut Criterion) {
    let mut peer = PingPong32::start(4096, &[]);
    c.bench_function("floor_pingpong_32bit", |b| b.iter(|| peer.round_trip()));
}

/// Sizes of the two-process floor: where moving the arrays between the two CPUs' caches
/// weighs against the in-process floor, which never does.
pub const TWO_PROCESS_SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// The least a bridge with copied arrays does across two processes
/// ([`ScalarMultiplyFloor`]): the in-process floor with two copies, plus what two
/// processes on two CPUs add to it.
pub fn two_processes(c: &mut Criterion) {
    let mut g = c.benchmark_group("floor_two_processes");
    for n in TWO_PROCESS_SIZES {
        let mut floor = ScalarMultiplyFloor::start(n);
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut y = vec![0.0f64; n];
        // The result is the library's (checked before the timed calls: the peer ends
        // after ten idle seconds, which criterion's analysis may take).
        floor.call(&x, &mut y);
        assert!(y.iter().enumerate().all(|(i, r)| *r == 2.0 * i as f64));
        g.bench_function(BenchmarkId::new("scalar_multiply_copied", n), |b| {
            b.iter(|| {
                floor.call(black_box(&x), &mut y);
                black_box(&mut y);
            })
        });
    }
    g.finish();
}

/// `n` doubles in a shared-memory segment of this process.
struct Shm(Segment, usize);

impl Shm {
    fn new(n: usize) -> Shm {
        let name = format!("{}-fl", shm::new_base_name().expect("a random name"));
        let seg = Segment::create(&name, (8 * n).max(4096)).expect("a segment");
        shm::unlink_all(&name);
        Shm(seg, n)
    }

    fn slice(&mut self) -> &mut [f64] {
        assert!(self.0.len() >= 8 * self.1);
        // SAFETY: the mapping is page-aligned, zero-filled, at least `8 * n` bytes long
        // (checked), and borrowed mutably through `self` only.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_ptr().cast(), self.1) }
    }
}

/// Copying the payload once: the floor for moving data.
pub fn memcpy(c: &mut Criterion) {
    let mut g = c.benchmark_group("floor_memcpy");
    for n in SCALAR_SIZES {
        if n >= 1_000_000 {
            g.sample_size(10);
        }
        g.throughput(Throughput::Bytes(8 * n as u64));
        let src: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut dst = vec![0.0f64; n];
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| dst.copy_from_slice(black_box(&src)))
        });
    }
    g.finish();
}

type Dgesv = unsafe extern "C" fn(
    *const i32,
    *const i32,
    *mut f64,
    *const i32,
    *mut i32,
    *mut f64,
    *const i32,
    *mut i32,
);

/// `solve` by the `linear_algebra` wrapper itself, called in process by a 32-bit program
/// (`solve32`: the same 32-bit LAPACK, checks and column-major copy, no bridge): the floor
/// that isolates the bridge.
pub fn solve_32bit(c: &mut Criterion) {
    let exe = loadlib::ServerExe::Named("solve32".into())
        .path()
        .expect("solve32 next to the benchmark");
    let mut g = c.benchmark_group("floor_in_process_32bit");
    g.sample_size(10);
    for n in SOLVE_SIZES {
        g.bench_function(BenchmarkId::new("solve", n), |b| {
            b.iter_custom(|iters| {
                let out = Command::new(&exe)
                    .args([n.to_string(), iters.to_string()])
                    .output()
                    .expect("run solve32");
                assert!(
                    out.status.success(),
                    "solve32: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let ns: u64 = String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .parse()
                    .expect("solve32 prints nanoseconds");
                std::time::Duration::from_nanos(ns)
            })
        });
    }
    g.finish();
}

/// The same library functions called in this process from their 64-bit builds.
pub fn in_process(c: &mut Criterion) {
    // SAFETY: loading our own test library and the system LAPACK runs only their
    // initialisers; the symbol types below are their C/Fortran signatures.
    let (test, lapack) = unsafe {
        (
            libloading::Library::new(server32::paths::TEST_LIB).expect("64-bit test library"),
            libloading::Library::new("liblapack.so.3").expect("64-bit LAPACK (Debian liblapack3)"),
        )
    };
    // SAFETY: see above.
    let (add, scalar_multiply, dgesv) = unsafe {
        (
            *test
                .get::<unsafe extern "C" fn(i32, i32) -> i32>(b"add")
                .unwrap(),
            *test
                .get::<unsafe extern "C" fn(f64, *const f64, i32, *mut f64)>(b"scalar_multiply")
                .unwrap(),
            *lapack.get::<Dgesv>(b"dgesv_").unwrap(),
        )
    };
    let mut g = c.benchmark_group("floor_in_process");
    let mut i = 0i32;
    g.bench_function("add", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            // SAFETY: plain integers.
            black_box(unsafe { add(black_box(i), 1) })
        })
    });
    for n in SCALAR_SIZES {
        if n >= 1_000_000 {
            g.sample_size(10);
        }
        // The library's arrays in shared memory, as the bridge's are: heap memory is at
        // times much slower here (seen: the same loop at 0.54 and 0.96 ms over 10^6
        // doubles from one run of the process to the next), which would flatter the bridge.
        let (mut xs, mut outs) = (Shm::new(n), Shm::new(n));
        xs.slice()
            .iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = i as f64);
        let x: &[f64] = xs.slice();
        let out: &mut [f64] = outs.slice();
        g.bench_function(BenchmarkId::new("scalar_multiply", n), |b| {
            // SAFETY: both buffers hold n doubles.
            b.iter(|| unsafe { scalar_multiply(2.0, x.as_ptr(), n as i32, out.as_mut_ptr()) })
        });
        // The least work a bridge with copied arrays does: the input copied into memory the
        // library reads, the call, and the result copied out of the memory it wrote into
        // the caller's buffer (four buffers, as across two processes).
        let (mut a, mut b2, mut y) = (Shm::new(n), Shm::new(n), vec![0.0f64; n]);
        let (a, b2) = (a.slice(), b2.slice());
        g.bench_function(BenchmarkId::new("scalar_multiply_copied", n), |b| {
            b.iter(|| {
                a.copy_from_slice(black_box(x));
                // SAFETY: both buffers hold n doubles.
                unsafe { scalar_multiply(2.0, a.as_ptr(), n as i32, b2.as_mut_ptr()) };
                y.copy_from_slice(b2);
                black_box(&mut y);
            })
        });
        // The same, with the result copied into a new `Vec`, as a call that returns one
        // makes it: the least work for that is the floor above plus fresh memory for the
        // result, with the huge-page advice the client gives a large one.
        g.bench_function(BenchmarkId::new("scalar_multiply_new_vec", n), |b| {
            b.iter(|| {
                a.copy_from_slice(black_box(x));
                // SAFETY: both buffers hold n doubles.
                unsafe { scalar_multiply(2.0, a.as_ptr(), n as i32, b2.as_mut_ptr()) };
                let mut v = Vec::with_capacity(n);
                if 8 * n >= loadlib::__private::HUGE_COPY {
                    loadlib::__private::prefer_huge_pages(v.spare_capacity_mut());
                }
                v.extend_from_slice(b2);
                black_box(v)
            })
        });
    }
    g.sample_size(10);
    for n in SOLVE_SIZES {
        let (a, rhs) = system(n);
        g.bench_function(BenchmarkId::new("solve", n), |b| {
            b.iter(|| {
                // The same work as the wrapper: a column-major copy, then dgesv.
                let mut col = vec![0.0f64; n * n];
                for i in 0..n {
                    for j in 0..n {
                        col[j * n + i] = a[i * n + j];
                    }
                }
                let mut x = rhs.clone();
                let mut ipiv = vec![0i32; n];
                let (ni, one, mut info) = (n as i32, 1i32, 0i32);
                // SAFETY: col is n*n, ipiv n, x n; leading dimensions n.
                unsafe {
                    dgesv(
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
                assert_eq!(info, 0);
                black_box(x)
            })
        });
    }
    g.finish();
}
