//! Numbers by value: every width, extension of small integers, slots, spills.

use super::*;

fn scalars(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    assert_eq!(lib.add_i8(100, 100).unwrap(), -56);
    assert_eq!(lib.add_i8(-100, -28).unwrap(), i8::MIN);
    assert_eq!(lib.add_u8(200, 100).unwrap(), 44);
    assert_eq!(lib.add_u8(250, 5).unwrap(), 255);
    assert_eq!(lib.add_i16(30_000, 10_000).unwrap(), -25_536);
    assert_eq!(lib.add_u16(60_000, 5_535).unwrap(), 65_535);
    assert_eq!(lib.add_u16(60_000, 6_000).unwrap(), 464);
    assert_eq!(lib.add_i32(i32::MAX, 1).unwrap(), i32::MIN);
    assert_eq!(lib.add_i32(-7, 3).unwrap(), -4);
    assert_eq!(lib.add_u32(4_000_000_000, 294_967_295).unwrap(), u32::MAX);
    assert_eq!(
        lib.add_i64(0x1234_5678_9abc_def0, -0x0fed_cba9_8765_4321)
            .unwrap(),
        0x0246_8acf_1357_9bcf
    );
    assert_eq!(lib.add_i64(i64::MIN, -1).unwrap(), i64::MAX);
    assert_eq!(lib.add_u64(u64::MAX - 5, 3).unwrap(), 0xffff_ffff_ffff_fffd);
    assert_eq!(lib.next_char(b'A' as c_char).unwrap(), b'B' as c_char);
    assert_eq!(lib.next_char(127).unwrap(), -128);
    assert!(!lib.not_bool(true).unwrap());
    assert!(lib.not_bool(false).unwrap());
    assert_eq!(lib.mul_f32(1.5, -2.25).unwrap(), -3.375f32);
    assert_eq!(lib.mul_f32(3.0e38, 10.0).unwrap(), f32::INFINITY);
    assert_eq!(lib.mul_f64(1.0e300, 1.0e-300).unwrap(), 1.0e300 * 1.0e-300);
    assert_eq!(lib.mul_f64(-0.5, 0.125).unwrap(), -0.0625);
    // size_t and intptr_t are as wide as the server's pointers.
    let wide = lib.add_size(4_000_000_000, 400_000_000).unwrap();
    let neg = lib.neg_intptr(5).unwrap();
    assert_eq!(neg, -5);
    if bits == 32 {
        assert_eq!(wide, 105_032_704, "4.4e9 wraps in a 32-bit size_t");
        assert_eq!(
            lib.neg_intptr(-(i32::MAX as isize)).unwrap(),
            i32::MAX as isize
        );
        let err = lib.neg_intptr(1 << 40).unwrap_err();
        assert!(err.to_string().contains("32-bit server's isize"), "{err}");
        let err = lib.add_size(1 << 33, 0).unwrap_err();
        assert!(err.to_string().contains("32-bit server"), "{err}");
    } else {
        assert_eq!(wide, 4_400_000_000);
        assert_eq!(lib.neg_intptr(1 << 40).unwrap(), -(1 << 40));
    }
    assert_eq!(lib.pointer_bytes().unwrap(), bits / 8);
    assert_eq!(
        lib.library().client().abi().pointer_size(),
        bits / 8,
        "the client's view of the ABI"
    );
}

/// Small integers reach the callee as their values, and fill their whole slot extended
/// (what a clang-compiled callee relies on).
fn small_integers(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    for x in [i8::MIN, -1, 0, 1, i8::MAX] {
        assert_eq!(lib.widen_i8(x).unwrap(), x as i32);
        assert_eq!(lib.slot_i8(x).unwrap(), x as i32, "sign-extended {x}");
    }
    for x in [0, 1, 0x7f, 0x80, u8::MAX] {
        assert_eq!(lib.widen_u8(x).unwrap(), x as u32);
        assert_eq!(lib.slot_u8(x).unwrap(), x as i32, "zero-extended {x}");
    }
    for x in [i16::MIN, -2, 0, 300, i16::MAX] {
        assert_eq!(lib.widen_i16(x).unwrap(), x as i32);
        assert_eq!(lib.slot_i16(x).unwrap(), x as i32, "sign-extended {x}");
    }
    for x in [0, 0x8000, u16::MAX] {
        assert_eq!(lib.widen_u16(x).unwrap(), x as u32);
        assert_eq!(lib.slot_u16(x).unwrap(), x as i32, "zero-extended {x}");
    }
    for b in [false, true] {
        assert_eq!(lib.widen_bool(b).unwrap(), b as i32);
        assert_eq!(lib.slot_bool(b).unwrap(), b as i32);
    }
}

/// Small and 8-byte arguments mixed: each lands in its own slot.
fn mixed_slots(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    let want = Mixed {
        a: -3,
        b: 0.5,
        c: -1000,
        d: -(1 << 40) - 7,
        e: 0.25,
        f: 200,
        g: (1 << 50) + 9,
        h: true,
    };
    let mut got = Mixed::default();
    let sum = lib
        .mixed_echo(
            want.a, want.b, want.c, want.d, want.e, want.f, want.g, want.h, &mut got,
        )
        .unwrap();
    assert_eq!(got, want);
    let expect = want.a as f64
        + 2.0 * want.b
        + 3.0 * want.c as f64
        + 4.0 * want.d as f64
        + 5.0 * want.e as f64
        + 6.0 * want.f as f64
        + 7.0 * want.g as f64
        + 8.0;
    assert_eq!(sum, expect);
}

