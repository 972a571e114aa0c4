//! The `linear_algebra` wrapper through a real 32-bit server over a 32-bit LAPACK and BLAS
//! (Debian's on Linux; SciPy's OpenBLAS DLL on Windows, installed by `.ci/install-wine`),
//! checked against independent 64-bit computations done here in plain Rust. Called through
//! its typed client.

use loadlib::{Array, ArrayRef, Client64};
use server32::wrappers::linear_algebra::LinearAlgebraClient;

use crate::common::{self, server_error, Config};

common::per_config! {
    dgesv_called_directly_with_the_matrix_in_shared_memory: [
        shm_server32,
        #[cfg_attr(
            windows,
            ignore = "under Wine only the 32-bit OpenBLAS DLL is installed (.ci/install-wine)"
        )]
        shm_server64,
    ];
}

fn client() -> LinearAlgebraClient {
    let c = LinearAlgebraClient::start(Client64::builder("linear_algebra"))
        .expect("start the linear_algebra server (needs the 32-bit LAPACK: bash .ci/install)");
    assert_eq!(c.client64().unwrap().server_pointer_width(), 32);
    c
}

fn mat(data: &[f64], rows: usize, cols: usize) -> ArrayRef<'_> {
    ArrayRef::new(data, &[rows, cols]).expect("shape matches")
}

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "element {i}: got {g}, want {w} (tol {tol})\n{got:?}\n{want:?}"
        );
    }
}

/// xorshift64*: uniform numbers in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

/// Row-major m×k times k×n, naively, in 64-bit.
fn naive_product(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for p in 0..k {
            for j in 0..n {
                c[i * n + j] += a[i * k + p] * b[p * n + j];
            }
        }
    }
    c
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// ‖A·x − b‖ / ‖b‖ in 64-bit.
fn relative_residual(a: &[f64], x: &[f64], b: &[f64]) -> f64 {
    let ax = naive_product(a, x, b.len(), b.len(), 1);
    let r: Vec<f64> = ax.iter().zip(b).map(|(p, q)| p - q).collect();
    norm(&r) / norm(b)
}

/// The determinant by Gaussian elimination with partial pivoting, in 64-bit.
fn determinant_64(a: &[f64], n: usize) -> f64 {
    let mut a = a.to_vec();
    let mut det = 1.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap();
        if p != c {
            for j in 0..n {
                a.swap(p * n + j, c * n + j);
            }
            det = -det;
        }
        det *= a[c * n + c];
        for r in c + 1..n {
            let f = a[r * n + c] / a[c * n + c];
            for j in c..n {
                a[r * n + j] -= f * a[c * n + j];
            }
        }
    }
    det
}

#[test]
fn solves_small_exact_systems() {
    let c = client();
    // 2x + y = 5, x + 3y = 10  →  x = 1, y = 3
    let x: Vec<f64> = c
        .solve(mat(&[2.0, 1.0, 1.0, 3.0], 2, 2), &[5.0, 10.0])
        .unwrap();
    assert_close(&x, &[1.0, 3.0], 1e-12);
    // A non-symmetric 3x3: a transpose mistake would give another answer.
    let a = [1.0, 2.0, 3.0, 0.0, 1.0, 4.0, 5.0, 6.0, 0.0];
    let want = [1.0, -2.0, 0.5];
    let b = naive_product(&a, &want, 3, 3, 1);
    let x: Vec<f64> = c.solve(mat(&a, 3, 3), &b).unwrap();
    assert_close(&x, &want, 1e-12);
}

