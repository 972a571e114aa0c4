//! The Fortran example library through real servers of both widths, with its typed
//! client.

use loadlib::{Array, ArrayRef, Client64};
use server32::wrappers::fortran::FortranClient;

use crate::common::{self, assert_server_error, original, Config};

common::per_config! {
    integers: shm;
    reals_and_logicals: shm;
    functions: shm;
    strings_and_arrays: shm;
    matrix_multiply: shm;
    the_original_tools_values: shm;
}

fn close(got: f64, want: f64, rel: f64) {
    assert!((got - want).abs() <= rel * want.abs(), "{got} != {want}");
}

#[test]
fn default_server_is_32_bit() {
    let f = FortranClient::start(Client64::builder("fortran")).unwrap();
    assert_eq!(common::width(f.connection()), 32);
    assert_eq!(f.sum_32bit(1, 2).unwrap(), 3);
}

fn integers(cfg: &Config) {
    let f = &cfg.typed("fortran", FortranClient::from_connection);
    assert_eq!(f.sum_8bit(-50, 110).unwrap(), 60);
    assert_eq!(f.sum_16bit(i16::MAX, i16::MIN).unwrap(), -1);
    assert_eq!(f.sum_32bit(123_456_788, 1).unwrap(), 123_456_789);
    assert_eq!(
        f.sum_64bit(1 << 62, 1 << 61).unwrap(),
        6_917_529_027_641_081_856
    );
    assert_eq!(f.add_or_subtract(1000, 2000, true).unwrap(), 3000);
    assert_eq!(f.add_or_subtract(1000, 2000, false).unwrap(), -1000);
}

fn reals_and_logicals(cfg: &Config) {
    let f = &cfg.typed("fortran", FortranClient::from_connection);
    assert_eq!(f.multiply_float32(1.5, -4.0).unwrap(), -6.0f32);
    assert_eq!(f.multiply_float64(5e-5, 2e-4).unwrap(), 5e-5 * 2e-4);
    assert!(f.is_positive(1e-100).unwrap());
    assert!(!f.is_positive(-1e-100).unwrap());
    assert!(!f.is_positive(0.0).unwrap());
}

fn functions(cfg: &Config) {
    let f = &cfg.typed("fortran", FortranClient::from_connection);
    assert_eq!(f.factorial(0).unwrap(), 1.0);
    assert_eq!(f.factorial(5).unwrap(), 120.0);
    assert_eq!(f.factorial(-3).unwrap(), 0.0);
    close(f.factorial(127).unwrap(), 3.012660018457658e213, 1e-14);
    close(f.besselj0(8.6).unwrap(), 0.014622991, 1e-7);
    close(f.besselj0(0.0).unwrap(), 1.0, 0.0);
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    close(
        f.standard_deviation(&data).unwrap(),
        2.7386127875258306,
        1e-14,
    );
}

fn strings_and_arrays(cfg: &Config) {
    let f = &cfg.typed("fortran", FortranClient::from_connection);
    assert_eq!(f.reverse_string("hello world!").unwrap(), "!dlrow olleh");
    assert_eq!(f.reverse_string("").unwrap(), "");
    let a: Vec<f64> = (0..10_000).map(f64::from).collect();
    let b: Vec<f64> = a.iter().map(|v| v * 0.5).collect();
    let want: Vec<f64> = a.iter().map(|v| v * 1.5).collect();
    assert_eq!(f.add_1d_arrays(&a, &b).unwrap(), want);
}

fn matrix_multiply(cfg: &Config) {
    let f = &cfg.typed("fortran", FortranClient::from_connection);
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let p = f
        .matrix_multiply(
            ArrayRef::new(&a, &[2, 3]).unwrap(),
            ArrayRef::new(&b, &[3, 2]).unwrap(),
        )
        .unwrap();
    assert_eq!(p.shape(), &[2, 2]);
    assert_eq!(
        p.to_rows::<f64>().unwrap(),
        vec![vec![22.0, 28.0], vec![49.0, 64.0]]
    );
    // (3x2)(2x3) = 3x3, not square inputs the other way round.
    let q = f
        .matrix_multiply(
            ArrayRef::new(&b, &[3, 2]).unwrap(),
            ArrayRef::new(&a, &[2, 3]).unwrap(),
        )
        .unwrap();
    let want = Array::from_rows(&[
        vec![9.0, 12.0, 15.0],
        vec![19.0, 26.0, 33.0],
        vec![29.0, 40.0, 51.0],
    ])
    .unwrap();
    assert_eq!(q, want);
    // A row vector times a column vector.
    let dot = f
        .matrix_multiply(
            ArrayRef::new(&a[..3], &[1, 3]).unwrap(),
            ArrayRef::new(&b[..3], &[3, 1]).unwrap(),
        )
        .unwrap();
    assert_eq!(dot.to_rows::<f64>().unwrap(), vec![vec![14.0]]);
}

#[test]
fn bad_input_is_an_error() {
    let f = FortranClient::start(Client64::builder("fortran")).unwrap();
    assert_server_error(f.standard_deviation(&[1.0]), "ValueError", "at least 2");
    assert_server_error(
        f.add_1d_arrays(&[1.0, 2.0], &[1.0]),
        "ValueError",
        "differ in length",
    );
    assert_server_error(f.reverse_string("naïve"), "ValueError", "ASCII");
    let m = [0.0f64; 6];
    let (a, b) = (
        ArrayRef::new(&m, &[2, 3]).unwrap(),
        ArrayRef::new(&m, &[2, 3]).unwrap(),
    );
    assert_server_error(
        f.matrix_multiply(&a, &b),
        "ValueError",
        "2x3 matrix by a 2x3",
    );
    let v = ArrayRef::new(&m, &[6]).unwrap();
    assert_server_error(f.matrix_multiply(&v, &a), "ValueError", "2-D");
    let empty = [0.0f64; 0];
    let (tall, wide) = (
        ArrayRef::new(&empty, &[100_000, 0]).unwrap(),
        ArrayRef::new(&empty, &[0, 100_000]).unwrap(),
    );
    assert_server_error(f.matrix_multiply(&tall, &wide), "ValueError", "too large");
    let zeros = f
        .matrix_multiply(ArrayRef::new(&empty, &[2, 0]).unwrap(), wide)
        .unwrap();
    assert_eq!(zeros.shape(), &[2, 100_000]);
    assert!(zeros.as_slice::<f64>().unwrap().iter().all(|&v| v == 0.0));
    let ints = [0i32; 6];
    let ints = ArrayRef::new(&ints, &[3, 2]).unwrap();
    assert_server_error(f.matrix_multiply(&a, &ints), "TypeError", "f64");
    // 200 does not fit an i8: an OverflowError saying so, not a type error.
    assert_server_error(
        f.request::<i8>("sum_8bit", (100i32, 200i32)),
        "OverflowError",
        "200 (i32) does not fit in i8 (range -128..=127)",
    );
    // The server is still there.
    assert_eq!(f.sum_8bit(1, 2).unwrap(), 3);
}

fn the_original_tools_values(cfg: &Config) {
    original::fortran_wrapper(&cfg.typed("fortran", FortranClient::from_connection));
}
