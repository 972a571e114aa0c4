//! The lean path of a small call: a record of packed scalars written straight into the
//! ring, with no encoder, descriptor or name.

use zerocopy::IntoBytes;

use std::time::Duration;

use super::{Channel, Incoming, RawRecord, Wait, WriteBlock};
use crate::error::{Error, Result};
use crate::transport::codec::{packable, read_packed_raw, write_packed_block, Packed};
use crate::transport::ring::LINE_WORDS;
use crate::transport::wake::{Deadline, PARK_SLICE};
use crate::transport::wire::{
    align_up, packed_block_len, RecordHeader, BLOCK_PACKED, KIND_FOREIGN, KIND_REPLY, KIND_REQUEST,
    MAX_NAME_LEN, MAX_PACKED, RECORD_ALIGN, RECORD_HEADER_SIZE,
};

impl Channel {
    /// Sends a record of `kind` whose block is `values`, packed, after `name` (a method
    /// called by name; empty when `method` says which), waiting for ring space as `wait`
    /// says: `Ok(false)` when it ran out first. In place only: the caller checked
    /// [`in_place`](Self::in_place) (a file transport sends its records through files).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn send_packed(
        &self,
        kind: u16,
        seq: u64,
        method: u32,
        name: &[u8],
        values: &Packed,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<bool> {
        let (types, bits) = (values.types(), values.bits());
        self.send_packed_values(kind, seq, method, name, types, bits, wait, alive)
    }

    /// [`send_packed`](Self::send_packed) with the values given as their type bytes and
    /// bits (one of each per value, at most [`MAX_PACKED`]): a reply of one value needs
    /// no [`Packed`] (152 bytes, zeroed) made first.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn send_packed_values(
        &self,
        kind: u16,
        seq: u64,
        method: u32,
        name: &[u8],
        types: &[u8],
        bits: &[u64],
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<bool> {
        debug_assert!(self.in_place());
        if types.len() != bits.len() || types.len() > MAX_PACKED {
            return Err(Error::InvalidArgument(format!(
                "{} type bytes and {} values to pack",
                types.len(),
                bits.len()
            )));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(Error::InvalidArgument(format!(
                "name of {} bytes is longer than {MAX_NAME_LEN}",
                name.len()
            )));
        }
        let len = packed_record_len(name.len(), types.len());
        let tx = &self.tx;
        if !tx.has_space(len) && !self.wait_until(|| tx.has_space(len), wait, alive)? {
            return Ok(false);
        }
        let n = types.len();
        self.write_packed(kind, seq, method, name, n, len, &PackedSlices(types, bits));
        Ok(true)
    }

    /// [`send_packed`](Self::send_packed) of a request, when the ring has room for it
    /// now: `false`, with nothing sent, when it does not (the caller then goes the way
    /// that waits) or the name is too long (the general way reports it). The small call's
    /// lean path.
    #[inline(always)]
    pub(crate) fn try_send_packed(
        &self,
        kind: u16,
        seq: u64,
        method: u32,
        name: &[u8],
        values: &Packed,
    ) -> bool {
        debug_assert!(self.in_place());
        let n = values.len();
        if name.len() > MAX_NAME_LEN {
            return false;
        }
        let len = packed_record_len(name.len(), n);
        if !self.tx.has_space(len) {
            return false;
        }
        self.write_packed(kind, seq, method, name, n, len, values);
        true
    }