/// More arguments than registers, of each kind and interleaved.
fn many_args(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    let mut out = [0i64; 10];
    let v: [i64; 10] = [
        -5,
        -300,
        -70_000,
        -(1 << 40),
        250,
        65_000,
        4_000_000_000,
        1 << 62,
        i32::MIN as i64,
        i64::MIN + 1,
    ];
    let r = lib
        .many_ints(
            v[0] as i8,
            v[1] as i16,
            v[2] as i32,
            v[3],
            v[4] as u8,
            v[5] as u16,
            v[6] as u32,
            v[7] as u64,
            v[8] as i32,
            v[9],
            &mut out,
        )
        .unwrap();
    assert_eq!(out, v);
    let digest = v.iter().enumerate().fold(0i64, |s, (k, x)| {
        s.wrapping_add((k as i64 + 1).wrapping_mul(*x))
    });
    assert_eq!(r, digest);

    let d: [f64; 10] = std::array::from_fn(|k| k as f64 * 1.5 - 4.0);
    let mut out = [0.0; 10];
    let r = lib
        .many_doubles(
            d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], &mut out,
        )
        .unwrap();
    assert_eq!(out, d);
    assert_eq!(r, weighted(&d));

    let m: [f64; 11] = std::array::from_fn(|k| k as f64 * 0.75 - 3.0);
    let mut out = [0.0; 11];
    let r = lib
        .many_floats(
            m[0] as f32,
            m[1],
            m[2] as f32,
            m[3],
            m[4] as f32,
            m[5],
            m[6] as f32,
            m[7],
            m[8] as f32,
            m[9],
            m[10] as f32,
            &mut out,
        )
        .unwrap();
    assert_eq!(out, m);
    assert_eq!(r, weighted(&m) as f32);

    let w: [f64; 18] = [
        -1.0, 2.5, -3.0, 4.25, -5.0, 6.5, 7.0, 8.75, -9.0, 10.5, 11.0, -12.25, 13.0, 14.5, -15.0,
        16.5, 17.0, -18.5,
    ];
    let mut out = [0.0; 18];
    let r = lib
        .interleaved(
            w[0] as i32,
            w[1],
            w[2] as i64,
            w[3] as f32,
            w[4] as i8,
            w[5],
            w[6] as u16,
            w[7] as f32,
            w[8] as i32,
            w[9],
            w[10] as i64,
            w[11] as f32,
            w[12] as u8,
            w[13],
            w[14] as i32,
            w[15],
            w[16] as i64,
            w[17],
            &mut out,
        )
        .unwrap();
    assert_eq!(out, w);
    assert_eq!(r, weighted(&w));
}

/// Σ (k + 1) · v[k].
pub(super) fn weighted(v: &[f64]) -> f64 {
    v.iter()
        .enumerate()
        .fold(0.0, |s, (k, x)| s + (k + 1) as f64 * x)
}

/// Functions of scalars take the scalar call's own path, counted by the client (one that
/// shares no cores, so that it takes it whatever the other tests run beside it):
/// numbers, `#[last_error]`, and a struct returned in registers (every ABI but i386
/// Linux's, which returns every struct through a hidden pointer), `isize`; an address
/// past a 32-bit server's slot, or an `isize` past its `i32`, goes the general way.
fn scalar_calls_take_their_own_path(cfg: &Config) {
    let bits = cfg.width;
    // SAFETY: as `load`.
    let lib = unsafe { AbiLib::load_with(builder(bits).share_cores(false), path(bits)) }
        .expect("load foreign_abi");
    let client = lib.library().client().clone();
    // Calls by the own path. To a 32-bit server each goes on the request line (the line
    // is free: the call before was answered); a 64-bit server's frame (its 112 bytes of
    // registers first) is longer than the line, so its calls go by the ring.
    let own_path = |call: &dyn Fn()| {
        let before = client.small_calls();
        call();
        let n = client.small_calls() - before;
        let on_line = n == 1 && bits == 32;
        assert_eq!(client.last_call_on_line(), on_line, "{n} by the own path");
        n
    };
    assert_eq!(
        own_path(&|| assert_eq!(lib.add_i8(100, 100).unwrap(), -56)),
        1
    );
    assert_eq!(
        own_path(&|| assert_eq!(lib.mul_f64(1.5, -2.0).unwrap(), -3.0)),
        1
    );
    assert_eq!(
        own_path(&|| assert_eq!(lib.fail_with(42).unwrap(), (-1, 42))),
        1
    );
    assert_eq!(own_path(&|| assert_eq!(lib.succeed().unwrap(), (0, 0))), 1);
    let in_registers = bits != 32 || cfg!(windows);
    let f1 = || assert_eq!(lib.make_f1(3).unwrap(), <F1 as structs::Case>::make(3));
    assert_eq!(own_path(&f1), in_registers as u64);
    assert_eq!(own_path(&|| assert_eq!(lib.neg_intptr(-5).unwrap(), 5)), 1);
    // A struct passed by value between two scalars: the general way, right.
    let f1 = <F1 as structs::Case>::make(7);
    let want = structs::Case::digest(&f1) + 11_000.0 - 300_000.0;
    assert_eq!(
        own_path(&|| assert_eq!(lib.take_f1(11, f1, -3).unwrap(), want)),
        0
    );
    if bits == 32 {
        let far = || assert!(lib.counter_read(Ptr(1 << 40)).is_err());
        assert_eq!(own_path(&far), 0);
        let wide = || assert!(lib.neg_intptr(1 << 40).is_err());
        assert_eq!(own_path(&wide), 0);
    }
}

common::per_config! {
    scalar_calls_take_their_own_path: shm;
    scalars: shm;
    small_integers: shm;
    mixed_slots: shm;
    many_args: shm;
}
