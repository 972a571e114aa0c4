//! The shared-memory contract: every struct that lives in the segment, with its size and
//! field offsets asserted at compile time on both the 64-bit and the 32-bit target.
//!
//! ```text
//! offset 0      SegmentHeader        (256 B, written by the client; the server's handshake
//!                                     fields from line 2 on)
//! offset 256    RingControl request  (256 B: producer, consumer, and two parked-flag lines)
//! offset 512    RingControl response (256 B)
//! offset 768    request line         (128 B: a small call, written by the client)
//! offset 896    reply line           (64 B: its answer, written by the server)
//! offset 4096   request ring data    (ring_capacity bytes)
//! offset 4096+C response ring data   (ring_capacity bytes)
//! ```
//!
//! Only fixed-width fields and atomics; padding is spelled out; the header's `magic` is
//! written last by the creator (Release) and checked first by the opener (Acquire).

#[cfg_attr(loadlib_loom, allow(unused_imports))]
use std::mem::{align_of, offset_of, size_of};

use crate::transport::primitive::sync::atomic::{AtomicU32, AtomicU64};

/// `b"LOADLIB1"` read as a little-endian `u64`.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"LOADLIB1");
/// Bumped on every change to any struct in this file or in `wire`.
pub(crate) const LAYOUT_VERSION: u32 = 8;
/// Offset of the request ring's control block.
pub(crate) const REQUEST_CONTROL_OFFSET: u64 = 256;
/// Offset of the response ring's control block.
pub(crate) const RESPONSE_CONTROL_OFFSET: u64 = 512;
/// Offset of the request line: a small call's record, as a ring holds it, in up to two
/// cache lines, whose `seq` is stored last (see `channel::call_line`).
pub(crate) const REQUEST_LINE_OFFSET: u64 = 768;
/// Bytes of the request line.
pub(crate) const REQUEST_LINE_LEN: u64 = 128;
/// Offset of the reply line: the answer's record in one cache line, likewise.
pub(crate) const REPLY_LINE_OFFSET: u64 = 896;
/// Bytes of the reply line.
pub(crate) const REPLY_LINE_LEN: u64 = 64;
/// Offset of the first ring's data; a page boundary.
pub(crate) const RINGS_OFFSET: u64 = 4096;
/// Ring capacities are a multiple of this.
pub(crate) const RING_GRANULE: u64 = 4096;

/// Server states published in [`SegmentHeader::server_state`] (a futex word).
pub(crate) mod state {
    /// The server has not yet attached.
    pub(crate) const STARTING: u32 = 0;
    /// The server has attached, built its wrapper, and serves requests.
    pub(crate) const READY: u32 = 1;
    /// The server has stopped serving (shutdown or failure).
    pub(crate) const STOPPED: u32 = 2;
}

/// Which transport carries the message bodies.
pub(crate) mod transport_kind {
    /// Records are read and written in place in the rings.
    pub(crate) const SHM: u32 = 0;
    /// Records travel through files; the rings carry only doorbells.
    pub(crate) const FILE: u32 = 1;
}

/// Bytes of an interface name the server's handshake carries
/// ([`SegmentHeader::server_interface_name`]).
pub(crate) const INTERFACE_NAME_CAPACITY: usize = 8 * INTERFACE_NAME_WORDS;
/// Words of [`SegmentHeader::server_interface_name`].
pub(crate) const INTERFACE_NAME_WORDS: usize = 18;