    /// Writes and commits a record of `len` bytes (`packed_record_len`) holding `name`
    /// and a packed block of `n` values, which `block` writes (inlined here, as a closure
    /// might not be), in a ring that has room for it.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn write_packed(
        &self,
        kind: u16,
        seq: u64,
        method: u32,
        name: &[u8],
        n: usize,
        len: usize,
        block: &impl WriteBlock,
    ) {
        let block_offset = packed_block_offset(name.len());
        let mut header = RecordHeader::new(kind, len as u32, seq);
        header.method = method;
        header.name_len = name.len() as u32;
        header.block_offset = block_offset as u32;
        header.block_len = packed_block_len(n) as u32;
        // SAFETY: we are this ring's only producer and the caller saw `has_space(len)`;
        // the record is published below, before the next reservation.
        let dst = unsafe { self.tx.reserve(len) };
        dst[..RECORD_HEADER_SIZE].copy_from_slice(header.as_bytes());
        if !name.is_empty() {
            dst[RECORD_HEADER_SIZE..RECORD_HEADER_SIZE + name.len()].copy_from_slice(name);
        }
        block.write_block(&mut dst[block_offset..]);
        self.commit(len);
    }

    /// Sends the reply to request `seq` holding one packed value (`ty`, `bits`), as
    /// [`send_packed_values`](Self::send_packed_values) lays it out (one line), when the
    /// ring has room for it now: `false`, with nothing sent, when it does not. A server's
    /// small call.
    #[inline(always)]
    pub(crate) fn try_send_packed_reply(&self, seq: u64, ty: u8, bits: u64) -> bool {
        debug_assert!(self.in_place());
        const LEN: usize = packed_record_len(0, 1);
        let block = PackedSlices(&[ty], &[bits]);
        let record = RawRecord {
            kind: KIND_REPLY,
            seq,
            method: 0,
            block_len: packed_block_len(1),
            names_bulk: false,
        };
        if self.try_answer_line(record, &block) {
            return true;
        }
        if !self.tx.has_space(LEN) {
            return false;
        }
        self.write_packed(KIND_REPLY, seq, 0, b"", 1, LEN, &block);
        true
    }

    /// The next record, when it is a request or a foreign call: the record and its
    /// header. `None` for anything else, which [`recv`](Self::recv) then reads. In place
    /// only.
    #[inline(always)]
    pub(crate) fn peek_call(&self) -> Option<(Incoming, RecordHeader)> {
        debug_assert!(self.in_place());
        if let Some(call) = self.peek_line_call() {
            return Some(call);
        }
        let (p, h) = self.rx.peek_whole()?;
        matches!(h.kind, KIND_REQUEST | KIND_FOREIGN).then_some((Incoming::Ring(p), h))
    }

    /// Waits until a record is waiting, for as long as `alive()` says the client is: a
    /// server's wait for its next request (what it staged is published first). `false`
    /// when the client is gone.
    #[inline(always)]
    pub(crate) fn wait_request(&self, alive: &mut dyn FnMut() -> bool) -> bool {
        let rx = &self.rx;
        if rx.has_data() || self.line_pending() {
            return true;
        }
        // Nothing to read: the burst ends here, before this side waits.
        self.flush();
        rx.data_signal()
            .wait(
                || rx.has_data() || self.line_pending(),
                || rx.producer_away(),
                self.spin,
                Deadline::Never,
                PARK_SLICE,
                || if alive() { Ok(()) } else { Err(()) },
                || {},
            )
            .is_ok()
    }

    /// Waits until a record is waiting, for at most `timeout`: a client's wait for the
    /// reply to the small call it has just sent, outside a burst. `false` when the time-out
    /// passed first or `alive()` said the server is gone (the caller tells which). No lease
    /// to give up, no clock read unless the spin goes on, no error made here.
    #[inline(always)]
    pub(crate) fn wait_reply(&self, timeout: Duration, alive: &mut dyn FnMut() -> bool) -> bool {
        let rx = &self.rx;
        self.wait_answer(|| rx.has_data(), timeout, alive)
    }

    /// [`wait_reply`](Self::wait_reply) for the answer to call `seq`, sent on the request
    /// line: until the reply line answers it.
    #[inline(always)]
    pub(crate) fn wait_line_reply(
        &self,
        seq: u64,
        timeout: Duration,
        alive: &mut dyn FnMut() -> bool,
    ) -> bool {
        self.wait_answer(|| self.line_answers(seq), timeout, alive)
    }

    /// Waits on the receive ring's signal until `ready`, for at most `timeout`, as long
    /// as `alive()` says the server is.
    #[inline(always)]
    fn wait_answer(
        &self,
        ready: impl FnMut() -> bool,
        timeout: Duration,
        alive: &mut dyn FnMut() -> bool,
    ) -> bool {
        // Outside a burst nothing is left to flush: a request is published as it is sent,
        // and a reply handed back as it is released.
        debug_assert!(!self.bursts.get());
        let rx = &self.rx;
        rx.data_signal()
            .wait(
                ready,
                || rx.producer_away(),
                self.answer_spin(),
                Deadline::After(timeout),
                PARK_SLICE,
                || if alive() { Ok(()) } else { Err(()) },
                || {},
            )
            .is_ok()
    }

    /// Whether the answer to small call `seq` is in: in the reply line for a call sent on
    /// the request line, else a record in the ring.
    #[inline(always)]
    pub(crate) fn answer_in(&self, seq: u64) -> bool {
        match self.sent_on_line(seq) {
            true => self.line_answers(seq),
            false => self.rx.has_data(),
        }
    }

    /// Sends a request of `method` (by index) with `values` on the request line when the
    /// line is free and they fit it: `false`, with nothing sent, when not. The small
    /// call's leanest path.
    #[inline(always)]
    pub(crate) fn try_send_packed_line(&self, seq: u64, method: u32, values: &Packed) -> bool {
        let record = RawRecord {
            kind: KIND_REQUEST,
            seq,
            method,
            block_len: packed_block_len(values.len()),
            names_bulk: false,
        };
        self.try_send_line(record, values)
    }

    /// The answer to small call `want`, if it holds one packed value laid out as
    /// [`send_packed_values`](Self::send_packed_values) writes it (one line, no name):
    /// that value's type byte (checked) and bits, the record released. Read from the reply
    /// line for a call sent on the request line, else from the ring, as the line's words
    /// matched whole, with none of [`take_packed_reply`]'s framing steps; anything else is
    /// left for it. In place only, outside a burst, once the answer is in
    /// ([`answer_in`](Self::answer_in)).
    ///
    /// [`take_packed_reply`]: Self::take_packed_reply
    #[inline(always)]
    pub(crate) fn take_packed_line(&self, want: u64) -> Option<(u8, u64)> {
        // The block: its count (1) and flags, the type bytes' word (one used), the
        // value's bits.
        const ONE_PACKED: u64 = 1 | (BLOCK_PACKED as u64) << 32;
        // One line, its block right after the header.
        const _: () = assert!(
            packed_record_len(0, 1) == RECORD_ALIGN && packed_block_offset(0) == RECORD_HEADER_SIZE
        );
        let w = self.peek_reply_line(want, KIND_REPLY, packed_block_len(1))?;
        let ty = w[1] as u8;
        if w[0] != ONE_PACKED || !packable(ty) {
            return None;
        }
        self.release_reply_line(want);
        Some((ty, w[2]))
    }

    /// The answer to small call `want`, if it is a record of `kind` in one line, with no
    /// name and a block of `block_len` bytes right after the header: the block's words,
    /// the record released. Read as [`take_packed_line`](Self::take_packed_line) reads;
    /// anything else is left for the general path ([`take_reply`](Self::take_reply),
    /// [`recv`](Self::recv)).
    #[inline(always)]
    pub(crate) fn take_block_line(
        &self,
        want: u64,
        kind: u16,
        block_len: usize,
    ) -> Option<[u64; BLOCK_WORDS]> {
        let w = self.peek_reply_line(want, kind, block_len)?;
        self.release_reply_line(want);
        Some(w)
    }

    /// The block's words of the answer to `want`, when it is a one-line record of `kind`
    /// answering `want` with no name and a block of `block_len` bytes after the header:
    /// in the reply line for a call sent on the request line, else the ring's next
    /// record; not released.
    #[inline(always)]
    fn peek_reply_line(
        &self,
        want: u64,
        kind: u16,
        block_len: usize,
    ) -> Option<[u64; BLOCK_WORDS]> {
        debug_assert!(self.in_place() && !self.bursts.get());
        let line = match self.sent_on_line(want) {
            true => self.reply_line_words(),
            false => self.rx.peek_line()?,
        };
        reply_line_block(&line, want, kind, block_len)
    }

    /// Releases the answer [`peek_reply_line`](Self::peek_reply_line) read: the ring's
    /// record (the reply line needs no release).
    #[inline(always)]
    fn release_reply_line(&self, want: u64) {
        if !self.sent_on_line(want) {
            self.rx.release_line();
        }
    }

    /// Sends `record` (whose block `block` writes, naming no bulk segment) when the ring
    /// has room for it now: `false`, with nothing sent, when it does not (the caller then
    /// goes the way that waits). In place only. A foreign scalar call's lean path.
    #[inline(always)]
    pub(crate) fn try_send_raw(&self, record: RawRecord, block: &impl WriteBlock) -> bool {
        debug_assert!(self.in_place() && !record.names_bulk);
        let len = record.len();
        // (`has_space` alone would not bound `len` if the peer wrote a `tail` past
        // `head`.)
        if len > self.tx.capacity() as usize || !self.tx.has_space(len) {
            return false;
        }
        // SAFETY: we are this ring's only producer, `len` is at most the capacity and
        // `has_space(len)` held; the record is published below, before the next
        // reservation.
        let dst = unsafe { self.tx.reserve(len) };
        block.write_block(record.write_header(dst));
        self.commit(len);
        true
    }

    /// The next record, if it is the reply to request `want` holding one packed value:
    /// that value's type byte (checked) and bits, the record released. Anything else
    /// (another record, none yet, a file transport's) is left where it is for the
    /// general path.
    #[inline]
    pub(crate) fn take_packed_reply(&self, want: u64) -> Option<(u8, u64)> {
        self.take_reply(want, KIND_REPLY, read_packed_raw)
    }

    /// The next record, if it is a record of `kind` answering request `want` with no
    /// name, handed to `read` (its block) while it is held, and released if `read` gives
    /// `Some`. Anything else (another record, padding first, none yet, a file
    /// transport's) is left where it is for the general path ([`recv`](Self::recv)).
    #[inline]
    pub(crate) fn take_reply<T>(
        &self,
        want: u64,
        kind: u16,
        read: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Option<T> {
        if !self.in_place() {
            return None;
        }
        // A whole record first, with no padding loop (padding first: the general way).
        let (p, h) = self.rx.peek_whole()?;
        if h.kind != kind || h.seq != want || h.name_len != 0 {
            return None;
        }
        let bytes = self.rx.record(&p);
        let at = h.block_offset as usize;
        let block = bytes.get(at..at.checked_add(h.block_len as usize)?)?;
        let value = read(block)?;
        self.release(Incoming::Ring(p));
        Some(value)
    }
}

