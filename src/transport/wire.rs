//! Message records: fixed-layout headers and argument descriptors (`zerocopy`), and the
//! codes that travel in them.
//!
//! A record is `RecordHeader`, the method (or error) name (none when the header gives
//! the method's index), then an argument block at the next 8-byte boundary:
//!
//! ```text
//! block: u32 count, u32 flags | count × ArgDesc | shapes (u64 each) | payloads
//! packed (flags = BLOCK_PACKED; scalars only): u32 count, u32 flags | count type bytes,
//! padded to 8 | count × u64 bits
//! ```
//!
//! Payload offsets are relative to the block start and aligned to [`PAYLOAD_ALIGN`], so
//! an `f64` array is aligned in both processes and can be handed to a library in place.

use std::mem::{offset_of, size_of};

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Records start on this boundary and their lengths are multiples of it.
pub const RECORD_ALIGN: usize = 64;
/// Array and string payloads start on this boundary (relative to a 64-aligned base).
pub const PAYLOAD_ALIGN: usize = 64;
/// Bytes of a [`RecordHeader`].
pub const RECORD_HEADER_SIZE: usize = size_of::<RecordHeader>();
/// Bytes of an [`ArgDesc`].
pub const ARG_DESC_SIZE: usize = size_of::<ArgDesc>();
/// Bytes before the first descriptor of a block.
pub const BLOCK_PREFIX: usize = 8;
/// Block prefix flag (the second `u32`): the block holds only scalars, packed: a type
/// byte each (`tag << 4 | dtype`, padded to 8 bytes), then their bits, 8 bytes each. A
/// small call then fits in one cache line.
pub const BLOCK_PACKED: u32 = 1;
/// Most values a packed block holds.
pub const MAX_PACKED: usize = 16;

/// Bytes of a packed block of `n` scalars.
pub const fn packed_block_len(n: usize) -> usize {
    BLOCK_PREFIX + align_up(n, 8) + 8 * n
}
/// Longest method name accepted.
pub const MAX_NAME_LEN: usize = 1024;
/// Highest array rank accepted.
pub const MAX_RANK: usize = 32;
/// Most arguments (or list items) in one block.
pub const MAX_ARGS: usize = 1 << 20;

/// Padding to the end of the ring; the reader skips it.
pub const KIND_PAD: u16 = 1;
/// A call: name = method, block = arguments.
pub const KIND_REQUEST: u16 = 2;
/// A successful reply: block holds one value.
pub const KIND_REPLY: u16 = 3;
/// A failed call: name = error name, block holds one string (the message).
pub const KIND_ERROR: u16 = 4;
/// The client asks the server to stop.
pub const KIND_SHUTDOWN: u16 = 5;
/// The client released a shared array: `seq` is its id.
pub const KIND_FREE: u16 = 6;
/// File transport: the request is in the request file.
pub const KIND_FILE_REQUEST: u16 = 7;
/// File transport: the reply is in the reply file.
pub const KIND_FILE_REPLY: u16 = 8;
/// A foreign call: `method` = the bound function's id; the block is a `ForeignCall`.
pub const KIND_FOREIGN: u16 = 9;
/// A foreign call's result: the block is a `ForeignReply` and any copied data.
pub const KIND_FOREIGN_REPLY: u16 = 10;
/// A record too large for the ring, written whole in the sender's bulk segment: the
/// block is a [`SpillRef`] naming where; `seq` is the record's.
pub const KIND_SPILL: u16 = 11;
/// In the reply line only: the call sent on the request line was answered in the ring
/// (a reply that does not fit the line, or an error), with its `seq`.
pub const KIND_IN_RING: u16 = 12;

/// Fixed header of every record.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct RecordHeader {
    /// Whole record in bytes (a multiple of [`RECORD_ALIGN`]).
    pub len: u32,
    /// One of the `KIND_*` codes.
    pub kind: u16,
    /// Reserved, zero.
    pub flags: u16,
    /// Sequence number of the request (echoed in its reply).
    pub seq: u64,
    /// Bytes of the name that follows the header.
    pub name_len: u32,
    /// Requests: 1 + the method's index in the server's method table (the interface's
    /// declaration order), resolved by the client; 0 when the name says which.
    pub method: u32,
    /// Offset of the argument block from the record start.
    pub block_offset: u32,
    /// Bytes of the argument block.
    pub block_len: u32,
}

const _: () = {
    assert!(size_of::<RecordHeader>() == 32);
    assert!(offset_of!(RecordHeader, len) == 0);
    assert!(offset_of!(RecordHeader, kind) == 4);
    assert!(offset_of!(RecordHeader, flags) == 6);
    assert!(offset_of!(RecordHeader, seq) == 8);
    assert!(offset_of!(RecordHeader, name_len) == 16);
    assert!(offset_of!(RecordHeader, block_offset) == 24);
    assert!(offset_of!(RecordHeader, block_len) == 28);
    assert!(RECORD_HEADER_SIZE <= RECORD_ALIGN);
};

