//! The scalar call's block is the bytes the general encoder writes for the same call,
//! under every ABI, and the path declines what it does not cover.

use super::*;
use crate::foreign::abi::ABIS;
use crate::foreign::ctype::{CType, StructType};
use crate::foreign::decl::{FunctionDecl, Ret};
use crate::foreign::encode::Encoder;
use crate::foreign::frame::RetPlan;
use crate::foreign::values::{CValue, Logical, Ptr};

/// One argument of any scalar type.
#[derive(Clone, Copy, Debug)]
enum Arg {
    I8(i8),
    U8(u8),
    I16(i16),
    U16(u16),
    I32(i32),
    U32(u32),
    I64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Bool(bool),
    Logical(Logical),
    Ptr(Ptr),
    USize(usize),
    ISize(isize),
}

macro_rules! each {
    ($a:expr, $v:ident => $e:expr) => {
        match $a {
            Arg::I8($v) => $e,
            Arg::U8($v) => $e,
            Arg::I16($v) => $e,
            Arg::U16($v) => $e,
            Arg::I32($v) => $e,
            Arg::U32($v) => $e,
            Arg::I64($v) => $e,
            Arg::U64($v) => $e,
            Arg::F32($v) => $e,
            Arg::F64($v) => $e,
            Arg::Bool($v) => $e,
            Arg::Logical($v) => $e,
            Arg::Ptr($v) => $e,
            Arg::USize($v) => $e,
            Arg::ISize($v) => $e,
        }
    };
}

fn ctype(a: Arg) -> CType {
    fn of<T: CValue>(_: &T) -> CType {
        T::ctype()
    }
    each!(a, v => of(&v))
}

fn bits(a: Arg) -> u64 {
    each!(a, v => v.scalar_bits()).expect("every `Arg` is a scalar")
}

/// Deterministic arguments of every type, cycling through the types from `seed`, with
/// values at the types' edges (addresses as wide as `abi`'s).
fn args(abi: Abi, seed: u64, n: usize) -> Vec<Arg> {
    let address = |edge: u64| match abi.is_32_bit() {
        true => edge as u32 as usize,
        false => edge as usize,
    };
    let signed = |edge: u64| match abi.is_32_bit() {
        true => edge as i32 as isize,
        false => edge as i64 as isize,
    };
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let edge = [0, 1, u64::MAX, 1 << 63, x][(x % 5) as usize];
            match (seed as usize + i) % 15 {
                0 => Arg::I8(edge as i8),
                1 => Arg::U8(edge as u8),
                2 => Arg::I16(edge as i16),
                3 => Arg::U16(edge as u16),
                4 => Arg::I32(edge as i32),
                5 => Arg::U32(edge as u32),
                6 => Arg::I64(edge as i64),
                7 => Arg::U64(edge),
                8 => Arg::F32(f32::from_bits(edge as u32)),
                9 => Arg::F64(f64::from_bits(edge)),
                10 => Arg::Bool(edge & 1 == 1),
                11 => Arg::Logical(Logical(edge & 2 == 2)),
                12 => Arg::Ptr(Ptr(address(edge))),
                13 => Arg::USize(address(edge)),
                _ => Arg::ISize(signed(edge)),
            }
        })
        .collect()
}

fn decl(args: &[Arg], ret: Ret) -> FunctionDecl {
    let params = args
        .iter()
        .enumerate()
        .map(|(i, a)| Param::value(format!("p{i}"), ctype(*a)))
        .collect();
    FunctionDecl::new("f", params, ret)
}

/// The block the general encoder writes for `args` under `plan`, in a record whose old
/// bytes were 0xAA.
fn general_block(abi: Abi, plan: &FramePlan, args: &[Arg]) -> Vec<u8> {
    let measured = Encoder::measure(abi, plan, 4096).measured();
    let mut block = vec![0xAA; measured.block_len];
    let mut e = Encoder::write_into(abi, plan, &mut block, &measured, 0, 4096, None);
    for (i, a) in args.iter().enumerate() {
        each!(*a, v => e.arg(i, &v)).unwrap();
    }
    e.finish().unwrap();
    block
}

