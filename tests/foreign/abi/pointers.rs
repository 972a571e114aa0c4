//! C strings, handles, nullable pointers, errno and GetLastError.

use super::*;

fn strings(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    assert_eq!(lib.str_len(Some("hello")).unwrap(), 5);
    assert_eq!(lib.str_len(Some("")).unwrap(), 0);
    assert_eq!(lib.str_len(None).unwrap(), -1);
    let fnv = |s: &[u8]| {
        s.iter().fold(2_166_136_261u32, |h, b| {
            (h ^ *b as u32).wrapping_mul(16_777_619)
        })
    };
    for s in ["", "a", "foreign calls", "ünïcødé ✓"] {
        assert_eq!(lib.fnv1a(s).unwrap(), fnv(s.as_bytes()), "{s:?}");
    }
    let c = std::ffi::CString::new("from a CString").unwrap();
    assert_eq!(lib.fnv1a(&c).unwrap(), fnv(c.as_bytes()));
    let err = lib.fnv1a("a\0b").unwrap_err();
    assert!(err.to_string().contains("NUL at byte 1"), "{err}");

    assert_eq!(
        lib.greeting().unwrap().unwrap().to_str().unwrap(),
        "hello from foreign_abi"
    );
    assert_eq!(lib.name_or_null(2).unwrap().unwrap().to_bytes(), b"two");
    assert_eq!(lib.name_or_null(0).unwrap(), None);

    let mut buf = [0x55u8; 64];
    assert_eq!(lib.write_greeting(&mut buf[..], 64).unwrap(), 22);
    assert_eq!(&buf[..23], b"hello from foreign_abi\0");
    let mut short = [0x55u8; 6];
    assert_eq!(lib.write_greeting(&mut short[..], 6).unwrap(), 22);
    assert_eq!(&short, b"hello\0");
    let err = lib.write_greeting(&mut short[..], 7).unwrap_err();
    assert!(
        err.to_string()
            .contains("argument `buf` of `write_greeting` holds 6 elements"),
        "{err}"
    );

    let mut text = *b"Mixed case, 42 digits!";
    assert_eq!(
        lib.upper_in_place(&mut text[..], 11).unwrap(),
        8,
        "the first 11 bytes"
    );
    assert_eq!(&text, b"MIXED CASE, 42 digits!");
}

fn handles(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    let a = lib.counter_new(10).unwrap();
    let b = lib.counter_new(-5).unwrap();
    assert!(!a.is_null() && !b.is_null() && a != b);
    if bits == 32 {
        assert_eq!(a.0 >> 32, 0, "a 32-bit address");
    }
    assert_eq!(lib.counters_live().unwrap(), 2);
    assert_eq!(lib.counter_add(a, 5).unwrap(), 15);
    assert_eq!(lib.counter_add(b, -1).unwrap(), -6);
    assert_eq!(lib.counter_read(a).unwrap(), 15);
    assert_eq!(lib.counter_read(b).unwrap(), -6);
    lib.counter_free(a).unwrap();
    assert_eq!(lib.counters_live().unwrap(), 1);
    assert_eq!(lib.counter_read(Ptr::NULL).unwrap(), -1);
    lib.counter_free(b).unwrap();
    assert_eq!(lib.counters_live().unwrap(), 0);
    if bits == 32 {
        let err = lib.counter_read(Ptr(1 << 40)).unwrap_err();
        assert!(
            err.to_string()
                .contains("not an address in a 32-bit server"),
            "{err}"
        );
    }
}

fn nullable(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    assert_eq!(lib.deref_or(Some(&41), -1).unwrap(), 41);
    assert_eq!(lib.deref_or(None, -1).unwrap(), -1);
    let h = lib.counter_new(1).unwrap();
    let mut out = [0i32; 1];
    let ic = IC { i: 1, c: 2 };
    let all = lib
        .which_null(
            Some(&[1.0][..]),
            Some("s"),
            Some(&ic),
            Some(&mut out[..]),
            h,
        )
        .unwrap();
    assert_eq!(all, 0);
    assert_eq!(out, [7]);
    assert_eq!(
        lib.which_null(None, None, None, None, Ptr::NULL).unwrap(),
        0b11111
    );
    assert_eq!(
        lib.which_null(None, Some("s"), None, Some(&mut out[..]), Ptr::NULL)
            .unwrap(),
        0b10101
    );
    lib.counter_free(h).unwrap();
    assert_eq!(lib.sum_or_minus1(Some(&[1, 2, 3][..]), 3).unwrap(), 6);
    assert_eq!(lib.sum_or_minus1(None, 3).unwrap(), -1);
    let err = lib.sum_or_minus1(Some(&[1, 2][..]), 3).unwrap_err();
    assert!(err.to_string().contains("holds 2 elements"), "{err}");
}

fn last_error(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    assert_eq!(lib.fail_with(42).unwrap(), (-1, 42));
    assert_eq!(lib.fail_with(7).unwrap(), (-1, 7));
    assert_eq!(lib.succeed().unwrap(), (0, 0), "cleared before each call");
}

fn returned_arrays(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    let sq = lib.squares(10).unwrap().unwrap();
    assert_eq!(sq, (0..10).map(|i| i * i).collect::<Vec<i32>>());
    assert_eq!(lib.squares(0).unwrap(), Some(vec![]));
    assert_eq!(lib.squares(65).unwrap(), None, "NULL past 64");
    let err = lib.squares(-1).unwrap_err();
    assert!(err.to_string().contains("-1 returned values"), "{err}");
    assert_eq!(
        lib.idl_table().unwrap().unwrap(),
        [Idl::make(0), Idl::make(10), Idl::make(20)]
    );
    assert_eq!(
        lib.ic_table().unwrap().unwrap(),
        (0..4).map(|i| IC::make(10 * i)).collect::<Vec<_>>()
    );
}

common::per_config! {
    strings: shm;
    handles: shm;
    nullable: shm;
    last_error: shm;
    returned_arrays: shm;
}
