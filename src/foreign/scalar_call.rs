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

/// How a scalar call of one function is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScalarPlan {
    /// Each argument's slot, in order.
    slots: Vec<ScalarSlot>,
    /// Whether the slots cover the whole frame (as on i386, where each argument takes
    /// its slots whole), so no byte of it needs zeroing first.
    covered: bool,
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
    let slots = scalar_slots(abi, params, ret, plan)?;
    let mut frame = vec![false; plan.frame_len as usize];
    for s in &slots {
        let at = (s.at - FOREIGN_CALL_SIZE) as usize;
        frame.get_mut(at..at + s.width as usize)?.fill(true);
    }
    Some(ScalarPlan {
        covered: frame.iter().all(|&b| b),
        slots,
    })
}

/// Each argument's slot (see [`scalar_plan`]).
fn scalar_slots(
    abi: Abi,
    params: &[Param],
    ret: &Ret,
    plan: &FramePlan,
) -> Option<Vec<ScalarSlot>> {
    // A fixed plan's result is in registers (at most 16 bytes) or none; a string or
    // array result is copied from a returned pointer, which this path does not ask for.
    if !plan.fixed || !matches!(ret, Ret::Void | Ret::Value(_)) {
        return None;
    }
    params
        .iter()
        .zip(&plan.args)
        .map(|(p, a)| match (&p.kind, a) {
            (ParamKind::Value(t), ArgPlan::Direct { at, extend }) => {
                let width = if extend.is_some() {
                    4
                } else {
                    t.layout().size(abi)
                };
                ScalarSlot::new(at.0, width, matches!(t, CType::ISize))
            }
            _ => None,
        })
        .collect()
}

/// A scalar call ready to write: its block's length and each argument's slot and bits,
/// every one checked to fit.
pub(crate) struct ScalarCall<'a> {
    frame_len: u32,
    covered: bool,
    /// Bytes of the block: the head and the frame, rounded up to 8 (as the general
    /// path measures a call that places nothing beside its frame).
    pub block_len: usize,
    slots: &'a [ScalarSlot],
    bits: &'a [u64],
}

impl<'a> ScalarCall<'a> {
    /// The call of `plan` with arguments `bits`: `None` when `plan` has no scalar slots,
    /// or has another number of them, or an argument does not fit its slot.
    #[inline(always)]
    fn new(plan: &'a FramePlan, bits: &'a [u64]) -> Option<Self> {
        let scalars = plan.scalars.as_ref()?;
        let slots = scalars.slots.as_slice();
        if slots.len() != bits.len() {
            return None;
        }
        for (s, b) in slots.iter().zip(bits) {
            if !s.fits(*b) {
                return None;
            }
        }
        Some(ScalarCall {
            frame_len: plan.frame_len,
            covered: scalars.covered,
            block_len: (FOREIGN_CALL_SIZE + plan.frame_len).next_multiple_of(8) as usize,
            slots,
            bits,
        })
    }
}

impl WriteBlock for ScalarCall<'_> {
    /// Writes the block (`block_len` bytes): the head, the frame's bytes that no
    /// argument fills zeroed, each argument in its slot. What `Encoder` writes for the
    /// same call.
    #[inline(always)]
    fn write_block(&self, block: &mut [u8]) {
        let head = ForeignCall {
            frame_len: self.frame_len,
            reloc_count: 0,
            reloc_at: self.block_len as u32,
            ret_copy: 0,
        };
        let (head_bytes, frame) = block.split_at_mut(FOREIGN_CALL_SIZE as usize);
        head_bytes.copy_from_slice(head.as_bytes());
        // The bytes no slot writes (x86-64's unused registers), as the encoder leaves
        // them. (Past the frame, up to a multiple of 8, neither writes.)
        if !self.covered {
            frame.fill(0);
        }
        for (s, b) in self.slots.iter().zip(self.bits) {
            put(block, s.at as usize, s.width, *b);
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
        1 => store(block, at, [bits as u8]),
        2 => store(block, at, (bits as u16).to_le_bytes()),
        4 => store(block, at, (bits as u32).to_le_bytes()),
        _ => store(block, at, bits.to_le_bytes()),
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
    #[inline]
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