/// The first 256 bytes of the segment.
#[repr(C, align(64))]
pub(crate) struct SegmentHeader {
    /// [`MAGIC`], stored last by the creator with Release; loaded first with Acquire.
    pub magic: AtomicU64,
    /// [`LAYOUT_VERSION`] of the creator.
    pub layout_version: AtomicU32,
    /// `size_of::<SegmentHeader>()` of the creator.
    pub header_size: AtomicU32,
    /// Total bytes of the segment.
    pub segment_size: AtomicU64,
    /// Bytes of each ring's data area.
    pub ring_capacity: AtomicU64,
    /// Offset of the request ring's data.
    pub request_ring_offset: AtomicU64,
    /// Offset of the response ring's data.
    pub response_ring_offset: AtomicU64,
    /// Process id of the client that created the segment.
    pub client_pid: AtomicU32,
    /// One of [`transport_kind`].
    pub transport: AtomicU32,
    /// How long either side spins before parking, in nanoseconds.
    pub spin_ns: AtomicU64,
    /// Written by the server: one of [`state`]; a futex word the client waits on.
    pub server_state: AtomicU32,
    /// Written by the server before `server_state` becomes READY.
    pub server_pid: AtomicU32,
    /// Written by the server: its own [`LAYOUT_VERSION`].
    pub server_layout_version: AtomicU32,
    /// Written by the server: `usize::BITS` of the server (32 or 64).
    pub server_pointer_width: AtomicU32,
    /// The CPU the server ran on when it last woke the sleeping client: a hint, written
    /// only on that slow path (see `wake::parked_after_fence` and `Signal::ring`).
    pub server_cpu: AtomicU32,
    /// The CPU the client ran on when it last woke the sleeping server.
    pub client_cpu: AtomicU32,
    /// Written by the server before `server_state` becomes READY: the address at which
    /// it maps the request ring's data, so a client can write pointers to data in its
    /// requests as the server sees them (foreign calls).
    pub server_request_ring: AtomicU64,
    /// Written by the server before `server_state` becomes READY: the hash of the
    /// interface its wrapper implements (`InterfaceId::hash`), or 0 with no interface.
    pub server_interface_hash: AtomicU64,
    /// Written by the server before `server_state` becomes READY: bytes of the interface's
    /// name in `server_interface_name`; 0 when the wrapper implements no interface.
    pub server_interface_len: AtomicU32,
    /// Explicit padding.
    pub _pad: [u8; 4],
    /// Written by the server before `server_state` becomes READY: the interface's name,
    /// UTF-8, little-endian in words (atomics, so neither side ever reads a byte the other
    /// writes without one).
    pub server_interface_name: [AtomicU64; INTERFACE_NAME_WORDS],
}

/// One ring's control block: a producer line, a consumer line, and one line for each
/// parked flag (written only when a side goes to sleep, so the hot path's reads of them
/// stay cache hits).
///
/// Indices are monotonic byte counts; `head - tail` bytes are in the ring.
#[repr(C, align(64))]
pub(crate) struct RingControl {
    /// Bytes ever published by the producer (Release store; pairs with the consumer's
    /// Acquire load).
    pub head: AtomicU64,
    /// Futex word the consumer parks on; the producer bumps it to wake it.
    pub data_signal: AtomicU32,
    /// Non-zero while the producer does not mean to send again soon (a client that has
    /// handed its core lease to another): the consumer then parks at once instead of
    /// spinning for the next record. In the producer's line, so the consumer's spin
    /// reads it with `head` at no extra cost.
    pub producer_away: AtomicU32,
    /// Explicit padding.
    pub _pad0: [u8; 48],
    /// Bytes ever released by the consumer (Release store; pairs with the producer's
    /// Acquire load).
    pub tail: AtomicU64,
    /// Futex word the producer parks on; the consumer bumps it to wake it.
    pub space_signal: AtomicU32,
    /// Explicit padding.
    pub _pad1: [u8; 52],
    /// Non-zero while the consumer is parked waiting for data.
    pub consumer_parked: AtomicU32,
    /// Explicit padding.
    pub _pad2: [u8; 60],
    /// Non-zero while the producer is parked waiting for space.
    pub producer_parked: AtomicU32,
    /// Explicit padding.
    pub _pad3: [u8; 60],
}

impl RingControl {
    /// A control block of an empty ring, outside any segment: for the ring's tests and
    /// its loom model, which build rings in ordinary memory.
    #[cfg(any(test, loadlib_loom))]
    pub(crate) fn new() -> Self {
        RingControl {
            head: AtomicU64::new(0),
            data_signal: AtomicU32::new(0),
            producer_away: AtomicU32::new(0),
            _pad0: [0; 48],
            tail: AtomicU64::new(0),
            space_signal: AtomicU32::new(0),
            _pad1: [0; 52],
            consumer_parked: AtomicU32::new(0),
            _pad2: [0; 60],
            producer_parked: AtomicU32::new(0),
            _pad3: [0; 60],
        }
    }
}

