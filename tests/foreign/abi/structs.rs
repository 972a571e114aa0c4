//! Structs returned, passed by value, written through and modified through pointers, and
//! their layouts against the library's compiler.

use super::*;

/// A struct of the library, described by its scalars in order: scalar k of `make(seed)` is
/// seed + k (+ 0.25 for a float, + 0.5 for a double), as `csrc/foreign_abi.c` makes it.
pub(super) trait Case: CDecode + Copy + Default + Debug + PartialEq {
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

/// For each struct, a check of its four functions (`fn(&Config)`) and its tests, one per
/// server width (`<check>::shm_server32`, `…::shm_server64`).
macro_rules! struct_tests {
    ($($t:ident: $make:ident, $take:ident, $fill:ident, $bump:ident => $check:ident;)*) => {$(
        fn $check(cfg: &Config) {
            check_struct::<$t>(cfg.width, |l, s| l.$make(s), |l, a, v, b| l.$take(a, v, b), |l, o, s| l.$fill(o, s), |l, p| l.$bump(p));
        }
        common::per_config! {
            $check: shm;
        }
    )*};
}

struct_tests! {
    F1: make_f1, take_f1, fill_f1, bump_f1 => struct_f1;
    D1: make_d1, take_d1, fill_d1, bump_d1 => struct_d1;
    F2: make_f2, take_f2, fill_f2, bump_f2 => struct_f2;
    F3: make_f3, take_f3, fill_f3, bump_f3 => struct_f3;
    IC: make_ic, take_ic, fill_ic, bump_ic => struct_ic;
    C3: make_c3, take_c3, fill_c3, bump_c3 => struct_c3;
    S3: make_s3, take_s3, fill_s3, bump_s3 => struct_s3;
    DL: make_dl, take_dl, fill_dl, bump_dl => struct_dl;
    Idl: make_idl, take_idl, fill_idl, bump_idl => struct_idl;
    Big: make_big, take_big, fill_big, bump_big => struct_big;
    Arr: make_arr, take_arr, fill_arr, bump_arr => struct_arr;
    Nested: make_nested, take_nested, fill_nested, bump_nested => struct_nested;
    NestS: make_nests, take_nests, fill_nests, bump_nests => struct_nests;
}

/// Structs by value once the registers run out, and the layout of the echo struct.
fn structs_late(cfg: &Config) {
    let bits = cfg.width;
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

common::per_config! {
    structs_late: shm;
}
