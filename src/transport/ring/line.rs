//! The consumer's look at a record of exactly one line: a small call's reply, read as
//! eight words with no general framing checks. The caller matches the words it expects
//! (length, kind, sequence number, block layout), which also bounds the record: one line
//! at an aligned position is inside the data area.

use std::sync::atomic::Ordering;

use super::{Consumer, Peeked};
use crate::transport::wire::{RecordHeader, KIND_PAD, RECORD_ALIGN, RECORD_HEADER_SIZE};

/// Words in one line of a ring.
pub(crate) const LINE_WORDS: usize = RECORD_ALIGN / 8;

impl Consumer {
    /// The line at the read position, as little-endian words, when at least a line has
    /// been published past it; `None` when not (nothing, or too little, to read).
    #[inline(always)]
    pub(crate) fn peek_line(&self) -> Option<[u64; LINE_WORDS]> {
        // Acquire: pairs with the producer's Release store of `head` (see `peek`).
        let head = self.ctrl().head.load(Ordering::Acquire);
        let avail = head.wrapping_sub(self.cursor.get());
        if avail < RECORD_ALIGN as u64 || avail > self.ring.capacity {
            return None;
        }
        let pos = self.pos.get();
        // The start position came from the shared `tail` (`into_consumer`): a peer's
        // misaligned one is refused here, and reported by `peek`.
        if !pos.is_multiple_of(RECORD_ALIGN as u64) {
            return None;
        }
        debug_assert!(pos < self.ring.capacity);
        // SAFETY: `pos` is RECORD_ALIGN-aligned (checked) and below the capacity, a
        // multiple of RECORD_ALIGN, so the whole line is inside the data area (and aligned
        // for `u64`); `avail` says it is published, and the producer leaves it alone until
        // released.
        let line =
            unsafe { std::ptr::read(self.ring.data.add(pos as usize) as *const [u64; LINE_WORDS]) };
        Some(line.map(u64::from_le))
    }

    /// Releases the one-line record [`peek_line`](Self::peek_line) showed, as
    /// [`release`](Self::release) does.
    #[inline(always)]
    pub(crate) fn release_line(&self) {
        self.release(Peeked {
            offset: self.pos.get() as usize,
            len: RECORD_ALIGN,
        });
    }
}

impl Consumer {
    /// The next record, when it is a whole record (not padding) that the published bytes
    /// hold, with its header: [`peek`](Self::peek) with no loop over padding and no error
    /// made, for a small call. `None` for anything else, which `peek` then reads (and
    /// reports, when the ring is inconsistent).
    #[inline(always)]
    pub(crate) fn peek_whole(&self) -> Option<(Peeked, RecordHeader)> {
        // Acquire: pairs with the producer's Release store of `head` (see `peek`).
        let head = self.ctrl().head.load(Ordering::Acquire);
        let avail = head.wrapping_sub(self.cursor.get());
        let capacity = self.ring.capacity;
        if avail < RECORD_ALIGN as u64 || avail > capacity {
            return None;
        }
        let pos = self.pos.get();
        // A peer's misaligned start is refused here, and reported by `peek`.
        if !pos.is_multiple_of(RECORD_ALIGN as u64) {
            return None;
        }
        debug_assert!(pos < capacity);
        // SAFETY: `pos` is RECORD_ALIGN-aligned (checked) and below the capacity (a
        // multiple of RECORD_ALIGN), so a header's bytes are inside the data area; they
        // are published.
        let bytes = unsafe {
            std::slice::from_raw_parts(self.ring.data.add(pos as usize), RECORD_HEADER_SIZE)
        };
        let h = RecordHeader::read(bytes);
        let len = h.len as u64;
        if h.kind == KIND_PAD
            || len < RECORD_ALIGN as u64
            || !len.is_multiple_of(RECORD_ALIGN as u64)
            || len > avail
            || pos + len > capacity
        {
            return None;
        }
        let p = Peeked {
            offset: pos as usize,
            len: len as usize,
        };
        Some((p, h))
    }
}
