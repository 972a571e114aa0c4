//! The run-time form: declarations as data, arguments as values, and its errors.

use super::*;

/// The library in a new server, bound from `AbiLib`'s declarations as data.
fn load_runtime(bits: u32) -> ForeignLibrary {
    let client = std::sync::Arc::new(builder(bits).start().expect("start a server"));
    // SAFETY: the declarations `foreign!` generated for the bundled library.
    unsafe { ForeignLibrary::bind(client, path(bits), Convention::C, AbiLib::declarations()) }
        .expect("bind foreign_abi")
}

fn idl_map(x: &Idl) -> Value {
    Value::Map(vec![
        ("i".into(), Value::I32(x.i)),
        ("d".into(), Value::F64(x.d)),
        ("l".into(), Value::I64(x.l)),
    ])
}

fn runtime_form(cfg: &Config) {
    let bits = cfg.width;
    let lib = load_runtime(bits);
    assert_eq!(lib.call("add_i8", (100i8, 100i8)).unwrap(), Value::I8(-56));
    assert_eq!(lib.call("add_i8", (100, 27)).unwrap(), Value::I8(127));
    assert_eq!(
        lib.call("add_u64", (u64::MAX, 2u64)).unwrap(),
        Value::U64(1)
    );
    assert_eq!(lib.call("mul_f32", (1.5f32, 2)).unwrap(), Value::F32(3.0));
    assert_eq!(lib.call("not_bool", (false,)).unwrap(), Value::Bool(true));
    // By the C name: the first declaration of `whole_slot` (`slot_i8`) answers it.
    assert_eq!(lib.call("whole_slot", (-2,)).unwrap(), Value::I32(-2));
    assert_eq!(
        lib.call("neg_intptr", (-9,)).unwrap(),
        Value::I64(9),
        "isize comes back as i64"
    );
    // Structs: returned as a map of fields, passed as a map or a list.
    let x = Idl::make(4);
    assert_eq!(lib.call("make_idl", (4,)).unwrap(), idl_map(&x));
    let want = Value::F64(x.digest() + 1000.0 + 200_000.0);
    let map = idl_map(&x);
    let list = Value::List(vec![Value::I32(x.i), Value::F64(x.d), Value::I64(x.l)]);
    for v in [&map, &list] {
        let args: [ValueRef; 3] = [1.into(), v.into(), 2.into()];
        assert_eq!(lib.call("take_idl", args).unwrap(), want);
    }
    let n = Nested::make(2);
    assert_eq!(
        lib.call("make_nested", (2,)).unwrap(),
        Value::Map(vec![
            ("tag".into(), Value::I8(n.tag)),
            ("inner".into(), idl_map(&n.inner)),
            (
                "pt".into(),
                Value::Map(vec![
                    ("a".into(), Value::F32(n.pt.a)),
                    ("b".into(), Value::F32(n.pt.b)),
                ])
            ),
        ])
    );
    assert_eq!(
        lib.call("make_c3", (65,)).unwrap(),
        Value::Map(vec![(
            "c".into(),
            Value::List(vec![Value::I8(65), Value::I8(66), Value::I8(67)])
        )])
    );
    // Strings, buffers, handles, returned arrays.
    assert_eq!(lib.call("str_len", ("four",)).unwrap(), Value::I32(4));
    assert_eq!(
        lib.call("str_len", (ValueRef::None,)).unwrap(),
        Value::I32(-1)
    );
    assert_eq!(
        lib.call("greeting", ()).unwrap(),
        Value::Str("hello from foreign_abi".into())
    );
    assert_eq!(lib.call("name_or_null", (5,)).unwrap(), Value::None);
    let mut buf = [0i8; 8];
    let r = lib
        .call(
            "write_greeting",
            [ValueRef::ArrayMut(ArrayMut::output(&mut buf[..])), 8.into()],
        )
        .unwrap();
    assert_eq!(r, Value::I32(22));
    assert_eq!(buf.map(|c| c as u8), *b"hello f\0");
    let Value::U64(h) = lib.call("counter_new", (3,)).unwrap() else {
        panic!("a handle")
    };
    assert_eq!(
        lib.call("counter_add", (ValueRef::U64(h), 4)).unwrap(),
        Value::I32(7)
    );
    assert_eq!(
        lib.call("counter_free", (ValueRef::U64(h),)).unwrap(),
        Value::None
    );
    let Value::Array(sq) = lib.call("squares", (5,)).unwrap() else {
        panic!("an array")
    };
    assert_eq!(sq.as_slice::<i32>().unwrap(), [0, 1, 4, 9, 16]);
    let Value::List(t) = lib.call("idl_table", ()).unwrap() else {
        panic!("a list")
    };
    assert_eq!(t, [0, 10, 20].map(|s| idl_map(&Idl::make(s))));
    let data = [1i32, 2, 3, 4];
    assert_eq!(
        lib.call("sum_or_minus1", (&data[..], 4)).unwrap(),
        Value::I64(10)
    );
    // A shared array given writable to a parameter the library only reads, before a
    // buffer it writes: that buffer still comes back.
    let mut shared = lib.client().alloc_array::<f64>(&[2]).unwrap();
    let mut out = [0i32; 1];
    let ic = Value::List(vec![Value::I32(1), Value::I8(2)]);
    let r = lib
        .call(
            "which_null",
            [
                (&mut shared).into(),
                "s".into(),
                (&ic).into(),
                ValueRef::ArrayMut(ArrayMut::output(&mut out[..])),
                ValueRef::None,
            ],
        )
        .unwrap();
    assert_eq!((r, out), (Value::I32(0b10000), [7]));
    let ic = Value::Map(vec![
        ("c".into(), Value::I8(2)),
        ("i".into(), Value::I32(1)),
    ]);
    let r = lib
        .call(
            "which_null",
            [
                ValueRef::None,
                ValueRef::None,
                (&ic).into(),
                ValueRef::None,
                ValueRef::None,
            ],
        )
        .unwrap();
    assert_eq!(r, Value::I32(0b11011));
}

