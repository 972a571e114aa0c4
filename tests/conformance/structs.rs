//! `#[repr(C)]` structs across `interface!` (`loadlib::WireStruct`): by value, by
//! reference, `&mut`, slices, `Vec`s and output slices, through 32- and 64-bit servers over
//! both transports and in process, with the same values everywhere; a struct handed to the
//! C++ library by value as it arrived; bytes of the wrong size are a `TypeError` naming
//! the struct. Also `usize`, `isize`, `char` and `Vec<String>` parameters and results.

use loadlib::server::ErrorKind;
use loadlib::Error;
use server32::wrappers::structs::{FourPoints, Point, Sample, StructsClient};

use crate::common::{self, Config};

common::per_config! {
    structs_cross_by_value_and_by_reference: every;
    slices_and_vecs_of_structs: every;
    writable_slices_of_structs: every;
    bytes_of_the_wrong_size_are_a_type_error_naming_the_struct: every;
    usize_isize_char_and_vec_of_strings: every;
}

/// The `structs` wrapper's client in this configuration; with whether it takes writable
/// slices (the file transport does not).
fn client(cfg: &Config) -> (&'static str, bool, StructsClient) {
    let client = cfg.typed("structs", StructsClient::from_connection);
    (cfg.label, !cfg.is_file(), client)
}

fn square(side: f64) -> FourPoints {
    let p = |x, y| Point { x, y };
    FourPoints {
        points: [p(0.0, 0.0), p(side, 0.0), p(side, side), p(0.0, side)],
    }
}

fn sample() -> Sample {
    Sample {
        id: 41,
        flags: 0x00ff,
        kind: 3,
        tag: -7,
        value: 1.25,
        total: -(1 << 40),
        counts: [1, -2, 3, -4],
    }
}

fn structs_cross_by_value_and_by_reference(cfg: &Config) {
    let (label, writable, c) = client(cfg);
    assert_eq!(c.sizes().unwrap(), [64, 32], "[{label}] the server's sizes");
    let sq = square(2.0);
    // By value, handed to the C++ library as it arrived.
    assert_eq!(c.distance_4_points(&sq).unwrap(), 8.0, "[{label}]");
    // By reference, read in place.
    assert_eq!(c.perimeter(&sq).unwrap(), 8.0, "[{label}]");
    // By value in and out.
    let moved = c.translate(&sq, 1.0, -1.0).unwrap();
    assert_eq!(moved.points[2], Point { x: 3.0, y: 1.0 }, "[{label}]");
    assert_eq!(moved.points[0], Point { x: 1.0, y: -1.0 }, "[{label}]");
    // `&mut`: the server's writes come back.
    if writable {
        let mut big = sq;
        c.scale(&mut big, 2.5).unwrap();
        assert_eq!(big, square(5.0), "[{label}]");
    }
    // Fields of every width keep their values.
    let s = sample();
    assert_eq!(
        c.bump(&s).unwrap(),
        Sample {
            id: 42,
            flags: 0xff00,
            kind: 6,
            tag: 7,
            value: 2.5,
            total: -(1 << 40) - 1,
            counts: [10, -20, 30, -40],
        },
        "[{label}]"
    );
    assert_eq!(c.total_or(Some(&s)).unwrap(), -(1 << 40), "[{label}]");
    assert_eq!(c.total_or(None::<&Sample>).unwrap(), -1, "[{label}]");
}

fn slices_and_vecs_of_structs(cfg: &Config) {
    let (label, _, c) = client(cfg);
    let ps: Vec<Point> = (0..1000)
        .map(|i| Point {
            x: (999 - i) as f64,
            y: i as f64 * 0.5,
        })
        .collect();
    assert_eq!(
        c.centroid(&ps).unwrap(),
        Point {
            x: 499.5,
            y: 249.75
        },
        "[{label}]"
    );
    assert_eq!(
        c.centroid(&square(4.0).points).unwrap(),
        Point { x: 2.0, y: 2.0 },
        "[{label}] an array"
    );
    let sorted = c.sorted_by_x(&ps).unwrap();
    assert_eq!(sorted.len(), 1000, "[{label}]");
    assert_eq!(sorted[0], Point { x: 0.0, y: 499.5 }, "[{label}]");
    assert_eq!(sorted[999], Point { x: 999.0, y: 0.0 }, "[{label}]");
    let e = c.centroid(&[]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Server32 {
                kind: ErrorKind::ValueError,
                ..
            }
        ),
        "[{label}] {e}"
    );
}

