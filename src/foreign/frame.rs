//! Where each argument of a call goes, and where its result comes back, under each
//! [`Abi`]: the client lays out the whole call, so the server only copies and calls.
//!
//! The frame a client writes is what the server's trampoline loads:
//!
//! ```text
//! i386:    the stack image, each argument in 4-byte slots (8 for 64-bit scalars)
//! x86-64:  6 × 8 bytes of integer registers (System V: rdi rsi rdx rcx r8 r9;
//!          Windows: rcx rdx r8 r9), 8 × 8 bytes of vector registers (xmm0..7), then
//!          the stack image in 8-byte slots (on Windows, after the 32-byte shadow space)
//! ```

use super::abi::{round_up, Abi};
use super::ctype::{CType, Class};
use super::encode::Place;
use super::scalar_call::ScalarPlan;
use super::wire::{pick, FunctionSpec, FOREIGN_CALL_SIZE, MAX_FRAME, SPEC_HIDDEN_RET};
use crate::error::{Error, Result};

/// Bytes of the register part of an x86-64 frame.
pub(crate) const X64_REGS: u32 = 6 * 8 + 8 * 8;
/// Offset of the vector registers in an x86-64 frame.
const X64_XMM: u32 = 6 * 8;

/// How one argument is passed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ArgPlan {
    /// Its bytes at this place in the frame; integers narrower than 4 bytes are extended
    /// (signed or not) to 4.
    Direct { at: Place, extend: Option<bool> },
    /// A copy in the record, a pointer to it at this place (Windows x86-64, structs that
    /// are not 1, 2, 4 or 8 bytes).
    ByCopy { slot: Place },
    /// A struct split over two registers (x86-64 System V): eightbyte `i` to `parts[i]`.
    Split { parts: [Option<Place>; 2] },
}

/// How the result comes back.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RetPlan {
    /// Nothing.
    Void,
    /// In registers: the server assembles the value's bytes from them.
    Regs,
    /// Through a buffer the caller provides, its address in this slot.
    Hidden { slot: Place },
}

/// The layout of one function's calls under one ABI.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FramePlan {
    /// Bytes of the frame.
    pub frame_len: u32,
    /// One per parameter.
    pub args: Vec<ArgPlan>,
    /// The return value.
    pub ret: RetPlan,
    /// Size and alignment of a result returned through a hidden pointer.
    pub ret_size_align: (u32, u32),
    /// What the server needs to call it and read its result.
    pub spec: FunctionSpec,
    /// Whether every call has the same size (numbers and addresses by value, the result
    /// in registers): then the call need not be measured before it is written.
    pub fixed: bool,
    /// When every argument is one scalar passed directly and the result comes back in
    /// registers: each argument's slot, for the scalar call's own path (see
    /// `scalar_call`). Set by `FunctionDecl::plan`.
    pub scalars: Option<ScalarPlan>,
}

/// Place in the record of frame offset `off`.
fn frame(off: u32) -> Place {
    Place(FOREIGN_CALL_SIZE + off)
}

/// Lays out a call with arguments of `params` (pointers as [`CType::Pointer`]) and a
/// result of `ret` (`None`: void).
pub(crate) fn plan(abi: Abi, params: &[CType], ret: Option<&CType>) -> Result<FramePlan> {
    let mut p = match abi {
        Abi::I386SysV | Abi::I386Windows => plan_i386(abi, params, ret),
        Abi::X64SysV => plan_sysv64(params, ret),
        Abi::X64Windows => plan_win64(params, ret),
    };
    if p.frame_len > MAX_FRAME {
        return Err(Error::InvalidArgument(format!(
            "the arguments take {} bytes; at most {MAX_FRAME} can be passed by value",
            p.frame_len
        )));
    }
    p.spec.frame_len = p.frame_len;
    if let Some(t) = ret {
        p.ret_size_align = (t.layout().size(abi), t.layout().align(abi));
    }
    Ok(p)
}

