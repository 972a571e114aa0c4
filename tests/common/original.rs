//! The values the original tool's own tests assert for its example libraries
//! (`msl-loadlib` 1.1.0, `tests/test_server32.py`: `test_cpp`, `test_fortran`,
//! `test_dotnet`), as checks that run against the bundled libraries (`tests/wrappers/`:
//! `cpp.rs`, `fortran.rs`, `dotnet.rs`; `tests/foreign/`: `cpp.rs`, `fortran.rs`) and
//! against the original libraries from its wheel (`tests/wrappers/original_libraries.rs`).
//! Where the original uses `pytest.approx`, so do these (relative 1e-6).
// `3.1415926` is the original test's factor, not an approximation of π.
#![allow(dead_code, clippy::approx_constant)]

use loadlib::foreign::Logical;
use loadlib::{Array, Value};
use server32::declared::cpp::{CppLib, FourPoints, NPoints, Point};
use server32::declared::fortran::FortranLib;
use server32::wrappers::cpp::CppClient;
use server32::wrappers::dotnet::DotNetClient;
use server32::wrappers::fortran::FortranClient;

/// `pytest.approx`'s default: equal within a relative 1e-6 (or 1e-12 absolute).
#[track_caller]
pub fn approx(got: f64, want: f64) {
    let tol = (want.abs() * 1e-6).max(1e-12);
    assert!((got - want).abs() <= tol, "{got} is not approx {want}");
}

/// `test_cpp`, through the `cpp` wrapper's typed client.
pub fn cpp_wrapper(c: &CppClient) {
    assert_eq!(c.add(1, 2).unwrap(), 3);
    assert_eq!(c.add(-1000, -2).unwrap(), -1002);
    approx(c.subtract(20.0, 10.0).unwrap().into(), 10.0);
    approx(c.subtract(90.0, 100.0).unwrap().into(), -10.0);
    approx(c.add_or_subtract(0.1234, -0.1234, true).unwrap(), 0.0);
    approx(c.add_or_subtract(123.456, 23.456, false).unwrap(), 100.0);
    let a = 3.1415926;
    let values: Vec<f64> = (0..100).map(f64::from).collect();
    let got = c.scalar_multiply(a, &values).unwrap();
    assert_eq!(got.len(), values.len());
    for (g, v) in got.iter().zip(&values) {
        approx(*g, a * v);
    }
    assert_eq!(c.reverse_string_v1("1234567890").unwrap(), "0987654321");
    assert_eq!(
        c.reverse_string_v2("&* 1 j z|x cba[").unwrap(),
        "[abc x|z j 1 *&"
    );
    let square = Array::new(vec![4, 2], vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]).unwrap();
    assert_eq!(c.distance_4_points(&square).unwrap(), 4.0);
    assert_eq!(c.circumference(0.5, 0).unwrap(), 0.0);
    assert_eq!(c.circumference(0.5, 2).unwrap(), 2.0);
    approx(c.circumference(0.5, 1 << 16).unwrap(), std::f64::consts::PI);
    approx(
        c.circumference(1.0, 1 << 16).unwrap(),
        std::f64::consts::TAU,
    );
}

/// The original's `Cpp32.circumference`: `n` points on a circle of `radius`, passed in an
/// `NPoints` to `distance_n_points`.
fn circumference(lib: &CppLib, radius: f64, n: usize) -> f64 {
    let delta = if n == 0 {
        0.0
    } else {
        std::f64::consts::TAU / n as f64
    };
    let points: Vec<Point> = (0..n)
        .map(|i| {
            let theta = delta * i as f64;
            Point {
                x: radius * theta.cos(),
                y: radius * theta.sin(),
            }
        })
        .collect();
    lib.distance_n_points(NPoints {
        n: n as i32,
        points: &points,
    })
    .unwrap()
}

/// `test_cpp`, through the C++ library's declarations (`foreign!`), called as the
/// original's `Cpp32` calls it.
pub fn cpp_foreign(lib: &CppLib) {
    assert_eq!(lib.add(1, 2).unwrap(), 3);
    assert_eq!(lib.add(-1000, -2).unwrap(), -1002);
    approx(lib.subtract(20.0, 10.0).unwrap().into(), 10.0);
    approx(lib.subtract(90.0, 100.0).unwrap().into(), -10.0);
    approx(lib.add_or_subtract(0.1234, -0.1234, true).unwrap(), 0.0);
    approx(lib.add_or_subtract(123.456, 23.456, false).unwrap(), 100.0);
    let a = 3.1415926;
    let values: Vec<f64> = (0..100).map(f64::from).collect();
    let mut out = vec![0.0; values.len()];
    lib.scalar_multiply(a, &values, 100, &mut out).unwrap();
    for (g, v) in out.iter().zip(&values) {
        approx(*g, a * v);
    }
    // As `Cpp32`: a buffer of `n` chars for v1; `n` chars copied from v2's result.
    let s = "1234567890";
    let mut rev = vec![0u8; s.len()];
    lib.reverse_string_v1(s, s.len() as i32, &mut rev[..])
        .unwrap();
    assert_eq!(rev, b"0987654321");
    let s = "&* 1 j z|x cba[";
    let rev = lib.reverse_string_v2(s, s.len() as i32).unwrap().unwrap();
    let rev: Vec<u8> = rev.iter().map(|&c| c as u8).collect();
    assert_eq!(rev, b"[abc x|z j 1 *&");
    let p = |x, y| Point { x, y };
    let four = FourPoints {
        points: [p(0.0, 0.0), p(0.0, 1.0), p(1.0, 1.0), p(1.0, 0.0)],
    };
    assert_eq!(lib.distance_4_points(four).unwrap(), 4.0);
    assert_eq!(circumference(lib, 0.5, 0), 0.0);
    assert_eq!(circumference(lib, 0.5, 2), 2.0);
    approx(circumference(lib, 0.5, 1 << 16), std::f64::consts::PI);
    approx(circumference(lib, 1.0, 1 << 16), std::f64::consts::TAU);
}