#[test]
fn determinant_inverse_and_product() {
    let c = client();
    let a = [1.0, 2.0, 3.0, 0.0, 1.0, 4.0, 5.0, 6.0, 0.0];
    let det: f64 = c.determinant(mat(&a, 3, 3)).unwrap();
    assert!((det - 1.0).abs() < 1e-12, "det = {det}");
    let det: f64 = c.determinant(mat(&[0.0, 1.0, 1.0, 0.0], 2, 2)).unwrap();
    assert!((det + 1.0).abs() < 1e-15, "a row swap negates: det = {det}");
    let inv: Array = c.inverse(mat(&a, 3, 3)).unwrap();
    assert_eq!(inv.shape(), &[3, 3]);
    let inv = inv.as_slice::<f64>().unwrap();
    // The known inverse, and A·A⁻¹ = I computed here.
    assert_close(
        inv,
        &[-24.0, 18.0, 5.0, 20.0, -15.0, -4.0, -5.0, 4.0, 1.0],
        1e-12,
    );
    assert_close(
        &naive_product(&a, inv, 3, 3, 3),
        &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        1e-12,
    );

    let p: Array = c
        .matrix_multiply(
            mat(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3),
            mat(&[7.0, 8.0, 9.0, 10.0, 11.0, 12.0], 3, 2),
        )
        .unwrap();
    assert_eq!(
        p.to_rows::<f64>().unwrap(),
        vec![vec![58.0, 64.0], vec![139.0, 154.0]]
    );
    let p: Array = c
        .matrix_multiply(
            mat(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3),
            mat(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 2),
        )
        .unwrap();
    assert_eq!(
        p.to_rows::<f64>().unwrap(),
        vec![vec![22.0, 28.0], vec![49.0, 64.0]]
    );
}

#[test]
fn eigenvalues_real_and_complex() {
    let c = client();
    let e: Array = c.eigenvalues(mat(&[2.0, 0.0, 0.0, 3.0], 2, 2)).unwrap();
    assert_eq!(e.shape(), &[2, 2]);
    let mut rows = e.to_rows::<f64>().unwrap();
    rows.sort_by(|p, q| p[0].total_cmp(&q[0]));
    assert_close(&rows.concat(), &[2.0, 0.0, 3.0, 0.0], 1e-14);

    // A rotation by θ has eigenvalues cos θ ± i sin θ, the positive imaginary part first.
    let t = 0.7f64;
    let rot = [t.cos(), -t.sin(), t.sin(), t.cos()];
    let e = c.eigenvalues(mat(&rot, 2, 2)).unwrap();
    assert_close(
        e.as_slice::<f64>().unwrap(),
        &[t.cos(), t.sin(), t.cos(), -t.sin()],
        1e-14,
    );

    // Non-symmetric, real eigenvalues 1, 2, 3 (upper triangular); a transpose changes nothing.
    let u = [1.0, 5.0, -7.0, 0.0, 2.0, 4.0, 0.0, 0.0, 3.0];
    let e: Array = c.eigenvalues(mat(&u, 3, 3)).unwrap();
    let mut re: Vec<f64> = e.to_rows::<f64>().unwrap().iter().map(|r| r[0]).collect();
    re.sort_by(f64::total_cmp);
    assert_close(&re, &[1.0, 2.0, 3.0], 1e-12);
}

#[test]
fn stdev_and_cross_product() {
    let c = client();
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    let s: f64 = c.stdev(&data, false).unwrap();
    assert!((s - 2.7386127875).abs() < 1e-10, "sample stdev {s}");
    let p: f64 = c.stdev(&data, true).unwrap();
    assert!((p - 2.5819888974).abs() < 1e-10, "population stdev {p}");
    let v: Vec<f64> = c.cross_product(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
    assert_eq!(v, [-3.0, 6.0, -3.0]);
    let v: Vec<f64> = c.cross_product(&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0]).unwrap();
    assert_eq!(v, [0.0, 0.0, 1.0]);
}

