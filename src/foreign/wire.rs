//! The records of a foreign call: part of the shared-memory contract (see `crate::transport::layout`),
//! with their sizes and offsets asserted on both widths.
//!
//! A call (`KIND_FOREIGN`, the function's id in `RecordHeader::method`) has no name; its
//! block is:
//!
//! ```text
//! ForeignCall (16 B) | frame (frame_len B) | data … | relocations (reloc_count × 32 B)
//! ```
//!
//! The frame is what the server's trampoline loads (see `frame`); pointers in it, and in
//! the data the client placed after it, already hold the server's addresses of that data
//! (the client knows where the server maps the request ring). A pointer into a bulk
//! segment or a shared array, which the server maps itself, is a relocation: the server
//! writes the address into the slot before the call. The reply (`KIND_FOREIGN_REPLY`) is
//! a [`ForeignReply`], then the bytes copied from a returned pointer, if asked for.

use std::mem::{offset_of, size_of};

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Bytes of a [`ForeignCall`]: the frame starts this far into the block.
pub(crate) const FOREIGN_CALL_SIZE: u32 = 16;
/// Most bytes of arguments a call may pass (the server copies them onto its stack).
pub(crate) const MAX_FRAME: u32 = 2048;
/// `ForeignCall::ret_copy`: copy the returned C string, up to and without its NUL.
pub(crate) const RET_STRING: u32 = u32::MAX;
/// `ForeignReply::flags`: the function returned a null pointer (nothing was copied).
pub(crate) const REPLY_NULL: u32 = 1;
/// `FunctionSpec::flags`: read `errno` (Linux) or `GetLastError` (Windows) after the call.
pub(crate) const SPEC_LAST_ERROR: u8 = 1;
/// `FunctionSpec::flags`: the frame starts with a hidden pointer to the result (i386), which
/// a `stdcall` export's decoration `name@N` does not count in `N`.
pub(crate) const SPEC_HIDDEN_RET: u8 = 2;
/// The reserved method that binds a library's functions: arguments are the library's
/// path, whether it is stdcall, the functions' names (each followed by a NUL), and their
/// [`FunctionSpec`]s; the reply is the id of the first function (the others follow).
pub(crate) const BIND_METHOD: &str = "__loadlib_foreign_bind__";

/// The head of a call's block.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub(crate) struct ForeignCall {
    /// Bytes of the frame that follows.
    pub frame_len: u32,
    /// Relocations at `reloc_at`.
    pub reloc_count: u32,
    /// Offset of the relocations from the block start (a multiple of 8).
    pub reloc_at: u32,
    /// After the call: bytes to copy from the returned pointer into the reply, or
    /// [`RET_STRING`], or 0.
    pub ret_copy: u32,
}

/// A pointer slot the server fills with the address of data in a segment it maps.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub(crate) struct Reloc {
    /// Offset of the slot (pointer-sized) from the block start.
    pub at: u32,
    /// `wire::location::CLIENT_BULK` or `SHARED`.
    pub location: u8,
    /// Reserved, zero.
    pub _reserved: [u8; 3],
    /// The bulk generation or shared-array id.
    pub segment: u32,
    /// Reserved, zero.
    pub _pad: u32,
    /// Offset of the data in the segment.
    pub offset: u64,
    /// Bytes the pointer reaches (checked against the segment).
    pub len: u64,
}

/// The result of a call: one cache line with its record header.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub(crate) struct ForeignReply {
    /// The result's bytes, assembled from the registers the function left it in.
    pub ret: [u64; 2],
    /// `errno` or `GetLastError()` after the call, when the function's spec asks.
    pub last_error: i32,
    /// [`REPLY_NULL`] or 0.
    pub flags: u32,
    /// Bytes copied from the returned pointer, after this struct.
    pub data_len: u32,
    /// Reserved, zero.
    pub _pad: u32,
}

impl ForeignReply {
    /// The reply from its four words (as a ring's line holds them, read as
    /// little-endian words).
    #[inline(always)]
    pub(crate) fn from_words(w: [u64; 4]) -> ForeignReply {
        ForeignReply {
            ret: [w[0], w[1]],
            last_error: w[2] as u32 as i32,
            flags: (w[2] >> 32) as u32,
            data_len: w[3] as u32,
            _pad: (w[3] >> 32) as u32,
        }
    }

    /// The reply as its four words ([`from_words`](Self::from_words) undone).
    pub(crate) fn to_words(self) -> [u64; 4] {
        [
            self.ret[0],
            self.ret[1],
            self.last_error as u32 as u64 | (self.flags as u64) << 32,
            self.data_len as u64 | (self._pad as u64) << 32,
        ]
    }
}

/// What the server needs to know of a function to call it: sent once, at bind time.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub(crate) struct FunctionSpec {
    /// Bytes of every call's frame.
    pub frame_len: u32,
    /// 4 or 8 when the result is a float or double in `st0` (i386), else 0.
    pub x87: u8,
    /// Where each eightbyte of the result comes from (one of [`pick`]).
    pub picks: [u8; 2],
    /// [`SPEC_LAST_ERROR`], [`SPEC_HIDDEN_RET`], or 0.
    pub flags: u8,
}

/// Registers a result is read from.
pub(crate) mod pick {
    /// No result.
    pub(crate) const NONE: u8 = 0;
    /// `eax` and `edx` as one 8-byte value (i386).
    pub(crate) const EAX_EDX: u8 = 1;
    /// `st0`, stored as a float or double (i386).
    pub(crate) const ST0: u8 = 2;
    /// `rax` (x86-64).
    pub(crate) const RAX: u8 = 3;
    /// `rdx` (x86-64).
    pub(crate) const RDX: u8 = 4;
    /// `xmm0` (x86-64).
    pub(crate) const XMM0: u8 = 5;
    /// `xmm1` (x86-64).
    pub(crate) const XMM1: u8 = 6;
}

const _: () = {
    assert!(size_of::<ForeignCall>() == FOREIGN_CALL_SIZE as usize);
    assert!(offset_of!(ForeignCall, reloc_count) == 4);
    assert!(offset_of!(ForeignCall, reloc_at) == 8);
    assert!(offset_of!(ForeignCall, ret_copy) == 12);
    assert!(size_of::<Reloc>() == 32);
    assert!(offset_of!(Reloc, location) == 4);
    assert!(offset_of!(Reloc, segment) == 8);
    assert!(offset_of!(Reloc, offset) == 16);
    assert!(offset_of!(Reloc, len) == 24);
    assert!(size_of::<ForeignReply>() == 32);
    assert!(offset_of!(ForeignReply, last_error) == 16);
    assert!(offset_of!(ForeignReply, flags) == 20);
    assert!(offset_of!(ForeignReply, data_len) == 24);
    assert!(size_of::<FunctionSpec>() == 8);
    assert!(offset_of!(FunctionSpec, x87) == 4);
    assert!(offset_of!(FunctionSpec, picks) == 5);
    assert!(offset_of!(FunctionSpec, flags) == 7);
};