fn runtime_errors(cfg: &Config) {
    let bits = cfg.width;
    let lib = load_runtime(bits);
    let msg = |r: loadlib::Result<Value>| match r {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("expected InvalidArgument, got {other:?}"),
    };
    assert_eq!(
        msg(lib.call("add_i32", (1,))),
        "`add_i32` takes 2 arguments, 1 given"
    );
    assert_eq!(
        msg(lib.call("add_i32", (1, 2, 3))),
        "`add_i32` takes 2 arguments, 3 given"
    );
    let m = msg(lib.call("add_i32", ("one", 2)));
    assert!(
        m.contains("argument `a` of `add_i32`") && m.contains("not an integer"),
        "{m}"
    );
    let m = msg(lib.call("add_i8", (1, 128)));
    assert!(
        m.contains("argument `b` of `add_i8`") && m.contains("128 does not fit i8"),
        "{m}"
    );
    let m = msg(lib.call("add_u32", (-1, 0)));
    assert!(m.contains("-1 does not fit u32"), "{m}");
    let m = msg(lib.call("mul_f64", ("x", 1.0)));
    assert!(
        m.contains("argument `a` of `mul_f64`") && m.contains("not a number"),
        "{m}"
    );
    let m = msg(lib.call("fnv1a", (ValueRef::None,)));
    assert_eq!(m, "argument `s` of `fnv1a`: may not be null");
    let m = msg(lib.call("fnv1a", (5,)));
    assert!(m.contains("i32 is not a string"), "{m}");
    let short = [1i32, 2];
    let m = msg(lib.call("sum_or_minus1", (&short[..], 5)));
    assert_eq!(
        m,
        "argument `a` of `sum_or_minus1`: holds 2 elements where 5 are needed"
    );
    let wrong = [1.0f64; 8];
    let m = msg(lib.call("sum_or_minus1", (&wrong[..], 2)));
    assert!(m.contains("an array of"), "{m}");
    let m = msg(lib.call("take_idl", (1, 2, 3)));
    assert!(
        m.contains("argument `v` of `take_idl`") && m.contains("struct Idl"),
        "{m}"
    );
    let bad_map = Value::Map(vec![("i".into(), Value::I32(1))]);
    let m = msg(lib.call("take_idl", [1.into(), (&bad_map).into(), 2.into()]));
    assert!(m.contains("no field `d`"), "{m}");
    // A struct by reference, as the list of its fields or a map; a wrong one is named.
    let ic = Value::List(vec![Value::I32(1), Value::Str("x".into())]);
    let m = msg(lib.call(
        "which_null",
        [
            ValueRef::None,
            ValueRef::None,
            (&ic).into(),
            ValueRef::None,
            ValueRef::None,
        ],
    ));
    assert!(
        m.starts_with("argument `ic` of `which_null`: ") && m.contains("not an integer"),
        "{m}"
    );
    let m = msg(lib.call("no_such", ()));
    assert!(m.contains("declares no function `no_such`"), "{m}");
    let mut small = [0i8; 4];
    let m = msg(lib.call(
        "write_greeting",
        [
            ValueRef::ArrayMut(ArrayMut::output(&mut small[..])),
            8.into(),
        ],
    ));
    assert!(m.contains("holds 4 elements where 8 are needed"), "{m}");
    let m = msg(lib.call("write_greeting", (&small[..], 4)));
    assert!(m.contains("pass a writable array"), "{m}");
    // Nothing above reached the server: it still answers.
    assert_eq!(lib.call("add_i32", (2, 2)).unwrap(), Value::I32(4));

    // A declaration made by hand: `const char *` with a length, a struct by reference.
    let decls = vec![
        FunctionDecl::new(
            "upper_in_place",
            vec![
                Param::array("buf", CType::I8, Dir::InOut, Len::Param(1)),
                Param::value("n", CType::I32),
            ],
            Ret::Value(CType::I32),
        ),
        FunctionDecl::new(
            "bump_idl",
            vec![Param::by_ref("p", Idl::ctype(), Dir::InOut)],
            Ret::Void,
        ),
    ];
    // SAFETY: the declarations match csrc/foreign_abi.c.
    let hand =
        unsafe { ForeignLibrary::bind(lib.client().clone(), path(bits), Convention::C, decls) }
            .unwrap();
    let mut text = *b"abc!";
    let r = hand
        .call(
            "upper_in_place",
            [
                ValueRef::ArrayMut(ArrayMut::from_slice(&mut text[..])),
                4.into(),
            ],
        )
        .unwrap();
    assert_eq!((r, &text), (Value::I32(3), b"ABC!"));
    let m = msg(hand.call("bump_idl", (ValueRef::None,)));
    assert_eq!(m, "argument `p` of `bump_idl`: may not be null");
}

common::per_config! {
    runtime_form: shm;
    runtime_errors: shm;
}