impl RecordHeader {
    /// A header with the given kind, length and sequence number, other fields zero.
    pub fn new(kind: u16, len: u32, seq: u64) -> Self {
        RecordHeader {
            len,
            kind,
            flags: 0,
            seq,
            name_len: 0,
            method: 0,
            block_offset: 0,
            block_len: 0,
        }
    }

    /// Reads a header from the first bytes of `bytes` (which must hold at least
    /// [`RECORD_HEADER_SIZE`] bytes).
    #[inline]
    pub fn read(bytes: &[u8]) -> Self {
        Self::read_from_prefix(bytes)
            .expect("caller checked the length")
            .0
    }

    /// Pointer to the header's bytes.
    pub fn as_ptr(&self) -> *const u8 {
        self.as_bytes().as_ptr()
    }
}

/// Where an argument's payload lives.
pub mod location {
    /// In the record's block, at `offset` from the block start.
    pub const INLINE: u8 = 0;
    /// In the client's bulk segment of generation `segment`.
    pub const CLIENT_BULK: u8 = 1;
    /// In the server's bulk segment of generation `segment`.
    pub const SERVER_BULK: u8 = 2;
    /// In the client-allocated shared array with id `segment`.
    pub const SHARED: u8 = 3;
}

/// Descriptor flag: the server may write the array in place.
pub const FLAG_WRITABLE: u8 = 1;

/// What kind of value a descriptor holds.
pub mod tag {
    /// `None`.
    pub const NONE: u8 = 0;
    /// `bool`, in `value`.
    pub const BOOL: u8 = 1;
    /// A numeric scalar of `dtype`, its bits in `value`.
    pub const SCALAR: u8 = 2;
    /// UTF-8 text, the payload.
    pub const STR: u8 = 3;
    /// A byte string, the payload.
    pub const BYTES: u8 = 4;
    /// A numeric array of `dtype` and `rank`; shape at `shape_offset`.
    pub const ARRAY: u8 = 5;
    /// A list: the payload is a nested block.
    pub const LIST: u8 = 6;
    /// A map: the payload is a nested block of key, value, key, value…
    pub const MAP: u8 = 7;
}

/// One argument's descriptor.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct ArgDesc {
    /// One of [`tag`].
    pub tag: u8,
    /// [`crate::DType`] code for scalars and arrays, else 0.
    pub dtype: u8,
    /// One of [`location`].
    pub location: u8,
    /// Array rank (0..=[`MAX_RANK`]).
    pub rank: u8,
    /// [`FLAG_WRITABLE`] or 0.
    pub flags: u8,
    /// Reserved, zero.
    pub _reserved: [u8; 3],
    /// Bulk generation or shared-array id, per `location`.
    pub segment: u32,
    /// Offset of the shape (`rank` × u64) from the block start.
    pub shape_offset: u32,
    /// Scalars: the value's bits. Payloads: offset within the location.
    pub value: u64,
    /// Payload length in bytes (0 for scalars).
    pub len: u64,
}

const _: () = {
    assert!(size_of::<ArgDesc>() == 32);
    assert!(offset_of!(ArgDesc, tag) == 0);
    assert!(offset_of!(ArgDesc, dtype) == 1);
    assert!(offset_of!(ArgDesc, location) == 2);
    assert!(offset_of!(ArgDesc, rank) == 3);
    assert!(offset_of!(ArgDesc, flags) == 4);
    assert!(offset_of!(ArgDesc, segment) == 8);
    assert!(offset_of!(ArgDesc, shape_offset) == 12);
    assert!(offset_of!(ArgDesc, value) == 16);
    assert!(offset_of!(ArgDesc, len) == 24);
};

/// The block of a [`KIND_SPILL`] record: where the sender wrote the whole record.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct SpillRef {
    /// Offset of the record in the segment (a multiple of [`RECORD_ALIGN`]).
    pub offset: u64,
    /// Bytes of the record.
    pub len: u64,
    /// The bulk segment's generation.
    pub segment: u32,
    /// [`location::CLIENT_BULK`] or [`location::SERVER_BULK`]: the sender's.
    pub location: u8,
    /// Reserved, zero.
    pub _reserved: [u8; 3],
}

const _: () = {
    assert!(size_of::<SpillRef>() == 24);
    assert!(offset_of!(SpillRef, offset) == 0);
    assert!(offset_of!(SpillRef, len) == 8);
    assert!(offset_of!(SpillRef, segment) == 16);
    assert!(offset_of!(SpillRef, location) == 20);
    assert!(RECORD_HEADER_SIZE + size_of::<SpillRef>() <= RECORD_ALIGN);
};

/// Rounds `n` up to a multiple of `align` (a power of two).
#[inline]
pub const fn align_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}
