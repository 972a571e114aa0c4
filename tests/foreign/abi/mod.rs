//! The ABI conformance suite of foreign calls: `csrc/foreign_abi.c` declared with
//! `foreign!` (and partly in the run-time form), every case checked against a 32-bit and
//! a 64-bit server, each its own test (`…::shm_server32`, `…::shm_server64`). On Linux
//! the servers are i386 System V and x86-64 System V; under Wine
//! (`--target x86_64-pc-windows-gnu`), i386 Windows (mingw) and x86-64 Windows.

use std::ffi::c_char;
use std::fmt::Debug;

use loadlib::foreign::{
    CDecode, CType, CValue, Convention, Dir, ForeignLibrary, FunctionDecl, Len, Param, Ptr, Ret,
    FOREIGN_MODULE,
};
use loadlib::{foreign, ArrayMut, Builder, CStruct, Client64, Error, ServerExe, Value, ValueRef};

use crate::common::{self, Config};

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

// ---- The checks, by kind --------------------------------------------------------------

use scalars::weighted;
use structs::Case;

mod binding;
mod pointers;
mod runtime;
mod scalars;
mod stdcall;
mod structs;
