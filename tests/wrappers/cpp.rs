//! The C++ example library through real servers of both widths, with its typed client.

use loadlib::{Array, ArrayRef, Client64, Error};
use server32::wrappers::cpp::CppClient;

use crate::common::{self, original, Config};

common::per_config! {
    scalars: shm;
    scalar_multiply: shm;
    strings: shm;
    structs: shm;
    circumference_approaches_pi: shm;
    the_original_tools_values: shm;
}

/// `(x, y)` points as the `(n, 2)` array the library's point functions take.
fn points(p: &[(f64, f64)]) -> Array {
    let xy: Vec<f64> = p.iter().flat_map(|&(x, y)| [x, y]).collect();
    Array::new(vec![p.len(), 2], xy).expect("two values per point")
}

fn assert_value_error(r: loadlib::Result<impl std::fmt::Debug>, needle: &str) {
    common::assert_server_error(r, "ValueError", needle);
}

#[test]
fn default_server_is_32_bit() {
    let cpp = CppClient::start(Client64::builder("cpp")).unwrap();
    assert_eq!(common::width(cpp.connection()), 32);
    assert_eq!(cpp.add(3, 14).unwrap(), 17);
}

fn scalars(cfg: &Config) {
    let cpp = &cfg.typed("cpp", CppClient::from_connection);
    assert_eq!(cpp.add(3, 14).unwrap(), 17);
    assert_eq!(cpp.add(-2_000_000_000, -147_483_648).unwrap(), i32::MIN);
    assert_eq!(cpp.subtract(43.2, 3.2).unwrap(), 40.0f32);
    assert_eq!(cpp.add_or_subtract(10.0, 5.5, true).unwrap(), 15.5);
    assert_eq!(cpp.add_or_subtract(10.0, 5.5, false).unwrap(), 4.5);
}

fn scalar_multiply(cfg: &Config) {
    let cpp = &cfg.typed("cpp", CppClient::from_connection);
    let x: Vec<f64> = (0..1000).map(f64::from).collect();
    let want: Vec<f64> = x.iter().map(|v| v * -2.5).collect();
    assert_eq!(cpp.scalar_multiply(-2.5, &x).unwrap(), want);
    assert!(cpp.scalar_multiply(3.0, &[]).unwrap().is_empty());
}

fn strings(cfg: &Config) {
    let cpp = &cfg.typed("cpp", CppClient::from_connection);
    let s = "New Zealand";
    assert_eq!(cpp.reverse_string_v1(s).unwrap(), "dnalaeZ weN");
    assert_eq!(cpp.reverse_string_v2(s).unwrap(), "dnalaeZ weN");
    assert_eq!(cpp.reverse_string_v1("").unwrap(), "");
    assert_eq!(cpp.reverse_string_v2("").unwrap(), "");
    let long: String = (0..100_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let rev: String = long.chars().rev().collect();
    assert_eq!(cpp.reverse_string_v2(&long).unwrap(), rev);
    assert_value_error(cpp.reverse_string_v1("café"), "ASCII");
    assert_value_error(cpp.reverse_string_v2("日本"), "ASCII");
}

fn structs(cfg: &Config) {
    let cpp = &cfg.typed("cpp", CppClient::from_connection);
    let square = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)];
    assert_eq!(cpp.distance_4_points(&points(&square)).unwrap(), 4.0);
    let rect = [(0.0, 0.0), (3.0, 0.0), (3.0, 4.0), (0.0, 4.0)];
    assert_eq!(cpp.distance_4_points(&points(&rect)).unwrap(), 14.0);
    assert_eq!(cpp.distance_n_points(&points(&square)).unwrap(), 4.0);
    assert_eq!(
        cpp.distance_n_points(&points(&[(0.0, 0.0), (3.0, 4.0)]))
            .unwrap(),
        10.0
    );
    assert_eq!(cpp.distance_n_points(&points(&[(1.0, 1.0)])).unwrap(), 0.0);
    assert_eq!(cpp.distance_n_points(&points(&[])).unwrap(), 0.0);
}

fn circumference_approaches_pi(cfg: &Config) {
    let cpp = &cfg.typed("cpp", CppClient::from_connection);
    let mut last_error = f64::INFINITY;
    for i in 2..=16 {
        let c = cpp.circumference(0.5, 1 << i).unwrap();
        let error = std::f64::consts::PI - c;
        assert!(error > 0.0 && error < last_error, "n = 2^{i}: {c}");
        last_error = error;
    }
    assert!(last_error < 1e-6, "{last_error}");
    assert_eq!(cpp.circumference(1.0, 0).unwrap(), 0.0);
    assert_eq!(cpp.circumference(1.0, 1).unwrap(), 0.0);
    assert!((cpp.circumference(1.0, 2).unwrap() - 4.0).abs() < 1e-12);
}

#[test]
fn bad_input_is_an_error() {
    let cpp = CppClient::start(Client64::builder("cpp")).unwrap();
    assert_value_error(cpp.circumference(1.0, i64::from(u32::MAX)), "n must be");
    let three = ArrayRef::new(&[0.0f64; 6], &[3, 2]).unwrap();
    assert_value_error(cpp.distance_4_points(three), "4 points");
    let flat = [0.0f64; 8];
    assert_value_error(cpp.distance_n_points(ArrayRef::from_slice(&flat)), "(n, 2)");
    match cpp.distance_n_points(ArrayRef::from_slice(&[0i32; 8])) {
        Err(Error::Server32 { name, .. }) => assert_eq!(name, "TypeError"),
        other => panic!("{other:?}"),
    }
    // The server is still there.
    assert_eq!(cpp.add(1, 2).unwrap(), 3);
}

fn the_original_tools_values(cfg: &Config) {
    original::cpp_wrapper(&cfg.typed("cpp", CppClient::from_connection));
}