/// `test_fortran`, through the `fortran` wrapper's typed client.
pub fn fortran_wrapper(f: &FortranClient) {
    assert_eq!(f.sum_8bit(-128, 1).unwrap(), -127);
    assert_eq!(f.sum_16bit(i16::MAX, -1).unwrap(), 32766);
    assert_eq!(f.sum_32bit(123456788, 1).unwrap(), 123456789);
    assert_eq!(f.sum_64bit(i64::MIN, 1).unwrap(), -9223372036854775807);
    approx(
        f.multiply_float32(40.874, -1284.131).unwrap().into(),
        -52487.570494,
    );
    approx(f.multiply_float64(1.1e100, 2.1e200).unwrap(), 2.31e300);
    assert!(f.is_positive(1e-100).unwrap());
    assert!(!f.is_positive(-1e-100).unwrap());
    assert_eq!(f.add_or_subtract(1000, 2000, true).unwrap(), 3000);
    assert_eq!(f.add_or_subtract(1000, 2000, false).unwrap(), -1000);
    assert_eq!(f.factorial(0).unwrap() as i64, 1);
    assert_eq!(f.factorial(1).unwrap() as i64, 1);
    assert_eq!(f.factorial(5).unwrap() as i64, 120);
    let data: Vec<f64> = (1..10).map(f64::from).collect();
    approx(f.standard_deviation(&data).unwrap(), 2.73861278752583);
    approx(f.besselj0(8.0).unwrap(), 0.171650807137);
    assert_eq!(f.reverse_string("hello world!").unwrap(), "!dlrow olleh");
    let a: Vec<f64> = (1..1000).map(f64::from).collect();
    let b: Vec<f64> = a.iter().map(|v| 3.0 * v).collect();
    let sum = f.add_1d_arrays(&a, &b).unwrap();
    assert_eq!(sum.len(), a.len());
    for ((s, x), y) in sum.iter().zip(&a).zip(&b) {
        approx(*s, x + y);
    }
    let m1 = Array::from_rows(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]).unwrap();
    let m2 = Array::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]).unwrap();
    let m = f
        .matrix_multiply(&m1, &m2)
        .unwrap()
        .to_rows::<f64>()
        .unwrap();
    approx(m[0][0], 22.0);
    approx(m[0][1], 28.0);
    approx(m[1][0], 49.0);
    approx(m[1][1], 64.0);
}

/// `test_fortran`, through the Fortran library's declarations (`foreign!`), every
/// argument by reference and `LOGICAL`s of 4 bytes, as the original's `Fortran32` passes
/// them.
pub fn fortran_foreign(f: &FortranLib) {
    assert_eq!(f.sum_8bit(-128, 1).unwrap(), -127);
    assert_eq!(f.sum_16bit(i16::MAX, -1).unwrap(), 32766);
    assert_eq!(f.sum_32bit(123456788, 1).unwrap(), 123456789);
    assert_eq!(f.sum_64bit(i64::MIN, 1).unwrap(), -9223372036854775807);
    approx(
        f.multiply_float32(40.874, -1284.131).unwrap().into(),
        -52487.570494,
    );
    approx(f.multiply_float64(1.1e100, 2.1e200).unwrap(), 2.31e300);
    assert!(f.is_positive(1e-100).unwrap().get());
    assert!(!f.is_positive(-1e-100).unwrap().get());
    assert_eq!(f.add_or_subtract(1000, 2000, Logical(true)).unwrap(), 3000);
    assert_eq!(
        f.add_or_subtract(1000, 2000, Logical(false)).unwrap(),
        -1000
    );
    assert_eq!(f.factorial(0).unwrap() as i64, 1);
    assert_eq!(f.factorial(1).unwrap() as i64, 1);
    assert_eq!(f.factorial(5).unwrap() as i64, 120);
    let data: Vec<f64> = (1..10).map(f64::from).collect();
    approx(f.standard_deviation(&data, 9).unwrap(), 2.73861278752583);
    approx(f.besselj0(8.0).unwrap(), 0.171650807137);
    let s = "hello world!";
    let mut rev = vec![0u8; s.len() + 1];
    f.reverse_string(s, s.len() as i32, &mut rev[..]).unwrap();
    assert_eq!(&rev[..s.len()], b"!dlrow olleh");
    let a: Vec<f64> = (1..1000).map(f64::from).collect();
    let b: Vec<f64> = a.iter().map(|v| 3.0 * v).collect();
    let mut sum = vec![0.0; a.len()];
    f.add_1d_arrays(&mut sum, &a, &b, a.len() as i32).unwrap();
    for ((s, x), y) in sum.iter().zip(&a).zip(&b) {
        approx(*s, x + y);
    }
    // [[1, 2, 3], [4, 5, 6]] × [[1, 2], [3, 4], [5, 6]], column-major.
    let mut m = [0.0; 4];
    let m1 = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
    let m2 = [1.0, 3.0, 5.0, 2.0, 4.0, 6.0];
    f.matrix_multiply(&mut m, &m1, 2, 3, &m2, 3, 2).unwrap();
    approx(m[0], 22.0);
    approx(m[2], 28.0);
    approx(m[1], 49.0);
    approx(m[3], 64.0);
}

