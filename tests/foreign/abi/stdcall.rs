//! stdcall functions, found under their decorated names on 32-bit Windows.

use super::*;

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

fn stdcall_system(cfg: &Config) {
    let bits = cfg.width;
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

fn stdcall_explicit(cfg: &Config) {
    let bits = cfg.width;
    stdcall_check!(StdcallLib, bits);
}

common::per_config! {
    stdcall_system: shm;
    stdcall_explicit: shm;
}
