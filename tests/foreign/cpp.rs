//! The C++ example library declared with `foreign!` alone
//! (`server32::declared::cpp`): every function, through real 32- and 64-bit servers.

use server32::declared::cpp::{CppLib, FourPoints, NPoints, Point};

use crate::common::{self, original, Config};

common::per_config! {
    scalars: shm;
    arrays_in_and_out: shm;
    strings: shm;
    structs_by_value: shm;
    a_short_buffer_is_an_error_before_the_call: shm;
    the_original_tools_values: shm;
}

/// The bundled C++ library in a new server of `cfg`'s width.
fn load(cfg: &Config) -> CppLib {
    // SAFETY: the bundled library, declared as defined in csrc/cpp_lib32.cpp.
    let lib = unsafe { CppLib::load_with(cfg.foreign_builder(), cfg.library("cpp")) }
        .expect("load cpp_lib32");
    cfg.check_width(lib.library().client());
    lib
}

fn scalars(cfg: &Config) {
    let lib = &load(cfg);
    assert_eq!(lib.add(3, 14).unwrap(), 17);
    assert_eq!(lib.add(-2_000_000_000, -147_483_648).unwrap(), i32::MIN);
    assert_eq!(lib.subtract(43.2, 3.2).unwrap(), 40.0f32);
    assert_eq!(lib.add_or_subtract(10.0, 5.5, true).unwrap(), 15.5);
    assert_eq!(lib.add_or_subtract(10.0, 5.5, false).unwrap(), 4.5);
}

fn arrays_in_and_out(cfg: &Config) {
    let lib = &load(cfg);
    let x: Vec<f64> = (0..1000).map(f64::from).collect();
    let mut y = vec![0.0; 1000];
    lib.scalar_multiply(2.5, &x, 1000, &mut y).unwrap();
    assert!(y.iter().zip(&x).all(|(y, x)| *y == 2.5 * x));
    // Large enough for the bulk segment, both ways.
    let x: Vec<f64> = (0..100_000).map(f64::from).collect();
    let mut y = vec![0.0; 100_000];
    lib.scalar_multiply(-1.0, &x, 100_000, &mut y).unwrap();
    assert_eq!(y[99_999], -99_999.0);
    // In shared memory: no copy at all.
    let client = lib.library().client();
    let mut sx = client.alloc_array::<f64>(&[10]).unwrap();
    sx.iter_mut().enumerate().for_each(|(i, v)| *v = i as f64);
    let mut sy = client.alloc_array::<f64>(&[10]).unwrap();
    lib.scalar_multiply(3.0, &sx, 10, &mut sy).unwrap();
    assert_eq!(sy[9], 27.0);
}

fn strings(cfg: &Config) {
    let lib = &load(cfg);
    let s = "uncertainty";
    let mut out = [0u8; 11];
    lib.reverse_string_v1(s, s.len() as i32, &mut out[..])
        .unwrap();
    assert_eq!(&out, b"ytniatrecnu");
    let back = lib.reverse_string_v2(s, s.len() as i32).unwrap().unwrap();
    assert_eq!(
        back.iter().map(|&c| c as u8).collect::<Vec<_>>(),
        b"ytniatrecnu"
    );
}

fn structs_by_value(cfg: &Config) {
    let lib = &load(cfg);
    let square = FourPoints {
        points: [
            Point { x: 0.0, y: 0.0 },
            Point { x: 0.0, y: 1.0 },
            Point { x: 1.0, y: 1.0 },
            Point { x: 1.0, y: 0.0 },
        ],
    };
    assert_eq!(lib.distance_4_points(square).unwrap(), 4.0);
    let n = 1000;
    let circle: Vec<Point> = (0..n)
        .map(|i| {
            let t = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            Point {
                x: t.cos() / 2.0,
                y: t.sin() / 2.0,
            }
        })
        .collect();
    let pi = lib
        .distance_n_points(NPoints { n, points: &circle })
        .unwrap();
    assert!((pi - std::f64::consts::PI).abs() < 1e-5, "{pi}");
}

fn a_short_buffer_is_an_error_before_the_call(cfg: &Config) {
    let lib = &load(cfg);
    let x = [1.0; 3];
    let mut y = [0.0; 3];
    let err = lib.scalar_multiply(2.0, &x, 5, &mut y).unwrap_err();
    assert!(
        err.to_string().contains(
            "argument `xin` of `scalar_multiply` holds 3 elements, but its length `n` is 5"
        ),
        "{err}"
    );
    assert_eq!(lib.add(1, 2).unwrap(), 3, "the client is still usable");
}

fn the_original_tools_values(cfg: &Config) {
    original::cpp_foreign(&load(cfg));
}