/// Writable slices of structs go with single calls over shared memory and in process (the
/// file transport refuses writable slices of any type).
fn writable_slices_of_structs(cfg: &Config) {
    let (label, writable, c) = client(cfg);
    if !writable {
        let e = c.reflect(&mut [Point::default()]).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "[{label}] {e}");
        return;
    }
    let mut ps = vec![Point { x: 1.0, y: 2.0 }, Point { x: 3.0, y: 4.0 }];
    c.reflect(&mut ps).unwrap();
    assert_eq!(
        ps,
        [Point { x: 2.0, y: 1.0 }, Point { x: 4.0, y: 3.0 }],
        "[{label}]"
    );
    let mut out = [Point { x: -1.0, y: -1.0 }; 5];
    c.line(0.5, &mut out).unwrap();
    assert_eq!(out[4], Point { x: 4.0, y: 2.0 }, "[{label}]");
    assert_eq!(out[0], Point { x: 0.0, y: 0.0 }, "[{label}]");
    // Above the ring's inline limit: through the bulk segment.
    let mut many = vec![Point::default(); 100_000];
    c.line(-1.0, &mut many).unwrap();
    assert_eq!(
        many[99_999],
        Point {
            x: 99_999.0,
            y: -99_999.0
        },
        "[{label}]"
    );
}

fn bytes_of_the_wrong_size_are_a_type_error_naming_the_struct(cfg: &Config) {
    let (label, _, c) = client(cfg);
    let cases = [
        c.call("perimeter", (&[0u8; 48][..],)),
        c.call("translate", (&[0u8; 65][..], 0.0, 0.0)),
        c.call("centroid", (&[0u8; 24][..],)),
        c.call("perimeter", (&[0.0f64; 8][..],)),
    ];
    let messages: Vec<String> = cases
        .into_iter()
        .map(|r| match r {
            Err(Error::Server32 {
                kind: ErrorKind::TypeError,
                message,
                ..
            }) => message,
            other => panic!("[{label}] expected a TypeError, got {other:?}"),
        })
        .collect();
    assert!(
        messages[0].contains("expected a FourPoints (64 bytes), got 48 bytes"),
        "[{label}] {}",
        messages[0]
    );
    assert!(
        messages[1].contains("expected a FourPoints (64 bytes), got 65 bytes"),
        "[{label}] {}",
        messages[1]
    );
    assert!(
        messages[2].contains("expected Point structs of 16 bytes each, got 24 bytes"),
        "[{label}] {}",
        messages[2]
    );
    assert!(
        messages[3].contains("expected FourPoints as bytes, got array<f64; 1-D>"),
        "[{label}] {}",
        messages[3]
    );
    // The client works on.
    assert_eq!(c.perimeter(&square(1.0)).unwrap(), 4.0, "[{label}]");
}

fn usize_isize_char_and_vec_of_strings(cfg: &Config) {
    let (label, _, c) = client(cfg);
    assert_eq!(c.half(7).unwrap(), 3, "[{label}]");
    assert_eq!(c.pred(-5).unwrap(), -6, "[{label}]");
    assert_eq!(c.next_char('a').unwrap(), 'b', "[{label}]");
    assert_eq!(c.next_char('\u{10fff}').unwrap(), '\u{11000}', "[{label}]");
    let names = ["α", "b", ""];
    assert_eq!(
        c.tagged(&names, '→').unwrap(),
        ["α→", "b→", "→"],
        "[{label}]"
    );
    let owned: Vec<String> = vec!["x".into()];
    assert_eq!(c.tagged(&owned, ';').unwrap(), ["x;"], "[{label}]");
    assert_eq!(
        c.tagged(&[] as &[String], ';').unwrap(),
        Vec::<String>::new()
    );
    // Beyond a 32-bit server's usize: an OverflowError there, the value elsewhere.
    let big = usize::try_from(1u64 << 33).expect("a 64-bit client");
    let wide = c.half(big);
    if cfg.width == 32 {
        match wide {
            Err(Error::Server32 {
                kind: ErrorKind::Overflow,
                message,
                ..
            }) => assert!(
                message.contains(
                    "8589934592 does not fit in usize (range 0..=4294967295) in this 32-bit server"
                ),
                "[{label}] {message}"
            ),
            other => panic!("[{label}] expected an OverflowError, got {other:?}"),
        }
    } else {
        assert_eq!(wide.unwrap(), big / 2, "[{label}]");
    }
    // A surrogate is not a char: refused before the call, by type.
    let e = c.call("next_char", (0xd800u32,)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Server32 {
                kind: ErrorKind::ValueError,
                ..
            }
        ),
        "[{label}] {e}"
    );
}
