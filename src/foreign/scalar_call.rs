//! The scalar call's own path: a foreign function whose arguments are all scalars passed
//! directly (numbers, `bool`, [`Logical`](super::Logical), [`Ptr`](super::Ptr), `usize`,
//! `isize`)
//! and whose result comes back in registers is written as its fixed frame straight into
//! the ring, from the bits the generated method gives
//! ([`CValue::scalar_bits`](super::CValue::scalar_bits)), with no
//! [`Encoder`](super::Encoder), no closure and no measuring pass; its reply, one line,
//! is read as that line. The record is the same bytes the general path writes.

use zerocopy::IntoBytes;

use super::abi::Abi;
use super::ctype::CType;
use super::decl::{Param, ParamKind, Ret};
use super::frame::{ArgPlan, FramePlan};
use super::library::ForeignLibrary;
use super::values::CDecode;
use super::wire::{ForeignCall, ForeignReply, FOREIGN_CALL_SIZE};
use crate::error::{Error, Result};
use crate::transport::channel::{WriteBlock, BLOCK_WORDS};

/// Where one scalar argument goes: `width` bytes at block offset `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ScalarSlot {
    /// Offset from the block's start.
    pub at: u32,
    /// Bytes written: the scalar's size, or 4 for an integer C extends to 4.
    pub width: u8,
    /// The largest bits that fit `width` bytes (after `bias`).
    pub max: u64,
    /// Added to the bits before they are compared with `max`: half the slot's range for
    /// a signed value given sign-extended to 64 bits (`isize`), else 0.
    pub bias: u64,
}

impl ScalarSlot {
    /// The slot of `width` bytes (1, 2, 4 or 8) at `at`, for a value given
    /// sign-extended (`signed`) or zero-extended to 64 bits.
    fn new(at: u32, width: u32, signed: bool) -> Option<ScalarSlot> {
        matches!(width, 1 | 2 | 4 | 8).then(|| ScalarSlot {
            at,
            width: width as u8,
            max: u64::MAX >> (64 - 8 * width),
            bias: match signed && width < 8 {
                true => 1 << (8 * width - 1),
                false => 0,
            },
        })
    }

    /// Whether `bits` fit the slot (an address above 4 GiB, or an `isize` outside
    /// `i32`, does not fit a 32-bit server's; every other scalar's bits fit its own
    /// slot).
    #[inline(always)]
    fn fits(self, bits: u64) -> bool {
        bits.wrapping_add(self.bias) <= self.max
    }
}

/// How a scalar call of one function is written, settled when the function is bound so
/// that a call only stores its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScalarPlan {
    /// Each argument's slot, in order.
    slots: Vec<ScalarSlot>,
    /// How the slots are written.
    writes: SlotWrites,
    /// Whether some argument's bits may not fit its slot (an address or an `isize` on a
    /// 32-bit server), so each is checked; other scalars' bits always fit theirs.
    checked: bool,
    /// The block's head ([`ForeignCall`]): the same for every call.
    head: [u8; FOREIGN_CALL_SIZE as usize],
    /// Bytes of the block: the head and the frame, rounded up to 8 (as the general path
    /// measures a call that places nothing beside its frame).
    block_len: usize,
}

/// How a [`ScalarPlan`]'s slots are written into the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotWrites {
    /// The slots follow one another from the frame's start and fill it, each 4 bytes or,
    /// where bit `i` of `wide` is set, 8 (i386's stack image): each argument is stored
    /// after the one before, with no offsets to read.
    Run {
        /// Bit `i` set: argument `i` takes 8 bytes.
        wide: u64,
    },
    /// Each slot at its own offset (x86-64's registers and stack slots), the frame
    /// zeroed first unless the slots cover it.
    Placed {
        /// Whether the slots cover the whole frame, so no byte of it needs zeroing.
        covered: bool,
    },
}