#[test]
fn random_500_against_64_bit_results() {
    const N: usize = 500;
    let c = client();
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let a = rng.vec(N * N);
    let b = rng.vec(N);

    let x: Vec<f64> = c.solve(mat(&a, N, N), &b).unwrap();
    let res = relative_residual(&a, &x, &b);
    assert!(res < 1e-8, "relative residual {res}");

    // The same system through a shared array, passed with no copy: the same answer.
    let mut shared = c.alloc_array::<f64>(&[N, N]).unwrap();
    shared.copy_from_slice(&a);
    let x2: Vec<f64> = c.solve(&shared, &b).unwrap();
    assert_eq!(x, x2);

    let b2 = rng.vec(N * N);
    let p: Array = c.matrix_multiply(mat(&a, N, N), mat(&b2, N, N)).unwrap();
    assert_eq!(p.shape(), &[N, N]);
    let want = naive_product(&a, &b2, N, N, N);
    let diff: Vec<f64> = p
        .as_slice::<f64>()
        .unwrap()
        .iter()
        .zip(&want)
        .map(|(p, q)| p - q)
        .collect();
    assert!(norm(&diff) / norm(&want) < 1e-12, "product differs");

    // A non-square product: 7x500 · 500x3.
    let (l, r) = (rng.vec(7 * N), rng.vec(N * 3));
    let p: Array = c.matrix_multiply(mat(&l, 7, N), mat(&r, N, 3)).unwrap();
    assert_eq!(p.shape(), &[7, 3]);
    assert_close(
        p.as_slice::<f64>().unwrap(),
        &naive_product(&l, &r, 7, N, 3),
        1e-11,
    );

    let inv: Array = c.inverse(&shared).unwrap();
    let id = naive_product(&a, inv.as_slice::<f64>().unwrap(), N, N, N);
    let err = (0..N * N)
        .map(|i| (id[i] - f64::from(u8::from(i % (N + 1) == 0))).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-9, "A·inv(A) differs from I by {err}");

    let small = rng.vec(36);
    let det: f64 = c.determinant(mat(&small, 6, 6)).unwrap();
    let want = determinant_64(&small, 6);
    assert!(
        (det - want).abs() <= 1e-12 * want.abs().max(1.0),
        "det {det} vs {want}"
    );
}

