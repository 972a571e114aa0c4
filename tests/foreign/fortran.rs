//! The Fortran example library declared with `foreign!` alone
//! (`server32::declared::fortran`): every function, by reference as Fortran passes its
//! arguments, through real 32- and 64-bit servers.

use loadlib::foreign::Logical;
use server32::declared::fortran::FortranLib;

use crate::common::{self, original, Config};

common::per_config! {
    integers_of_every_width: shm;
    reals_and_logicals: shm;
    arrays_and_strings: shm;
    a_matrix_shorter_than_its_dimensions_is_an_error: shm;
    the_original_tools_values: shm;
}

/// The bundled Fortran library in a new server of `cfg`'s width.
fn load(cfg: &Config) -> FortranLib {
    // SAFETY: the bundled library, declared as defined in csrc/fortran_lib32.f90.
    let lib = unsafe { FortranLib::load_with(cfg.foreign_builder(), cfg.library("fortran")) }
        .expect("load fortran_lib32");
    cfg.check_width(lib.library().client());
    lib
}

fn integers_of_every_width(cfg: &Config) {
    let f = &load(cfg);
    assert_eq!(f.sum_8bit(-50, 110).unwrap(), 60);
    assert_eq!(f.sum_16bit(i16::MAX, -1).unwrap(), 32766);
    assert_eq!(f.sum_32bit(123456788, 1).unwrap(), 123456789);
    assert_eq!(
        f.sum_64bit(-(2i64.pow(62)), 1).unwrap(),
        -(2i64.pow(62)) + 1
    );
    assert_eq!(f.factorial(0).unwrap(), 1.0);
    assert_eq!(f.factorial(10).unwrap(), 3628800.0);
    // 127! rounds differently with x87's extended precision (gfortran -m32).
    let big = (1..=127).map(f64::from).product::<f64>();
    assert!((f.factorial(127).unwrap() / big - 1.0).abs() < 1e-12);
    assert_eq!(f.factorial(-1).unwrap(), 0.0);
}

fn reals_and_logicals(cfg: &Config) {
    let f = &load(cfg);
    assert_eq!(f.multiply_float32(40.0, 2.5).unwrap(), 100.0f32);
    assert_eq!(f.multiply_float64(-1e300, 1e10).unwrap(), f64::NEG_INFINITY);
    assert!(f.is_positive(1e-300).unwrap().get());
    assert!(!f.is_positive(-1.0).unwrap().get());
    // The original tool's check: a 4-byte logical false subtracts.
    assert_eq!(
        f.add_or_subtract(1000, 2000, Logical(false)).unwrap(),
        -1000
    );
    assert_eq!(f.add_or_subtract(1000, 2000, Logical(true)).unwrap(), 3000);
    assert!((f.besselj0(2.40482555769577).unwrap()).abs() < 1e-12);
}

fn arrays_and_strings(cfg: &Config) {
    let f = &load(cfg);
    let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
    let sd = f.standard_deviation(&data, 10).unwrap();
    assert!((sd - 3.0276503540974917).abs() < 1e-12, "{sd}");
    let mut out = [0u8; 8];
    f.reverse_string("Fortran", 7, &mut out[..]).unwrap();
    assert_eq!(&out, b"nartroF\0");
    let (a, b) = ([1.0, 2.0, 3.0], [10.0, 20.0, 30.0]);
    let mut sum = [0.0; 3];
    f.add_1d_arrays(&mut sum, &a, &b, 3).unwrap();
    assert_eq!(sum, [11.0, 22.0, 33.0]);
    // [[1, 2, 3], [4, 5, 6]] x [[1, 2], [3, 4], [5, 6]], column-major.
    let a1 = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
    let a2 = [1.0, 3.0, 5.0, 2.0, 4.0, 6.0];
    let mut m = [0.0; 4];
    f.matrix_multiply(&mut m, &a1, 2, 3, &a2, 3, 2).unwrap();
    assert_eq!(m, [22.0, 49.0, 28.0, 64.0]);
}

fn a_matrix_shorter_than_its_dimensions_is_an_error(cfg: &Config) {
    let f = &load(cfg);
    let mut m = [0.0; 4];
    let err = f
        .matrix_multiply(&mut m, &[1.0; 6], 2, 3, &[1.0; 5], 3, 2)
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "argument `a2` of `matrix_multiply` holds 5 elements, but its length `r2 * c2` is 6"
        ),
        "{err}"
    );
}

fn the_original_tools_values(cfg: &Config) {
    original::fortran_foreign(&load(cfg));
}
