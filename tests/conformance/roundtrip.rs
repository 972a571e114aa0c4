//! Every value type and dtype, arrays of rank 0 to 3, through every transport and both
//! server widths and in process: what comes back equals what was sent, with the same type.

use loadlib::{Array, ArrayRef, DType, Element, FromValue, Value, ValueRef};

use crate::common::{self, Config};

fn scalars() -> Vec<Value> {
    vec![
        Value::None,
        Value::Bool(true),
        Value::Bool(false),
        Value::I8(i8::MIN),
        Value::I16(i16::MIN + 1),
        Value::I32(-123_456_789),
        Value::I64(i64::MIN + 7),
        Value::U8(u8::MAX),
        Value::U16(u16::MAX - 1),
        Value::U32(u32::MAX - 2),
        Value::U64(u64::MAX - 3),
        Value::F32(-1.5e-30),
        Value::F64(std::f64::consts::E),
        Value::F64(f64::INFINITY),
        Value::Str(String::new()),
        Value::Str("naïve café, 日本語, emoji 🦀".into()),
        Value::Bytes(vec![0, 1, 2, 255, 254]),
        Value::Bytes(Vec::new()),
        Value::List(vec![
            Value::I8(1),
            Value::Str("x".into()),
            Value::List(vec![Value::None]),
        ]),
        Value::Map(vec![
            ("a".into(), Value::F32(1.0)),
            ("ü".into(), Value::Bytes(vec![9])),
        ]),
    ]
}

/// An array of `T` with the given shape and distinct values.
fn array_of<T: Element>(shape: &[usize], f: impl Fn(usize) -> T) -> Array {
    let n: usize = shape.iter().product();
    Array::new(shape.to_vec(), (0..n).map(f).collect()).expect("shape matches")
}

fn arrays() -> Vec<Array> {
    let shapes: [&[usize]; 5] = [&[], &[7], &[3, 4], &[2, 3, 5], &[0, 3]];
    let mut out = Vec::new();
    for shape in shapes {
        for d in DType::ALL {
            out.push(match d {
                DType::I8 => array_of(shape, |i| (i as i8).wrapping_mul(-3)),
                DType::I16 => array_of(shape, |i| i as i16 * -300),
                DType::I32 => array_of(shape, |i| i as i32 * -70_000),
                DType::I64 => array_of(shape, |i| i as i64 * -5_000_000_000),
                DType::U8 => array_of(shape, |i| (i * 7) as u8),
                DType::U16 => array_of(shape, |i| (i * 700) as u16),
                DType::U32 => array_of(shape, |i| i as u32 * 3_000_000),
                DType::U64 => array_of(shape, |i| i as u64 * 9_000_000_000),
                DType::F32 => array_of(shape, |i| i as f32 * 0.25 - 1.0),
                DType::F64 => array_of(shape, |i| i as f64 * 1e-3 - 7.5),
            });
        }
    }
    out
}

common::per_config! {
    every_value_type_round_trips_with_its_type: every;
    every_dtype_and_rank_round_trips: every;
    several_arguments_come_back_as_a_list_in_order: every;
    typed_requests_convert_without_loss_and_refuse_lossy_conversions: every;
    library_computes_on_arrays_read_in_place: every;
    shared_arrays_pass_with_no_copy_and_are_written_in_place: servers;
}

fn every_value_type_round_trips_with_its_type(cfg: &Config) {
    let client = cfg.echo();
    for v in scalars() {
        let back: Value = client.echo(vec![ValueRef::from(&v)]).unwrap();
        assert_eq!(back, v, "{}", v.type_name());
        assert_eq!(back.type_name(), v.type_name());
    }
}

fn every_dtype_and_rank_round_trips(cfg: &Config) {
    let client = cfg.echo();
    for a in arrays() {
        let back = Array::from_value(client.echo(vec![ValueRef::from(&a)]).unwrap()).unwrap();
        assert_eq!(back.dtype(), a.dtype());
        assert_eq!(back.shape(), a.shape(), "{}", a.dtype());
        assert_eq!(back, a, "{} {:?}", a.dtype(), a.shape());
    }
}

fn several_arguments_come_back_as_a_list_in_order(cfg: &Config) {
    let client = cfg.echo();
    let m = [1.0f64, 2.0, 3.0, 4.0];
    let back: Value = client
        .echo(vec![
            1u8.into(),
            "two".into(),
            ArrayRef::new(&m, &[2, 2]).unwrap().into(),
            false.into(),
        ])
        .unwrap();
    let expected = Value::List(vec![
        Value::U8(1),
        Value::Str("two".into()),
        Value::Array(Array::new(vec![2, 2], m.to_vec()).unwrap()),
        Value::Bool(false),
    ]);
    assert_eq!(back, expected);
}

fn typed_requests_convert_without_loss_and_refuse_lossy_conversions(cfg: &Config) {
    let client = cfg.testlib();
    let sum: i32 = client.add(3, 14).unwrap();
    assert_eq!(sum, 17);
    // Other types, by name: a u8 and an i64 that fit in i32 are accepted by the i32
    // parameters.
    let sum: i64 = client.request("add", (200u8, -5i64)).unwrap();
    assert_eq!(sum, 195);
    // An i64 that does not fit is an OverflowError naming the parameter and the range.
    let (name, message) = common::server_error(client.request::<i32>("add", (1i32, 1i64 << 40)));
    assert_eq!(name, "OverflowError");
    assert!(
        message.contains("argument `b` of `add`") && message.contains("does not fit in i32"),
        "{message}"
    );
    // The reply type is checked on the client (asked for another type, by name).
    let err = client.request::<String>("add", (1i32, 2i32)).unwrap_err();
    assert!(matches!(err, loadlib::Error::ReplyType { .. }), "{err}");
    assert_eq!(client.pointer_size().unwrap(), cfg.width as i32 / 8);
}

fn library_computes_on_arrays_read_in_place(cfg: &Config) {
    let client = cfg.testlib();
    let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
    let y: Vec<f64> = client.scalar_multiply(2.5, &x).unwrap();
    assert_eq!(y, x.iter().map(|v| v * 2.5).collect::<Vec<_>>());
    let s: f64 = client.sum(&x).unwrap();
    assert_eq!(s, 499_500.0);
}

fn shared_arrays_pass_with_no_copy_and_are_written_in_place(cfg: &Config) {
    let client = cfg.testlib();
    let mut x = client.alloc_array::<f64>(&[4, 250]).unwrap();
    for (i, v) in x.iter_mut().enumerate() {
        *v = i as f64;
    }
    let mut out = client.alloc_array::<f64>(&[1000]).unwrap();
    let () = client.scalar_multiply_into(3.0, &x, &mut out).unwrap();
    let expected: Vec<f64> = (0..1000).map(|i| 3.0 * i as f64).collect();
    assert_eq!(&out[..], &expected[..]);
    let s: f64 = client.sum(&x).unwrap();
    assert_eq!(s, 499_500.0);
    // A read-only shared array cannot be written (the typed client takes only a
    // writable one: by name).
    let err = client
        .request::<()>("scalar_multiply_into", (3.0f64, &x, &out))
        .unwrap_err();
    assert!(err.to_string().contains("writable"), "{err}");
    // Freed arrays are unmapped by the server and unlinked by the client.
    let name = client.client64().unwrap().segment_name().to_owned();
    drop((x, out));
    let _: i32 = client.add(1, 1).unwrap();
    // Shared arrays are `<base>-a<id>` (the base itself is random hex and may hold "-a").
    let left = common::shm_entries(&format!("{name}-a"));
    assert!(left.is_empty(), "{left:?}");
}