/// The scalar plan of a call of `params` laid out by `plan`, when every argument is one
/// scalar passed directly and the result is a value in registers (or there is none):
/// not a string or array the server copies from a returned pointer.
pub(crate) fn scalar_plan(
    abi: Abi,
    params: &[Param],
    ret: &Ret,
    plan: &FramePlan,
) -> Option<ScalarPlan> {
    let (slots, checked) = scalar_slots(abi, params, ret, plan)?;
    let mut frame = vec![false; plan.frame_len as usize];
    for s in &slots {
        let at = (s.at - FOREIGN_CALL_SIZE) as usize;
        frame.get_mut(at..at + s.width as usize)?.fill(true);
    }
    let covered = frame.iter().all(|&b| b);
    let block_len = (FOREIGN_CALL_SIZE + plan.frame_len).next_multiple_of(8);
    let head = ForeignCall {
        frame_len: plan.frame_len,
        reloc_count: 0,
        reloc_at: block_len,
        ret_copy: 0,
    };
    Some(ScalarPlan {
        writes: slot_writes(&slots, covered),
        slots,
        checked,
        head: zerocopy::transmute!(head),
        block_len: block_len as usize,
    })
}

/// [`SlotWrites::Run`] when `slots` follow one another from the frame's start, each 4
/// or 8 bytes, and cover it (at most 64 of them); else [`SlotWrites::Placed`].
fn slot_writes(slots: &[ScalarSlot], covered: bool) -> SlotWrites {
    let mut at = FOREIGN_CALL_SIZE;
    let mut wide = 0u64;
    for (i, s) in slots.iter().enumerate() {
        if s.at != at || !matches!(s.width, 4 | 8) || i >= 64 {
            return SlotWrites::Placed { covered };
        }
        if s.width == 8 {
            wide |= 1 << i;
        }
        at += s.width as u32;
    }
    match covered {
        true => SlotWrites::Run { wide },
        false => SlotWrites::Placed { covered },
    }
}

/// Each argument's slot (see [`scalar_plan`]), and whether some argument's bits may not
/// fit its slot.
fn scalar_slots(
    abi: Abi,
    params: &[Param],
    ret: &Ret,
    plan: &FramePlan,
) -> Option<(Vec<ScalarSlot>, bool)> {
    // A fixed plan's result is in registers (at most 16 bytes) or none; a string or
    // array result is copied from a returned pointer, which this path does not ask for.
    if !plan.fixed || !matches!(ret, Ret::Void | Ret::Value(_)) {
        return None;
    }
    let mut checked = false;
    let slots = params
        .iter()
        .zip(&plan.args)
        .map(|(p, a)| match (&p.kind, a) {
            (ParamKind::Value(t), ArgPlan::Direct { at, extend }) => {
                let width = if extend.is_some() {
                    4
                } else {
                    t.layout().size(abi)
                };
                let slot = ScalarSlot::new(at.0, width, matches!(t, CType::ISize))?;
                // `CValue::scalar_bits` gives at least 4 bytes (narrow integers
                // extended), and as many as the type has in this 64-bit process.
                let given = t.layout().size(Abi::X64SysV).max(4);
                checked |= slot.bias != 0 || (slot.width as u32) < given;
                Some(slot)
            }
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((slots, checked))
}

/// A scalar call ready to write: its plan and each argument's bits, each known to fit its
/// slot (checked where the argument's type may not fit: see [`ScalarPlan::checked`]).
pub(crate) struct ScalarCall<'a> {
    plan: &'a ScalarPlan,
    bits: &'a [u64],
}

impl<'a> ScalarCall<'a> {
    /// The call of `plan` with arguments `bits`: `None` when `plan` has no scalar slots,
    /// or has another number of them, or an argument does not fit its slot.
    #[inline(always)]
    fn new(plan: &'a FramePlan, bits: &'a [u64]) -> Option<Self> {
        let plan = plan.scalars.as_ref()?;
        if plan.slots.len() != bits.len() {
            return None;
        }
        if plan.checked {
            for (s, b) in plan.slots.iter().zip(bits) {
                if !s.fits(*b) {
                    return None;
                }
            }
        }
        Some(ScalarCall { plan, bits })
    }

    /// Bytes of the block (see [`ScalarPlan::block_len`]).
    #[inline(always)]
    pub(crate) fn block_len(&self) -> usize {
        self.plan.block_len
    }
}

impl WriteBlock for ScalarCall<'_> {
    /// Writes the block (`block_len` bytes): the head, the frame's bytes that no
    /// argument fills zeroed, each argument in its slot. What `Encoder` writes for the
    /// same call.
    #[inline(always)]
    fn write_block(&self, block: &mut [u8]) {
        let plan = self.plan;
        let head = FOREIGN_CALL_SIZE as usize;
        if let Some(dst) = block.get_mut(..head) {
            dst.copy_from_slice(&plan.head);
        }
        match plan.writes {
            SlotWrites::Run { wide } => {
                let mut at = head;
                for (i, b) in self.bits.iter().enumerate() {
                    let width = if wide >> i & 1 != 0 { 8 } else { 4 };
                    put(block, at, width, *b);
                    at += width as usize;
                }
            }
            SlotWrites::Placed { covered } => {
                // The bytes no slot writes (x86-64's unused registers), as the encoder
                // leaves them. (Past the frame, up to a multiple of 8, neither writes.)
                if !covered {
                    if let Some(frame) = block.get_mut(head..) {
                        frame.fill(0);
                    }
                }
                for (s, b) in plan.slots.iter().zip(self.bits) {
                    put(block, s.at as usize, s.width, *b);
                }
            }
        }
    }
}