fn direct(at: Place, t: &CType) -> ArgPlan {
    ArgPlan::Direct {
        at,
        extend: t.narrow_int(),
    }
}

fn plan_i386(abi: Abi, params: &[CType], ret: Option<&CType>) -> FramePlan {
    let mut spec = FunctionSpec::default();
    let mut off = 0;
    let ret_plan = match ret {
        None => RetPlan::Void,
        Some(CType::Struct(s)) => match (abi, s.layout().size(abi)) {
            (Abi::I386Windows, 1 | 2 | 4 | 8) => {
                // mingw: a struct whose one scalar is a float comes back in st0.
                let mut leaves = Vec::new();
                ret.expect("some").leaves(abi, 0, &mut leaves);
                match leaves.as_slice() {
                    [(0, size, Class::Sse)] => {
                        spec.x87 = *size as u8;
                        spec.picks = [pick::ST0, pick::NONE];
                    }
                    _ => spec.picks = [pick::EAX_EDX, pick::NONE],
                }
                RetPlan::Regs
            }
            _ => {
                off = 4;
                spec.flags |= SPEC_HIDDEN_RET;
                RetPlan::Hidden { slot: frame(0) }
            }
        },
        Some(t) if t.is_float() => {
            spec.x87 = t.layout().size(abi) as u8;
            spec.picks = [pick::ST0, pick::NONE];
            RetPlan::Regs
        }
        Some(_) => {
            spec.picks = [pick::EAX_EDX, pick::NONE];
            RetPlan::Regs
        }
    };
    let args = params
        .iter()
        .map(|t| {
            let at = frame(off);
            off += round_up(t.layout().size(abi), 4);
            direct(at, t)
        })
        .collect();
    FramePlan {
        frame_len: off,
        args,
        ret: ret_plan,
        ret_size_align: (0, 1),
        spec,
        fixed: false,
        scalars: None,
    }
}

/// The System V classes of a struct's eightbytes, or `None` when it is passed in memory.
fn classify(t: &CType) -> Option<Vec<Class>> {
    let size = t.layout().size(Abi::X64SysV);
    if size > 16 {
        return None;
    }
    let mut leaves = Vec::new();
    t.leaves(Abi::X64SysV, 0, &mut leaves);
    let n = size.div_ceil(8) as usize;
    let mut classes = vec![Class::Sse; n];
    for (at, len, class) in leaves {
        if at % len.max(1) != 0 {
            return None; // unaligned: memory
        }
        if class == Class::Integer {
            classes[(at / 8) as usize] = Class::Integer;
        }
    }
    Some(classes)
}

fn plan_sysv64(params: &[CType], ret: Option<&CType>) -> FramePlan {
    let mut spec = FunctionSpec::default();
    let (mut gpr, mut xmm, mut stack) = (0u32, 0u32, 0u32);
    let ret_plan = match ret {
        None => RetPlan::Void,
        Some(t) => match classify(t) {
            None => {
                gpr = 1;
                RetPlan::Hidden { slot: frame(0) }
            }
            Some(classes) => {
                let (mut ints, mut sses) = (
                    [pick::RAX, pick::RDX].into_iter(),
                    [pick::XMM0, pick::XMM1].into_iter(),
                );
                for (i, c) in classes.iter().enumerate() {
                    spec.picks[i] = match c {
                        Class::Integer => ints.next(),
                        Class::Sse => sses.next(),
                    }
                    .expect("two eightbytes at most");
                }
                RetPlan::Regs
            }
        },
    };
    let on_stack = |t: &CType, stack: &mut u32| {
        let l = t.layout();
        let at = round_up(*stack, l.align(Abi::X64SysV).max(8));
        *stack = at + round_up(l.size(Abi::X64SysV), 8);
        frame(X64_REGS + at)
    };
    let args = params
        .iter()
        .map(|t| match t {
            CType::Struct(_) | CType::Array(..) => match classify(t) {
                Some(classes) => {
                    let ints = classes.iter().filter(|c| **c == Class::Integer).count() as u32;
                    let sses = classes.len() as u32 - ints;
                    if gpr + ints > 6 || xmm + sses > 8 {
                        return direct(on_stack(t, &mut stack), t);
                    }
                    let mut parts = [None, None];
                    for (i, c) in classes.iter().enumerate() {
                        parts[i] = Some(match c {
                            Class::Integer => {
                                gpr += 1;
                                frame((gpr - 1) * 8)
                            }
                            Class::Sse => {
                                xmm += 1;
                                frame(X64_XMM + (xmm - 1) * 8)
                            }
                        });
                    }
                    ArgPlan::Split { parts }
                }
                None => direct(on_stack(t, &mut stack), t),
            },
            t if t.is_float() && xmm < 8 => {
                xmm += 1;
                direct(frame(X64_XMM + (xmm - 1) * 8), t)
            }
            t if !t.is_float() && gpr < 6 => {
                gpr += 1;
                direct(frame((gpr - 1) * 8), t)
            }
            t => direct(on_stack(t, &mut stack), t),
        })
        .collect();
    FramePlan {
        frame_len: X64_REGS + stack,
        args,
        ret: ret_plan,
        ret_size_align: (0, 1),
        spec,
        fixed: false,
        scalars: None,
    }
}