/// Words of a block that [`Channel::take_block_line`] reads: the rest of the line after
/// the header.
pub(crate) const BLOCK_WORDS: usize = (RECORD_ALIGN - RECORD_HEADER_SIZE) / 8;

/// The block's words of the one-line record whose words are `w`, when it is a record
/// of `kind` answering `want` with no name and a block of `block_len` bytes right after
/// the header (as `RawRecord::write_header` lays it out); `None` for anything else.
#[inline(always)]
fn reply_line_block(
    w: &[u64; LINE_WORDS],
    want: u64,
    kind: u16,
    block_len: usize,
) -> Option<[u64; BLOCK_WORDS]> {
    debug_assert!(RECORD_HEADER_SIZE + block_len <= RECORD_ALIGN);
    const _: () = assert!(LINE_WORDS == 8 && RECORD_HEADER_SIZE == 32);
    // The header's `len` (one line), `kind` and `flags` (0); then, after `seq`,
    // `name_len` (0; the method word is not looked at); `block_offset` (right after the
    // header) and `block_len`.
    let len_kind = RECORD_ALIGN as u64 | (kind as u64) << 32;
    let block_at = RECORD_HEADER_SIZE as u64 | (block_len as u64) << 32;
    if w[0] != len_kind || w[1] != want || w[2] as u32 != 0 || w[3] != block_at {
        return None;
    }
    Some([w[4], w[5], w[6], w[7]])
}