/// Writes the low `width` bytes (1, 2, 4 or 8) of `bits` at `at` in `block`, as
/// fixed-size stores; a slot outside the block is not written (the plan keeps each
/// inside the frame).
#[inline(always)]
fn put(block: &mut [u8], at: usize, width: u8, bits: u64) {
    fn store<const N: usize>(block: &mut [u8], at: usize, bytes: [u8; N]) {
        if let Some(dst) = block.get_mut(at..at + N) {
            dst.copy_from_slice(&bytes);
        }
    }
    match width {
        4 => store(block, at, (bits as u32).to_le_bytes()),
        8 => store(block, at, bits.to_le_bytes()),
        1 => store(block, at, [bits as u8]),
        _ => store(block, at, (bits as u16).to_le_bytes()),
    }
}

/// What a scalar call gives back: the reply's words (the result's registers and the
/// error code), which [`ForeignLibrary::call_scalars`] fills.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct ScalarReturn {
    /// The reply ([`ForeignReply`]) as its words.
    pub(crate) words: [u64; BLOCK_WORDS],
    abi: Abi,
}

impl ScalarReturn {
    /// Nothing yet, for [`ForeignLibrary::call_scalars`] to fill.
    pub const EMPTY: ScalarReturn = ScalarReturn {
        words: [0; BLOCK_WORDS],
        abi: Abi::I386SysV,
    };

    /// The return value. An error here (a [`CDecode`] type larger than the registers
    /// hold, which no declaration `scalar_plan` takes has) leaves the client open, as
    /// nothing in the connection went wrong.
    #[inline(always)]
    pub fn value<T: CDecode>(&self) -> Result<T> {
        let size = T::LAYOUT.size(self.abi) as usize;
        // The result's registers: the reply's first two words.
        let ret = self.words[..2].as_bytes();
        match ret.get(..size) {
            Some(bytes) => Ok(T::decode(self.abi, bytes)),
            None => Err(Error::Protocol(format!(
                "a {size}-byte result in registers"
            ))),
        }
    }

    /// What [`ForeignLibrary::call_scalars`] said of a call it made, as the method's
    /// result: its error unboxed.
    #[inline(always)]
    pub fn sent(sent: Result<(), Box<Error>>) -> Result<()> {
        sent.map_err(|e| *e)
    }

    /// `errno` (Linux) or `GetLastError()` (Windows) right after the call, for a
    /// function declared to report it; else 0.
    #[inline(always)]
    pub fn last_error(&self) -> i32 {
        ForeignReply::from_words(self.words).last_error
    }
}

impl ForeignLibrary {
    /// Calls function `i` with arguments given as their scalar bits
    /// ([`CValue::scalar_bits`](super::CValue::scalar_bits)) on the scalar call's own
    /// path, its reply in `out`: `None`, with nothing sent, when the path does not apply
    /// (the function takes anything else, an argument does not fit, or the client is
    /// not free for it), and the caller goes the general way ([`invoke`](Self::invoke)).
    /// What generated handles call first, when every argument's type gives its bits
    /// (a struct passed by value does not, and its function's handle never calls this).
    /// The error is boxed: see [`ScalarReturn::sent`].
    #[doc(hidden)]
    #[inline(always)]
    pub fn call_scalars(
        &self,
        i: usize,
        bits: &[u64],
        out: &mut ScalarReturn,
    ) -> Option<Result<(), Box<Error>>> {
        let f = self.function(i)?;
        let call = ScalarCall::new(&f.plan, bits)?;
        let client = self.client();
        out.abi = client.abi();
        client.foreign_scalar_call(f.id, &f.decl.name, &call, &mut out.words)
    }
}

#[cfg(test)]
#[path = "scalar_call_tests.rs"]
mod tests;