fn plan_win64(params: &[CType], ret: Option<&CType>) -> FramePlan {
    let mut spec = FunctionSpec::default();
    let by_value = |t: &CType| matches!(t.layout().size(Abi::X64Windows), 1 | 2 | 4 | 8);
    let mut pos = 0u32;
    let ret_plan = match ret {
        None => RetPlan::Void,
        Some(t @ (CType::Struct(_) | CType::Array(..))) if !by_value(t) => {
            pos = 1;
            RetPlan::Hidden { slot: frame(0) }
        }
        Some(t) => {
            spec.picks[0] = if t.is_float() { pick::XMM0 } else { pick::RAX };
            RetPlan::Regs
        }
    };
    let args = params
        .iter()
        .map(|t| {
            let p = pos;
            pos += 1;
            let slot = match (p, t.is_float()) {
                (0..4, true) => frame(X64_XMM + p * 8),
                (0..4, false) => frame(p * 8),
                _ => frame(X64_REGS + (p - 4) * 8),
            };
            match t {
                CType::Struct(_) | CType::Array(..) if !by_value(t) => ArgPlan::ByCopy { slot },
                _ => direct(slot, t),
            }
        })
        .collect();
    FramePlan {
        frame_len: X64_REGS + 8 * pos.saturating_sub(4),
        args,
        ret: ret_plan,
        ret_size_align: (0, 1),
        spec,
        fixed: false,
        scalars: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::foreign::StructType;

    fn at(p: &ArgPlan) -> u32 {
        match p {
            ArgPlan::Direct { at, .. } => at.0 - FOREIGN_CALL_SIZE,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn i386_slots_are_4_bytes_and_64_bit_scalars_take_two() {
        let p = plan(
            Abi::I386SysV,
            &[CType::I8, CType::F64, CType::I32, CType::I64],
            Some(&CType::F64),
        )
        .unwrap();
        assert_eq!(p.args.iter().map(at).collect::<Vec<_>>(), [0, 4, 12, 16]);
        assert_eq!(p.frame_len, 24);
        assert_eq!((p.spec.x87, p.spec.picks[0]), (8, pick::ST0));
    }

    #[test]
    fn struct_returns_follow_each_32_bit_convention() {
        let d1 = CType::Struct(StructType::new("D1", [("a", CType::F64)]));
        let ic = CType::Struct(StructType::new("IC", [("a", CType::I32), ("b", CType::I8)]));
        let c3 = CType::Struct(StructType::new(
            "C3",
            [("a", CType::Array(CType::I8.into(), 3))],
        ));
        let linux = plan(Abi::I386SysV, &[CType::I32], Some(&ic)).unwrap();
        assert_eq!(linux.ret, RetPlan::Hidden { slot: frame(0) });
        assert_eq!(at(&linux.args[0]), 4);
        let win = |t: &CType| plan(Abi::I386Windows, &[], Some(t)).unwrap();
        assert_eq!((win(&d1).spec.x87, win(&d1).spec.picks[0]), (8, pick::ST0));
        assert_eq!(
            (win(&ic).spec.x87, win(&ic).spec.picks[0]),
            (0, pick::EAX_EDX)
        );
        assert!(matches!(win(&c3).ret, RetPlan::Hidden { .. }));
        // A stdcall export's decoration counts the arguments without the hidden pointer.
        assert_eq!(linux.spec.flags, SPEC_HIDDEN_RET);
        assert_eq!(win(&c3).spec.flags, SPEC_HIDDEN_RET);
        assert_eq!(win(&ic).spec.flags, 0);
    }

    #[test]
    fn sysv64_splits_small_structs_over_register_classes() {
        let di = CType::Struct(StructType::new(
            "DI",
            [("d", CType::F64), ("i", CType::I64)],
        ));
        let p = plan(
            Abi::X64SysV,
            &[CType::I32, di.clone(), CType::F32],
            Some(&di),
        )
        .unwrap();
        assert_eq!(at(&p.args[0]), 0);
        assert_eq!(
            p.args[1],
            ArgPlan::Split {
                parts: [Some(frame(X64_XMM)), Some(frame(8))]
            }
        );
        assert_eq!(at(&p.args[2]), X64_XMM + 8);
        assert_eq!(p.spec.picks, [pick::XMM0, pick::RAX]);
        let big = CType::Struct(StructType::new(
            "B",
            [("a", CType::Array(CType::F64.into(), 3))],
        ));
        let p = plan(Abi::X64SysV, &[big], Some(&CType::I32)).unwrap();
        assert_eq!(at(&p.args[0]), X64_REGS);
        assert_eq!(p.frame_len, X64_REGS + 24);
    }

    #[test]
    fn sysv64_a_struct_short_of_registers_goes_whole_to_the_stack() {
        // Measured against gcc (tests/foreign/abi/, `regs_left`): five integers, then
        // a struct of two INTEGER eightbytes; the sixth register is left for the next.
        let ll = CType::Struct(StructType::new(
            "LL",
            [("a", CType::I64), ("b", CType::I64)],
        ));
        let mut params = vec![CType::I64; 5];
        params.extend([ll, CType::I64]);
        let p = plan(Abi::X64SysV, &params, Some(&CType::F64)).unwrap();
        assert_eq!(at(&p.args[5]), X64_REGS);
        assert_eq!(at(&p.args[6]), 5 * 8);
        // { int n; float v[3]; }: the first eightbyte mixes classes, so INTEGER.
        let arr = CType::Struct(StructType::new(
            "Arr",
            [("n", CType::I32), ("v", CType::Array(CType::F32.into(), 3))],
        ));
        let p = plan(Abi::X64SysV, std::slice::from_ref(&arr), Some(&arr)).unwrap();
        assert_eq!(
            p.args[0],
            ArgPlan::Split {
                parts: [Some(frame(0)), Some(frame(X64_XMM))]
            }
        );
        assert_eq!(p.spec.picks, [pick::RAX, pick::XMM0]);
    }

    #[test]
    fn win64_uses_positions_and_copies_large_structs() {
        let big = CType::Struct(StructType::new(
            "B",
            [("a", CType::Array(CType::F64.into(), 3))],
        ));
        let p = plan(
            Abi::X64Windows,
            &[CType::F64, big, CType::I32, CType::I8, CType::F32],
            Some(&CType::F64),
        )
        .unwrap();
        assert_eq!(at(&p.args[0]), X64_XMM);
        assert_eq!(p.args[1], ArgPlan::ByCopy { slot: frame(8) });
        assert_eq!(at(&p.args[2]), 16);
        assert_eq!(at(&p.args[4]), X64_REGS);
        assert_eq!(p.frame_len, X64_REGS + 8);
        assert_eq!(p.spec.picks[0], pick::XMM0);
    }
}