#[test]
fn the_scalar_block_is_the_general_encoders_under_every_abi() {
    let mut checked = 0;
    for abi in ABIS {
        for n in 0..=20 {
            for seed in 0..40 {
                let args = args(abi, seed, n);
                let ret = match seed % 4 {
                    0 => Ret::Void,
                    1 => Ret::Value(CType::I8),
                    2 => Ret::Value(CType::F64),
                    _ => Ret::Value(CType::U64),
                };
                let plan = decl(&args, ret).plan(abi).unwrap();
                let bits: Vec<_> = args.iter().map(|a| bits(*a)).collect();
                let call = ScalarCall::new(&plan, &bits)
                    .unwrap_or_else(|| panic!("{abi:?} {args:?}: declined"));
                let general = general_block(abi, &plan, &args);
                assert_eq!(call.block_len(), general.len(), "{abi:?} {args:?}");
                let mut block = vec![0x55; call.block_len()];
                call.write_block(&mut block);
                // The head and the frame; the general encoder leaves the bytes past the
                // frame (up to a multiple of 8) as they were, and the server reads none.
                let used = (FOREIGN_CALL_SIZE + plan.frame_len) as usize;
                assert_eq!(block[..used], general[..used], "{abi:?} {args:?}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 21 * 40);
}

#[test]
fn a_frame_the_arguments_cover_is_written_whole_with_nothing_zeroed() {
    // x86-64: six integer registers, eight vector registers, then stack slots; i386:
    // every argument's slots.
    let mut args: Vec<Arg> = (0..6).map(|i| Arg::I64(-1 - i)).collect();
    args.extend((0..8).map(|i| Arg::F64(-0.5 - i as f64)));
    args.extend([Arg::U64(u64::MAX), Arg::I64(-7)]);
    for abi in ABIS {
        let plan = decl(&args, Ret::Value(CType::F64)).plan(abi).unwrap();
        let scalars = plan.scalars.as_ref().unwrap();
        // Windows x86-64 has four register slots: its vector slots past the fourth
        // argument stay unused.
        // i386's slots follow one another and are written as a run; so are System V
        // x86-64's here, where the arguments fill the registers in the order the
        // registers are saved.
        let writes = match abi {
            Abi::I386SysV | Abi::I386Windows | Abi::X64SysV => SlotWrites::Run {
                wide: (1 << args.len()) - 1,
            },
            Abi::X64Windows => SlotWrites::Placed { covered: false },
        };
        assert_eq!(scalars.writes, writes, "{abi:?}");
        let bits: Vec<_> = args.iter().map(|a| bits(*a)).collect();
        let call = ScalarCall::new(&plan, &bits).unwrap();
        let general = general_block(abi, &plan, &args);
        let mut block = vec![0x55; call.block_len()];
        call.write_block(&mut block);
        let used = (FOREIGN_CALL_SIZE + plan.frame_len) as usize;
        assert_eq!(block[..used], general[..used], "{abi:?}");
    }
}

#[test]
fn what_the_scalar_path_does_not_cover_is_declined() {
    let point = StructType::new("P", [("x", CType::I32), ("y", CType::I32)]);
    for abi in ABIS {
        let two = decl(&[Arg::I32(1), Arg::I32(2)], Ret::Value(CType::I32))
            .plan(abi)
            .unwrap();
        assert!(two.scalars.is_some(), "{abi:?}");
        // Another number of arguments than declared.
        assert!(ScalarCall::new(&two, &[1]).is_none());
        assert!(ScalarCall::new(&two, &[1, 2, 3]).is_none());
        assert!(ScalarCall::new(&two, &[1, 2]).is_some());
        // An address past a 32-bit server's slot (the general path reports it).
        let ptr = decl(&[Arg::Ptr(Ptr::NULL)], Ret::Void).plan(abi).unwrap();
        let far = 1u64 << 40;
        assert_eq!(
            ScalarCall::new(&ptr, &[far]).is_some(),
            !abi.is_32_bit(),
            "{abi:?}"
        );
        // An `isize` outside a 32-bit server's `i32` (the general path reports it).
        let isize_plan = decl(&[Arg::ISize(0)], Ret::Void).plan(abi).unwrap();
        for (v, fits32) in [
            (i32::MIN as i64, true),
            (i32::MAX as i64, true),
            (-1, true),
            (i32::MIN as i64 - 1, false),
            (i32::MAX as i64 + 1, false),
            (i64::MIN, false),
        ] {
            let taken = ScalarCall::new(&isize_plan, &[v as u64]).is_some();
            assert_eq!(taken, fits32 || !abi.is_32_bit(), "{abi:?} {v}");
        }
        // Pointers to data, strings, structs by value or returned: the general way.
        let params = [
            Param::array(
                "a",
                CType::F64,
                crate::foreign::Dir::In,
                crate::foreign::Len::Any,
            ),
            Param::str("s"),
            Param::value("p", CType::Struct(point.clone())),
        ];
        for p in params {
            let f = FunctionDecl::new("g", vec![p.clone()], Ret::Void);
            assert!(f.plan(abi).unwrap().scalars.is_none(), "{abi:?} {p:?}");
        }
        for ret in [Ret::Value(CType::Struct(point.clone())), Ret::Str] {
            let f = FunctionDecl::new("g", vec![], ret.clone());
            let plan = f.plan(abi).unwrap();
            // A struct returned in registers is covered; one through a hidden pointer,
            // and a copied string, are not.
            let covered = plan.scalars.is_some();
            let hidden = matches!(plan.ret, RetPlan::Hidden { .. });
            assert_eq!(
                covered,
                !hidden && !matches!(ret, Ret::Str),
                "{abi:?} {ret:?}"
            );
        }
    }
}

#[test]
fn only_arguments_whose_bits_may_not_fit_are_checked() {
    let checked = |abi: Abi, args: &[Arg]| {
        let plan = decl(args, Ret::Void).plan(abi).unwrap();
        plan.scalars.unwrap().checked
    };
    let numbers = [
        Arg::I8(-1),
        Arg::U16(7),
        Arg::I32(-5),
        Arg::U64(u64::MAX),
        Arg::F32(1.5),
        Arg::F64(-2.0),
        Arg::Bool(true),
        Arg::Logical(Logical(true)),
    ];
    for abi in ABIS {
        // A number's bits always fit its slot, under every ABI.
        assert!(!checked(abi, &numbers), "{abi:?}");
        // An address or a pointer-sized integer is checked where the slot is narrower
        // than this process's 8 bytes: on a 32-bit server.
        for wide in [Arg::Ptr(Ptr::NULL), Arg::USize(0), Arg::ISize(0)] {
            let mut args = numbers.to_vec();
            args.push(wide);
            assert_eq!(checked(abi, &args), abi.is_32_bit(), "{abi:?} {wide:?}");
        }
    }
}