/// `DotNet64`'s class names: two in the `DotNetMSL` namespace, two at the top level.
pub const BASIC_MATH: &str = "DotNetMSL.BasicMath";
/// See [`BASIC_MATH`].
pub const ARRAYS: &str = "DotNetMSL.ArrayManipulation";
/// See [`BASIC_MATH`].
pub const STRINGS: &str = "StringManipulation";
/// See [`BASIC_MATH`].
pub const STATIC: &str = "StaticClass";

/// `test_dotnet`, through the `dotnet` wrapper's typed client, calling the classes and
/// methods the original's `DotNet32` calls.
pub fn dotnet(n: &DotNetClient) {
    let call = |class: &str, method: &str, args: Vec<loadlib::ValueRef<'_>>| -> Value {
        n.invoke(class, method, args)
            .unwrap_or_else(|e| panic!("{class}.{method}: {e}"))
    };
    let names: Vec<String> = n
        .class_names()
        .unwrap()
        .into_iter()
        .map(|v| match v {
            Value::Str(s) => s,
            other => panic!("a class name {other:?}"),
        })
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    for name in [STRINGS, BASIC_MATH, ARRAYS, STATIC] {
        assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    }
    assert_eq!(
        call(BASIC_MATH, "add_integers", vec![4.into(), 5.into()]),
        Value::I32(9)
    );
    let Value::F32(q) = call(
        BASIC_MATH,
        "divide_floats",
        vec![4.0f32.into(), 5.0f32.into()],
    ) else {
        panic!("divide_floats returns a float")
    };
    approx(q.into(), 0.8);
    let Value::F64(p) = call(
        BASIC_MATH,
        "multiply_doubles",
        vec![872.24.into(), 525.525.into()],
    ) else {
        panic!("multiply_doubles returns a double")
    };
    approx(p, 458383.926);
    for (add, want) in [(true, 108.0), (false, 90.0)] {
        let got = call(
            BASIC_MATH,
            "add_or_subtract",
            vec![99.0.into(), 9.0.into(), add.into()],
        );
        assert_eq!(got, Value::F64(want));
    }
    let a = 7.13141;
    let values: Vec<f64> = (0..1000).map(f64::from).collect();
    let Value::Array(got) = call(ARRAYS, "scalar_multiply", vec![a.into(), (&values).into()])
    else {
        panic!("scalar_multiply returns an array")
    };
    for (g, v) in got.as_slice::<f64>().unwrap().iter().zip(&values) {
        approx(*g, a * v);
    }
    assert_eq!(
        call(STRINGS, "reverse_string", vec!["New Zealand".into()]),
        Value::Str("dnalaeZ weN".into())
    );
    let m1 = Array::from_rows(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]).unwrap();
    let m2 = Array::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]).unwrap();
    let Value::Array(m) = call(
        ARRAYS,
        "multiply_matrices",
        vec![(&m1).into(), (&m2).into()],
    ) else {
        panic!("multiply_matrices returns an array")
    };
    let m = m.to_rows::<f64>().unwrap();
    approx(m[0][0], 22.0);
    approx(m[0][1], 28.0);
    approx(m[1][0], 49.0);
    approx(m[1][1], 64.0);
    let args: Vec<loadlib::ValueRef<'_>> = [11, -22, 33, -44, 55].map(Into::into).into();
    assert_eq!(call(STATIC, "add_multiple", args), Value::I32(33));
    for (d, want) in [
        (false, "the experiment worked "),
        (true, "the experiment worked temporarily"),
    ] {
        let args = vec![
            "the ".into(),
            "experiment ".into(),
            "worked ".into(),
            d.into(),
            "temporarily".into(),
        ];
        assert_eq!(call(STATIC, "concatenate", args), Value::Str(want.into()));
    }
}
