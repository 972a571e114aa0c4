//! The ABI conformance suite of foreign calls: `csrc/foreign_abi.c` declared with
//! `foreign!` (and partly in the run-time form), every case checked against a 32-bit and
//! a 64-bit server, each its own test (`…_32`, `…_64`). On Linux the servers are i386
//! System V and x86-64 System V; under Wine (`--target x86_64-pc-windows-gnu`), i386
//! Windows (mingw) and x86-64 Windows.

mod common;

use std::ffi::c_char;
use std::fmt::Debug;

use loadlib::foreign::{
    CDecode, CType, CValue, Convention, Dir, ForeignLibrary, FunctionDecl, Len, Param, Ptr, Ret,
    FOREIGN_MODULE,
};
use loadlib::{foreign, ArrayMut, Builder, CStruct, Client64, Error, ServerExe, Value, ValueRef};

// ---- The library's structs ----------------------------------------------------------

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct F1 {
    a: f32,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct D1 {
    a: f64,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct F2 {
    a: f32,
    b: f32,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct F3 {
    a: f32,
    b: f32,
    c: f32,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct IC {
    i: i32,
    c: c_char,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct C3 {
    c: [c_char; 3],
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct S3 {
    s: [i16; 3],
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct DL {
    d: f64,
    l: i64,
}

/// The struct whose layout differs between the 32-bit targets.
#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct Idl {
    i: i32,
    d: f64,
    l: i64,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct Big {
    a: i64,
    b: f64,
    c: i32,
    d: i16,
    e: i8,
    f: f64,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct Arr {
    n: i32,
    v: [f32; 3],
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct Nested {
    tag: i8,
    inner: Idl,
    pt: F2,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct NestS {
    ic: IC,
    f: F1,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct LL {
    a: i64,
    b: i64,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct DD {
    a: f64,
    b: f64,
}

#[derive(CStruct, Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
struct Mixed {
    a: i8,
    b: f64,
    c: i16,
    d: i64,
    e: f32,
    f: u8,
    g: u64,
    h: bool,
}

// ---- The library's functions --------------------------------------------------------

foreign! {
    /// `csrc/foreign_abi.c`, cdecl.
    struct AbiLib: extern "C" {
        fn add_i8(a: i8, b: i8) -> i8;
        fn add_u8(a: u8, b: u8) -> u8;
        fn add_i16(a: i16, b: i16) -> i16;
        fn add_u16(a: u16, b: u16) -> u16;
        fn add_i32(a: i32, b: i32) -> i32;
        fn add_u32(a: u32, b: u32) -> u32;
        fn add_i64(a: i64, b: i64) -> i64;
        fn add_u64(a: u64, b: u64) -> u64;
        fn next_char(c: c_char) -> c_char;
        fn not_bool(b: bool) -> bool;
        fn mul_f32(a: f32, b: f32) -> f32;
        fn mul_f64(a: f64, b: f64) -> f64;
        fn add_size(a: usize, b: usize) -> usize;
        fn neg_intptr(a: isize) -> isize;
        fn pointer_bytes() -> u32;
        fn widen_i8(x: i8) -> i32;
        fn widen_u8(x: u8) -> u32;
        fn widen_i16(x: i16) -> i32;
        fn widen_u16(x: u16) -> u32;
        fn widen_bool(b: bool) -> i32;
        #[link_name = "whole_slot"]
        fn slot_i8(x: i8) -> i32;
        #[link_name = "whole_slot"]
        fn slot_u8(x: u8) -> i32;
        #[link_name = "whole_slot"]
        fn slot_i16(x: i16) -> i32;
        #[link_name = "whole_slot"]
        fn slot_u16(x: u16) -> i32;
        #[link_name = "whole_slot"]
        fn slot_bool(x: bool) -> i32;

        fn mixed_echo(a: i8, b: f64, c: i16, d: i64, e: f32, f: u8, g: u64, h: bool, #[out] out: &mut Mixed) -> f64;
        fn many_ints(a: i8, b: i16, c: i32, d: i64, e: u8, f: u16, g: u32, h: u64, i: i32, j: i64, #[out] #[len(10)] out: *mut i64) -> i64;
        fn many_doubles(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64, i: f64, j: f64, #[out] #[len(10)] out: *mut f64) -> f64;
        fn many_floats(a: f32, b: f64, c: f32, d: f64, e: f32, f: f64, g: f32, h: f64, i: f32, j: f64, k: f32, #[out] #[len(11)] out: *mut f64) -> f32;
        fn interleaved(a: i32, b: f64, c: i64, d: f32, e: i8, f: f64, g: u16, h: f32, i: i32, j: f64, k: i64, l: f32, m: u8, n: f64, o: i32, p: f64, q: i64, r: f64, #[out] #[len(18)] out: *mut f64) -> f64;

        fn make_f1(seed: i32) -> F1;
        fn take_f1(pre: i32, v: F1, post: i32) -> f64;
        fn fill_f1(#[out] out: &mut F1, seed: i32);
        fn bump_f1(p: &mut F1);
        fn make_d1(seed: i32) -> D1;
        fn take_d1(pre: i32, v: D1, post: i32) -> f64;
        fn fill_d1(#[out] out: &mut D1, seed: i32);
        fn bump_d1(p: &mut D1);
        fn make_f2(seed: i32) -> F2;
        fn take_f2(pre: i32, v: F2, post: i32) -> f64;
        fn fill_f2(#[out] out: &mut F2, seed: i32);
        fn bump_f2(p: &mut F2);
        fn make_f3(seed: i32) -> F3;
        fn take_f3(pre: i32, v: F3, post: i32) -> f64;
        fn fill_f3(#[out] out: &mut F3, seed: i32);
        fn bump_f3(p: &mut F3);
        fn make_ic(seed: i32) -> IC;
        fn take_ic(pre: i32, v: IC, post: i32) -> f64;
        fn fill_ic(#[out] out: &mut IC, seed: i32);
        fn bump_ic(p: &mut IC);
        fn make_c3(seed: i32) -> C3;
        fn take_c3(pre: i32, v: C3, post: i32) -> f64;
        fn fill_c3(#[out] out: &mut C3, seed: i32);
        fn bump_c3(p: &mut C3);
        fn make_s3(seed: i32) -> S3;
        fn take_s3(pre: i32, v: S3, post: i32) -> f64;
        fn fill_s3(#[out] out: &mut S3, seed: i32);
        fn bump_s3(p: &mut S3);
        fn make_dl(seed: i32) -> DL;
        fn take_dl(pre: i32, v: DL, post: i32) -> f64;
        fn fill_dl(#[out] out: &mut DL, seed: i32);
        fn bump_dl(p: &mut DL);
        fn make_idl(seed: i32) -> Idl;
        fn take_idl(pre: i32, v: Idl, post: i32) -> f64;
        fn fill_idl(#[out] out: &mut Idl, seed: i32);
        fn bump_idl(p: &mut Idl);
        fn make_big(seed: i32) -> Big;
        fn take_big(pre: i32, v: Big, post: i32) -> f64;
        fn fill_big(#[out] out: &mut Big, seed: i32);
        fn bump_big(p: &mut Big);
        fn make_arr(seed: i32) -> Arr;
        fn take_arr(pre: i32, v: Arr, post: i32) -> f64;
        fn fill_arr(#[out] out: &mut Arr, seed: i32);
        fn bump_arr(p: &mut Arr);
        fn make_nested(seed: i32) -> Nested;
        fn take_nested(pre: i32, v: Nested, post: i32) -> f64;
        fn fill_nested(#[out] out: &mut Nested, seed: i32);
        fn bump_nested(p: &mut Nested);
        fn make_nests(seed: i32) -> NestS;
        fn take_nests(pre: i32, v: NestS, post: i32) -> f64;
        fn fill_nests(#[out] out: &mut NestS, seed: i32);
        fn bump_nests(p: &mut NestS);
        fn late_structs(a: i64, b: i64, c: i64, d: i64, e: i64, x: DL, y: DL, f: f64) -> f64;
        fn f2_after_doubles(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64, x: F2, k: i32) -> f64;
        fn regs_left(a: i64, b: i64, c: i64, d: i64, e: i64, p: f64, q: f64, r: f64, s: f64, t: f64, u: f64, v: f64, x: LL, y: DD, f: i64, w: f64) -> f64;
        fn layout_of(which: i32, #[out] #[len(16)] out: *mut u32) -> u32;

        fn str_len(s: Option<&CStr>) -> i32;
        fn fnv1a(s: *const c_char) -> u32;
        fn greeting() -> *const c_char;
        fn name_or_null(which: i32) -> *const c_char;
        fn write_greeting(#[out] #[len(cap)] buf: *mut c_char, cap: i32) -> i32;
        fn upper_in_place(#[len(n)] buf: *mut c_char, n: i32) -> i32;

        fn counter_new(start: i32) -> *mut c_void;
        fn counter_read(h: *mut c_void) -> i32;
        fn counter_add(h: *mut c_void, k: i32) -> i32;
        fn counter_free(h: *mut c_void);
        fn counters_live() -> i32;

        fn deref_or(p: Option<&i32>, fallback: i32) -> i32;
        fn which_null(a: Option<&[f64]>, s: Option<&CStr>, ic: Option<&IC>, #[out] out: Option<&mut [i32]>, h: *mut c_void) -> i32;
        fn sum_or_minus1(#[len(n)] a: Option<&[i32]>, n: i32) -> i64;

        #[last_error]
        fn fail_with(code: i32) -> i32;
        #[last_error]
        fn succeed() -> i32;

        #[returns_len(n)]
        fn squares(n: i32) -> *const i32;
        #[returns_len(3)]
        fn idl_table() -> *const Idl;
        #[returns_len(4)]
        fn ic_table() -> *const IC;

        fn crash(k: i32) -> i32;
    }
}

/// The library's stdcall functions, under a handle of convention `$abi`.
macro_rules! stdcall_lib {
    ($name:ident, $abi:tt) => {
        foreign! {
            /// The stdcall functions of `csrc/foreign_abi.c` (plain C on x86-64).
            struct $name: extern $abi {
                fn std_add(a: i32, b: i32) -> i32;
                fn std_mix(a: i8, b: f64, c: i64, d: f32) -> f64;
                fn std_many(a: i8, b: i16, c: i32, d: i64, e: u8, f: u16, g: u32, h: u64, i: i32, j: i64) -> i64;
                fn std_make_ic(seed: i32) -> IC;
                fn std_make_d1(seed: i32) -> D1;
                fn std_make_f1(seed: i32) -> F1;
                fn std_make_idl(seed: i32) -> Idl;
                fn std_take_idl(pre: i32, v: Idl, post: i32) -> f64;
                fn std_fill_idl(#[out] out: &mut Idl, seed: i32);
                #[last_error]
                fn std_fail_with(code: i32) -> i32;
            }
        }
    };
}

stdcall_lib!(SystemLib, "system");
stdcall_lib!(StdcallLib, "stdcall");

foreign! {
    /// A stdcall function declared as cdecl: on 32-bit Windows its export is decorated
    /// (`std_add@8`), so only a stdcall declaration finds it.
    struct StdAsC: extern "C" {
        fn std_add(a: i32, b: i32) -> i32;
    }
}

foreign! {
    /// Two functions the library does not have, beside one it has.
    struct Missing: extern "C" {
        fn add_i32(a: i32, b: i32) -> i32;
        fn no_such_function(a: i32) -> i32;
        fn nor_this_one();
    }
}

// ---- Servers ---------------------------------------------------------------------------

fn builder(bits: u32) -> Builder {
    let exe = match bits {
        32 => ServerExe::Bundled32,
        _ => ServerExe::Bundled64,
    };
    Client64::builder(FOREIGN_MODULE).server(exe)
}

fn path(bits: u32) -> &'static str {
    server32::paths::library("abi", bits)
}

/// The library in a new server of `bits` bits.
fn load(bits: u32) -> AbiLib {
    // SAFETY: the bundled library, each function declared as csrc/foreign_abi.c defines it.
    let lib = unsafe { AbiLib::load_with(builder(bits), path(bits)) }.expect("load foreign_abi");
    assert_eq!(lib.library().client().server_pointer_width(), bits);
    lib
}

/// One test per server width for each check: `$check(32)` as `$t32`, `$check(64)` as `$t64`.
macro_rules! per_width {
    ($($check:ident => $t32:ident, $t64:ident;)*) => {$(
        #[test]
        fn $t32() {
            $check(32)
        }
        #[test]
        fn $t64() {
            $check(64)
        }
    )*};
}

// ---- Scalars ---------------------------------------------------------------------------

fn scalars(bits: u32) {
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
fn small_integers(bits: u32) {
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
fn mixed_slots(bits: u32) {
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
fn many_args(bits: u32) {
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
fn weighted(v: &[f64]) -> f64 {
    v.iter()
        .enumerate()
        .fold(0.0, |s, (k, x)| s + (k + 1) as f64 * x)
}

per_width! {
    scalars => scalars_32, scalars_64;
    small_integers => small_integers_32, small_integers_64;
    mixed_slots => mixed_slots_32, mixed_slots_64;
    many_args => many_args_32, many_args_64;
}

// ---- Structs ---------------------------------------------------------------------------

/// A struct of the library, described by its scalars in order: scalar k of `make(seed)` is
/// seed + k (+ 0.25 for a float, + 0.5 for a double), as `csrc/foreign_abi.c` makes it.
trait Case: CDecode + Copy + Default + Debug + PartialEq {
    /// Its index for `layout_of`.
    const WHICH: i32;
    /// Each scalar's fraction in `make`.
    const FRACS: &'static [f64];
    fn scalars(&self) -> Vec<f64>;
    fn set_scalars(&mut self, v: &[f64]);
    /// Its size, alignment and field offsets under the server's ABI.
    fn layout(abi: loadlib::foreign::Abi) -> Vec<u32>;

    fn from_scalars(v: &[f64]) -> Self {
        let mut x = Self::default();
        x.set_scalars(v);
        x
    }
    fn make(seed: i32) -> Self {
        let v: Vec<f64> = (0..Self::FRACS.len())
            .map(|k| seed as f64 + k as f64 + Self::FRACS[k])
            .collect();
        Self::from_scalars(&v)
    }
    fn digest(&self) -> f64 {
        weighted(&self.scalars())
    }
    fn bumped(&self) -> Self {
        let v: Vec<f64> = self
            .scalars()
            .iter()
            .enumerate()
            .map(|(k, x)| x + (k + 1) as f64)
            .collect();
        Self::from_scalars(&v)
    }
}

const I: f64 = 0.0;
const F: f64 = 0.25;
const D: f64 = 0.5;

macro_rules! case {
    ($t:ident, $which:expr, [$(($($p:tt)+): $ty:ty = $frac:expr),+ $(,)?]) => {
        impl Case for $t {
            const WHICH: i32 = $which;
            const FRACS: &'static [f64] = &[$($frac),+];
            fn scalars(&self) -> Vec<f64> {
                vec![$(self.$($p)+ as f64),+]
            }
            fn set_scalars(&mut self, v: &[f64]) {
                let mut it = v.iter();
                $(self.$($p)+ = *it.next().unwrap() as $ty;)+
            }
            fn layout(abi: loadlib::foreign::Abi) -> Vec<u32> {
                let (l, offsets) = $t::__LOADLIB_LAYOUT;
                assert_eq!(l, <$t as CValue>::LAYOUT);
                let mut v = vec![l.size(abi), l.align(abi)];
                v.extend_from_slice(&offsets[abi as usize]);
                v
            }
        }
    };
}

case!(F1, 0, [(a): f32 = F]);
case!(D1, 1, [(a): f64 = D]);
case!(F2, 2, [(a): f32 = F, (b): f32 = F]);
case!(F3, 3, [(a): f32 = F, (b): f32 = F, (c): f32 = F]);
case!(IC, 4, [(i): i32 = I, (c): c_char = I]);
case!(C3, 5, [(c[0]): c_char = I, (c[1]): c_char = I, (c[2]): c_char = I]);
case!(S3, 6, [(s[0]): i16 = I, (s[1]): i16 = I, (s[2]): i16 = I]);
case!(DL, 7, [(d): f64 = D, (l): i64 = I]);
case!(Idl, 8, [(i): i32 = I, (d): f64 = D, (l): i64 = I]);
case!(
    Big,
    9,
    [(a): i64 = I, (b): f64 = D, (c): i32 = I, (d): i16 = I, (e): i8 = I, (f): f64 = D]
);
case!(
    Arr,
    10,
    [(n): i32 = I, (v[0]): f32 = F, (v[1]): f32 = F, (v[2]): f32 = F]
);
case!(
    Nested,
    11,
    [
        (tag): i8 = I,
        (inner.i): i32 = I,
        (inner.d): f64 = D,
        (inner.l): i64 = I,
        (pt.a): f32 = F,
        (pt.b): f32 = F,
    ]
);
case!(NestS, 12, [(ic.i): i32 = I, (ic.c): c_char = I, (f.a): f32 = F]);

/// make (returned by value), take (passed by value between two ints), fill (written
/// through a pointer) and bump (modified in place) of one struct, and its layout.
fn check_struct<T: Case>(
    bits: u32,
    make: impl Fn(&AbiLib, i32) -> loadlib::Result<T>,
    take: impl Fn(&AbiLib, i32, T, i32) -> loadlib::Result<f64>,
    fill: impl Fn(&AbiLib, &mut T, i32) -> loadlib::Result<()>,
    bump: impl Fn(&AbiLib, &mut T) -> loadlib::Result<()>,
) {
    let lib = load(bits);
    let abi = lib.library().client().abi();
    let name = std::any::type_name::<T>();
    let mut out = [0u32; 16];
    let n = lib.layout_of(T::WHICH, &mut out).unwrap() as usize;
    assert_eq!(
        out[..n],
        T::layout(abi)[..],
        "{name}: [size, align, offsets…] under {abi:?}: the compiler's, then the derive's"
    );
    for seed in [3, -7, 60] {
        let want = T::make(seed);
        assert_eq!(make(&lib, seed).unwrap(), want, "make {name}({seed})");
        assert_eq!(
            take(&lib, 11, want, -3).unwrap(),
            want.digest() + 11_000.0 - 300_000.0,
            "take {name}({want:?})"
        );
        let mut filled = T::default();
        fill(&lib, &mut filled, seed).unwrap();
        assert_eq!(filled, want, "fill {name}({seed})");
        let mut p = want;
        bump(&lib, &mut p).unwrap();
        assert_eq!(p, want.bumped(), "bump {name}({want:?})");
    }
}

macro_rules! struct_tests {
    ($($t:ident: $make:ident, $take:ident, $fill:ident, $bump:ident => $t32:ident, $t64:ident;)*) => {$(
        #[test]
        fn $t32() {
            check_struct::<$t>(32, |l, s| l.$make(s), |l, a, v, b| l.$take(a, v, b), |l, o, s| l.$fill(o, s), |l, p| l.$bump(p));
        }
        #[test]
        fn $t64() {
            check_struct::<$t>(64, |l, s| l.$make(s), |l, a, v, b| l.$take(a, v, b), |l, o, s| l.$fill(o, s), |l, p| l.$bump(p));
        }
    )*};
}

struct_tests! {
    F1: make_f1, take_f1, fill_f1, bump_f1 => struct_f1_32, struct_f1_64;
    D1: make_d1, take_d1, fill_d1, bump_d1 => struct_d1_32, struct_d1_64;
    F2: make_f2, take_f2, fill_f2, bump_f2 => struct_f2_32, struct_f2_64;
    F3: make_f3, take_f3, fill_f3, bump_f3 => struct_f3_32, struct_f3_64;
    IC: make_ic, take_ic, fill_ic, bump_ic => struct_ic_32, struct_ic_64;
    C3: make_c3, take_c3, fill_c3, bump_c3 => struct_c3_32, struct_c3_64;
    S3: make_s3, take_s3, fill_s3, bump_s3 => struct_s3_32, struct_s3_64;
    DL: make_dl, take_dl, fill_dl, bump_dl => struct_dl_32, struct_dl_64;
    Idl: make_idl, take_idl, fill_idl, bump_idl => struct_idl_32, struct_idl_64;
    Big: make_big, take_big, fill_big, bump_big => struct_big_32, struct_big_64;
    Arr: make_arr, take_arr, fill_arr, bump_arr => struct_arr_32, struct_arr_64;
    Nested: make_nested, take_nested, fill_nested, bump_nested => struct_nested_32, struct_nested_64;
    NestS: make_nests, take_nests, fill_nests, bump_nests => struct_nests_32, struct_nests_64;
}

/// Structs by value once the registers run out, and the layout of the echo struct.
fn structs_late(bits: u32) {
    let lib = load(bits);
    let (x, y) = (DL::make(1), DL::make(-20));
    let r = lib.late_structs(1, 2, 3, 4, 5, x, y, 0.5).unwrap();
    assert_eq!(
        r,
        (1 + 2 * 2 + 3 * 3 + 4 * 4 + 5 * 5) as f64 + 10.0 * x.digest() + 100.0 * y.digest() + 500.0
    );
    let p = F2::make(7);
    let r = lib
        .f2_after_doubles(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, p, -2)
        .unwrap();
    assert_eq!(r, 36.0 + 10.0 * p.digest() - 2000.0);
    let (x, y) = (LL { a: -3, b: 1 << 40 }, DD { a: 0.5, b: -2.25 });
    let r = lib
        .regs_left(
            1, 2, 3, 4, 5, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, x, y, -1, 0.5,
        )
        .unwrap();
    let want = weighted(&[
        1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
    ]) + 13.0 * -3.0
        + 14.0 * (1u64 << 40) as f64
        + 15.0 * 0.5
        + 16.0 * -2.25
        + -17.0
        + 18.0 * 0.5;
    assert_eq!(r, want);

    let abi = lib.library().client().abi();
    let mut out = [0u32; 16];
    let n = lib.layout_of(13, &mut out).unwrap() as usize;
    let (l, offsets) = Mixed::__LOADLIB_LAYOUT;
    let mut want = vec![l.size(abi), l.align(abi)];
    want.extend_from_slice(&offsets[abi as usize]);
    assert_eq!(out[..n], want[..], "Mixed under {abi:?}");
    assert_eq!(lib.layout_of(99, &mut out).unwrap(), 0);
}

per_width! {
    structs_late => structs_late_32, structs_late_64;
}

// ---- Strings, handles, nullable pointers, errors ---------------------------------------

fn strings(bits: u32) {
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

fn handles(bits: u32) {
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

fn nullable(bits: u32) {
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

fn last_error(bits: u32) {
    let lib = load(bits);
    assert_eq!(lib.fail_with(42).unwrap(), (-1, 42));
    assert_eq!(lib.fail_with(7).unwrap(), (-1, 7));
    assert_eq!(lib.succeed().unwrap(), (0, 0), "cleared before each call");
}

fn returned_arrays(bits: u32) {
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

per_width! {
    strings => strings_32, strings_64;
    handles => handles_32, handles_64;
    nullable => nullable_32, nullable_64;
    last_error => last_error_32, last_error_64;
    returned_arrays => returned_arrays_32, returned_arrays_64;
}

// ---- stdcall ---------------------------------------------------------------------------

macro_rules! stdcall_check {
    ($lib:ident, $bits:expr) => {{
        let bits = $bits;
        // SAFETY: the bundled library; these functions are stdcall on i386 as declared.
        let lib = unsafe { $lib::load_with(builder(bits), path(bits)) }.expect("load");
        assert_eq!(lib.std_add(40, 2).unwrap(), 42);
        assert_eq!(
            lib.std_mix(-3, 0.25, 1 << 40, 1.5).unwrap(),
            -3.0 + 0.5 + 3.0 * (1u64 << 40) as f64 + 6.0
        );
        let v: [i64; 10] = [
            -5,
            -300,
            -70_000,
            -(1 << 40),
            250,
            65_000,
            4_000_000_000,
            1 << 62,
            -9,
            i64::MIN + 1,
        ];
        let digest = v.iter().enumerate().fold(0i64, |s, (k, x)| {
            s.wrapping_add((k as i64 + 1).wrapping_mul(*x))
        });
        assert_eq!(
            lib.std_many(
                v[0] as i8,
                v[1] as i16,
                v[2] as i32,
                v[3],
                v[4] as u8,
                v[5] as u16,
                v[6] as u32,
                v[7] as u64,
                v[8] as i32,
                v[9]
            )
            .unwrap(),
            digest
        );
        assert_eq!(lib.std_make_ic(5).unwrap(), IC::make(5));
        assert_eq!(lib.std_make_d1(5).unwrap(), D1::make(5));
        assert_eq!(lib.std_make_f1(-5).unwrap(), F1::make(-5));
        assert_eq!(lib.std_make_idl(8).unwrap(), Idl::make(8));
        let x = Idl::make(-4);
        assert_eq!(
            lib.std_take_idl(2, x, 1).unwrap(),
            x.digest() + 2000.0 + 100_000.0
        );
        let mut out = Idl::default();
        lib.std_fill_idl(&mut out, 9).unwrap();
        assert_eq!(out, Idl::make(9));
        assert_eq!(lib.std_fail_with(13).unwrap(), (-1, 13));
        // The stack is intact after all of them.
        assert_eq!(lib.std_add(-1, -2).unwrap(), -3);
    }};
}

fn stdcall_system(bits: u32) {
    stdcall_check!(SystemLib, bits);
    // The decorated name is what was found on 32-bit Windows: the plain one is not there.
    // SAFETY: the bundled library; nothing is called through the cdecl declaration.
    let plain = unsafe { StdAsC::load_with(builder(bits), path(bits)) };
    if cfg!(windows) && bits == 32 {
        let err = plain.err().expect("no undecorated `std_add`").to_string();
        assert!(err.contains("has no function `std_add`"), "{err}");
    } else {
        assert!(plain.is_ok(), "an undecorated export");
    }
}

fn stdcall_explicit(bits: u32) {
    stdcall_check!(StdcallLib, bits);
}

per_width! {
    stdcall_system => stdcall_system_32, stdcall_system_64;
    stdcall_explicit => stdcall_explicit_32, stdcall_explicit_64;
}

// ---- The run-time form -----------------------------------------------------------------

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

fn runtime_form(bits: u32) {
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

fn runtime_errors(bits: u32) {
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

per_width! {
    runtime_form => runtime_form_32, runtime_form_64;
    runtime_errors => runtime_errors_32, runtime_errors_64;
}

// ---- Binding and crashing --------------------------------------------------------------

fn missing_symbols(bits: u32) {
    // SAFETY: the bundled library; binding fails before anything is called.
    let err = match unsafe { Missing::load_with(builder(bits), path(bits)) } {
        Ok(_) => panic!("bound functions the library does not have"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("`no_such_function`"), "{err}");
    assert!(err.contains("`nor_this_one`"), "{err}");
    assert!(!err.contains("`add_i32`"), "{err}");
    assert!(err.contains("foreign_abi"), "names the library: {err}");
    // A library that does not exist.
    // SAFETY: nothing is loaded.
    let err = match unsafe { AbiLib::load_with(builder(bits), "no_such_library_here") } {
        Ok(_) => panic!("loaded a library that does not exist"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no_such_library_here"), "{err}");
}

fn crash_then_reload(bits: u32) {
    let lib = load(bits);
    assert_eq!(lib.add_i32(1, 1).unwrap(), 2);
    let err = lib.crash(0).unwrap_err();
    common::assert_access_violation(&err, &format!("{bits}-bit"));
    assert!(
        lib.add_i32(1, 1).is_err(),
        "the crashed server answers no more"
    );
    let again = load(bits);
    assert_eq!(again.add_i32(20, 22).unwrap(), 42);
    assert_eq!(again.make_idl(1).unwrap(), Idl::make(1));
}

per_width! {
    missing_symbols => missing_symbols_32, missing_symbols_64;
    crash_then_reload => crash_then_reload_32, crash_then_reload_64;
}