impl WriteBlock for Packed {
    #[inline(always)]
    fn write_block(&self, block: &mut [u8]) {
        self.write(block);
    }
}

/// Packed values given as their type bytes and bits, one of each per value.
struct PackedSlices<'a>(&'a [u8], &'a [u64]);

impl WriteBlock for PackedSlices<'_> {
    #[inline(always)]
    fn write_block(&self, block: &mut [u8]) {
        write_packed_block(self.0, self.1, block);
    }
}

/// Where the packed block of a record with a name of `name_len` bytes starts.
#[inline(always)]
const fn packed_block_offset(name_len: usize) -> usize {
    align_up(RECORD_HEADER_SIZE + name_len, 8)
}

// A packed record with no name has its block right after the header, as a `RawRecord`
// has: the call lines carry packed calls and replies as `RawRecord`s
// (`try_send_packed_line`, `try_send_packed_reply`), laid out as `write_packed` lays
// them out in the ring.
const _: () = assert!(packed_block_offset(0) == RECORD_HEADER_SIZE);

/// The length of a record with a name of `name_len` bytes and `n` packed values: at
/// most 32 + 1024 + 8 + 16 + 128 bytes, far below a quarter of any ring.
#[inline(always)]
const fn packed_record_len(name_len: usize, n: usize) -> usize {
    align_up(
        packed_block_offset(name_len) + packed_block_len(n),
        RECORD_ALIGN,
    )
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