#[test]
fn bad_input_is_a_clear_error_and_the_server_lives_on() {
    let c = client();
    let rect = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let m = mat(&rect, 2, 3);
    for (method, r) in [
        ("determinant", c.determinant(&m).map(|_| ())),
        ("inverse", c.inverse(&m).map(|_| ())),
        ("eigenvalues", c.eigenvalues(&m).map(|_| ())),
    ] {
        let (name, message) = server_error(r);
        assert_eq!(name, "ValueError", "{method}");
        assert!(
            message.contains("must be square, got 2x3"),
            "{method}: {message}"
        );
    }
    let (name, message) = server_error(c.solve(mat(&rect, 2, 3), &[1.0, 2.0]));
    assert_eq!(
        (name.as_str(), message.contains("square")),
        ("ValueError", true),
        "{message}"
    );

    let i3 = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let (name, message) = server_error(c.solve(mat(&i3, 3, 3), &[1.0, 2.0]));
    assert_eq!(name, "ValueError");
    assert!(
        message.contains("vector has 2 elements but matrix is 3x3"),
        "{message}"
    );
    let (name, message) = server_error(c.matrix_multiply(mat(&rect, 2, 3), mat(&rect, 2, 3)));
    assert_eq!(name, "ValueError");
    assert!(
        message.contains("cannot multiply a 2x3 matrix by a 2x3 matrix"),
        "{message}"
    );

    let singular = [1.0, 2.0, 2.0, 4.0];
    for (method, r) in [
        (
            "solve",
            c.solve(mat(&singular, 2, 2), &[1.0, 2.0]).map(|_| ()),
        ),
        ("inverse", c.inverse(mat(&singular, 2, 2)).map(|_| ())),
    ] {
        let (name, message) = server_error(r);
        assert_eq!(name, "ValueError", "{method}");
        assert!(message.contains("singular"), "{method}: {message}");
    }
    let det: f64 = c.determinant(mat(&singular, 2, 2)).unwrap();
    assert_eq!(det, 0.0);

    // Wrong rank or dtype, non-finite values, wrong lengths.
    let (name, message) = server_error(c.determinant(ArrayRef::from_slice(&[1.0, 2.0, 3.0, 4.0])));
    assert_eq!(name, "TypeError");
    assert!(message.contains("2-D"), "{message}");
    let ints = [1i32, 0, 0, 1];
    let (name, message) = server_error(c.inverse(ArrayRef::new(&ints, &[2, 2]).unwrap()));
    assert_eq!(name, "TypeError");
    assert!(message.contains("f64"), "{message}");
    let (name, message) = server_error(c.eigenvalues(mat(&[1.0, f64::NAN, 0.0, 1.0], 2, 2)));
    assert_eq!(name, "ValueError");
    assert!(message.contains("non-finite"), "{message}");
    let (name, _) = server_error(c.determinant(mat(&[], 0, 0)));
    assert_eq!(name, "ValueError");
    let (name, message) = server_error(c.cross_product(&[1.0, 2.0], &[3.0, 4.0, 5.0]));
    assert_eq!(name, "ValueError");
    assert!(message.contains("3-vectors"), "{message}");
    let (name, _) = server_error(c.stdev(&[1.0], false));
    assert_eq!(name, "ValueError");
    let s: f64 = c.stdev(&[1.0], true).unwrap();
    assert_eq!(s, 0.0);

    // Still serving.
    let x: Vec<f64> = c.solve(mat(&i3, 3, 3), &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(x, [1.0, 2.0, 3.0]);
}

#[test]
fn a_missing_lapack_fails_at_startup_with_its_path() {
    let r = Client64::builder("linear_algebra")
        .kwarg("lapack", "/nonexistent/liblapack.so.3")
        .start();
    let text = match r {
        Ok(_) => panic!("started without LAPACK"),
        Err(e) => e.to_string(),
    };
    assert!(text.contains("/nonexistent/liblapack.so.3"), "{text}");
}

/// Full paths of the 32-bit LAPACK and BLAS that the wrapper loads by name by default.
#[cfg(target_os = "linux")]
const LAPACK_AND_BLAS: [&str; 2] = [
    "/usr/lib/i386-linux-gnu/liblapack.so.3",
    "/usr/lib/i386-linux-gnu/libblas.so.3",
];
#[cfg(windows)]
const LAPACK_AND_BLAS: [&str; 2] = [
    r"C:\windows\syswow64\libscipy_openblas.dll",
    r"C:\windows\syswow64\libscipy_openblas.dll",
];

#[test]
fn explicit_lapack_and_blas_paths() {
    let [lapack, blas] = LAPACK_AND_BLAS;
    let c = LinearAlgebraClient::start(
        Client64::builder("linear_algebra")
            .kwarg("lapack", lapack)
            .kwarg("blas", blas),
    )
    .unwrap();
    let p: Array = c
        .matrix_multiply(mat(&[1.0, 2.0], 1, 2), mat(&[3.0, 4.0], 2, 1))
        .unwrap();
    assert_eq!(p.as_slice::<f64>().unwrap(), &[11.0]);
}

fn dgesv_called_directly_with_the_matrix_in_shared_memory(cfg: &Config) {
    use server32::declared::lapack::{Lapack, LAPACK};
    // SAFETY: the system's LAPACK, declared with its reference interface.
    let lapack = unsafe { Lapack::load_with(cfg.foreign_builder(), LAPACK) }.unwrap();
    let client = lapack.library().client();
    cfg.check_width(client);
    // [[4, 1], [2, 3]] x = [1, 2] (column-major), x = [0.1, 0.6]; and two
    // right-hand sides at once.
    let mut a = client.alloc_array::<f64>(&[4]).unwrap();
    a.copy_from_slice(&[4.0, 2.0, 1.0, 3.0]);
    let mut b = client.alloc_array::<f64>(&[4]).unwrap();
    b.copy_from_slice(&[1.0, 2.0, 5.0, 5.0]);
    let (mut ipiv, mut info) = ([0i32; 2], -1);
    lapack
        .dgesv_(2, 2, &mut a, 2, &mut ipiv, &mut b, 2, &mut info)
        .unwrap();
    assert_eq!(info, 0);
    assert_close(&b, &[0.1, 0.6, 1.0, 1.0], 1e-12);
    assert_eq!(ipiv, [1, 2]);
    // A singular matrix: LAPACK says which pivot is zero.
    let mut a = [1.0, 2.0, 2.0, 4.0];
    let mut b = [1.0, 1.0];
    lapack
        .dgesv_(2, 1, &mut a[..], 2, &mut ipiv, &mut b[..], 2, &mut info)
        .unwrap();
    assert_eq!(info, 2);
    // A matrix shorter than n·n is refused before the call.
    let err = lapack
        .dgesv_(3, 1, &mut a[..], 3, &mut ipiv, &mut b[..], 3, &mut info)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("argument `a` of `dgesv_` holds 4 elements, but its length `lda * n` is 9"),
        "{err}"
    );
}