// Not under loom, whose atomics are larger: its model builds control blocks on the heap.
#[cfg(not(loadlib_loom))]
const _: () = {
    assert!(size_of::<AtomicU64>() == 8 && align_of::<AtomicU64>() == 8);
    assert!(size_of::<SegmentHeader>() == 256);
    assert!(align_of::<SegmentHeader>() == 64);
    assert!(offset_of!(SegmentHeader, magic) == 0);
    assert!(offset_of!(SegmentHeader, layout_version) == 8);
    assert!(offset_of!(SegmentHeader, header_size) == 12);
    assert!(offset_of!(SegmentHeader, segment_size) == 16);
    assert!(offset_of!(SegmentHeader, ring_capacity) == 24);
    assert!(offset_of!(SegmentHeader, request_ring_offset) == 32);
    assert!(offset_of!(SegmentHeader, response_ring_offset) == 40);
    assert!(offset_of!(SegmentHeader, client_pid) == 48);
    assert!(offset_of!(SegmentHeader, transport) == 52);
    assert!(offset_of!(SegmentHeader, spin_ns) == 56);
    assert!(offset_of!(SegmentHeader, server_state) == 64);
    assert!(offset_of!(SegmentHeader, server_pid) == 68);
    assert!(offset_of!(SegmentHeader, server_layout_version) == 72);
    assert!(offset_of!(SegmentHeader, server_pointer_width) == 76);
    assert!(offset_of!(SegmentHeader, server_cpu) == 80);
    assert!(offset_of!(SegmentHeader, client_cpu) == 84);
    assert!(offset_of!(SegmentHeader, server_request_ring) == 88);
    assert!(offset_of!(SegmentHeader, server_interface_hash) == 96);
    assert!(offset_of!(SegmentHeader, server_interface_len) == 104);
    assert!(offset_of!(SegmentHeader, _pad) == 108);
    assert!(offset_of!(SegmentHeader, server_interface_name) == 112);
    assert!(INTERFACE_NAME_CAPACITY == 144);

    assert!(size_of::<RingControl>() == 256);
    assert!(align_of::<RingControl>() == 64);
    assert!(offset_of!(RingControl, head) == 0);
    assert!(offset_of!(RingControl, data_signal) == 8);
    assert!(offset_of!(RingControl, producer_away) == 12);
    assert!(offset_of!(RingControl, tail) == 64);
    assert!(offset_of!(RingControl, space_signal) == 72);
    assert!(offset_of!(RingControl, consumer_parked) == 128);
    assert!(offset_of!(RingControl, producer_parked) == 192);

    assert!(REQUEST_CONTROL_OFFSET as usize >= size_of::<SegmentHeader>());
    assert!(RESPONSE_CONTROL_OFFSET as usize >= REQUEST_CONTROL_OFFSET as usize + 256);
    assert!(REQUEST_LINE_OFFSET as usize >= RESPONSE_CONTROL_OFFSET as usize + 256);
    assert!(REPLY_LINE_OFFSET >= REQUEST_LINE_OFFSET + REQUEST_LINE_LEN);
    assert!(REQUEST_LINE_OFFSET.is_multiple_of(64) && REPLY_LINE_OFFSET.is_multiple_of(64));
    assert!(RINGS_OFFSET >= REPLY_LINE_OFFSET + REPLY_LINE_LEN);
};

/// Total segment size for a ring capacity (already rounded to [`RING_GRANULE`]).
pub(crate) const fn segment_size(ring_capacity: u64) -> u64 {
    RINGS_OFFSET + 2 * ring_capacity
}

/// Rounds a requested ring size up to the granule, with a floor of 64 KiB.
pub(crate) fn round_ring_capacity(requested: u64) -> u64 {
    let floor = 64 * 1024;
    requested.max(floor).div_ceil(RING_GRANULE) * RING_GRANULE
}

/// Layout facts checked at run time by unit tests on both targets.
#[cfg(all(test, not(loadlib_loom)))]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_contract() {
        assert_eq!(size_of::<SegmentHeader>(), 256);
        assert_eq!(size_of::<RingControl>(), 256);
        assert_eq!(segment_size(65536), 4096 + 131072);
        assert_eq!(round_ring_capacity(1), 65536);
        assert_eq!(round_ring_capacity(65537), 65536 + 4096);
    }
}
