//! The call lines: a small call written whole into the request line and answered in the
//! reply line, so that it moves one cache line each way between the two processes' CPUs,
//! as a ping-pong does, with no ring index, reservation, release or padding check.
//!
//! A line holds a record laid out as in a ring (`RecordHeader`, then the block), whose
//! `seq` is the line's stamp: stored last with Release by the writer, loaded first with
//! Acquire by the reader, and never written with the rest of the header. The client
//! writes the request line only when the reply line carries the stamp of the last call
//! it sent there (the server is done with it); the server writes the reply line only in
//! answer to a call it took from the request line. A call that does not fit, or a client
//! whose last call on the line is not answered yet (it timed out), goes by the ring; an
//! answer that does not fit the reply line (an error, a value that is not one scalar)
//! goes by the ring, and the reply line then says so ([`KIND_IN_RING`]).
//!
//! Waking is the rings' handshake: a side parks on its receive ring's signal, and the
//! writer of a line fences and wakes it if parked, as it does after publishing a record.

use std::sync::atomic::Ordering;

use super::{Channel, Incoming, RawRecord, Side, WriteBlock};
use crate::transport::layout::{self, REPLY_LINE_OFFSET, REQUEST_LINE_OFFSET};
use crate::transport::primitive::sync::atomic::{fence, AtomicU64};
use crate::transport::ring::{Producer, LINE_WORDS};
use crate::transport::wire::{RecordHeader, KIND_IN_RING, RECORD_ALIGN, RECORD_HEADER_SIZE};

/// Bytes of the request line: a record of up to two cache lines (a packed block of up to
/// nine scalars, or a foreign call's frame of up to 80 bytes). Only the lines a record
/// uses are written.
const REQUEST_LINE_LEN: usize = layout::REQUEST_LINE_LEN as usize;
/// Bytes of the reply line: one cache line.
const REPLY_LINE_LEN: usize = layout::REPLY_LINE_LEN as usize;

const _: () = assert!(REQUEST_LINE_LEN == 2 * RECORD_ALIGN && REPLY_LINE_LEN == RECORD_ALIGN);

/// Offset of a record's `seq`, the line's stamp.
const STAMP: usize = 8;

/// `Channel::idle_front` when the rings have not been seen idle since the last record
/// that may have gone by them: no request ring's front.
pub(super) const NOT_SEEN_IDLE: u64 = u64::MAX;

impl Channel {
    /// The request line's start in this process.
    #[inline(always)]
    fn request_line(&self) -> *mut u8 {
        // SAFETY: the segment is at least a page long, and the line lies in its first page
        // (`layout`'s assertions).
        unsafe { self.segment.as_ptr().add(REQUEST_LINE_OFFSET as usize) }
    }

    /// The reply line's start in this process.
    #[inline(always)]
    fn reply_line(&self) -> *mut u8 {
        // SAFETY: as for `request_line`.
        unsafe { self.segment.as_ptr().add(REPLY_LINE_OFFSET as usize) }
    }

    /// The request line's stamp.
    #[inline(always)]
    fn request_stamp(&self) -> &AtomicU64 {
        // SAFETY: the request line's start, in the segment this channel holds.
        unsafe { stamp_of(self.request_line()) }
    }

    /// The reply line's stamp.
    #[inline(always)]
    fn reply_stamp(&self) -> &AtomicU64 {
        // SAFETY: the reply line's start, in the segment this channel holds.
        unsafe { stamp_of(self.reply_line()) }
    }

    /// Whether the request line may take a call: the server has answered the last one
    /// sent on it (or none was), and the rings are idle ([`rings_idle`](Self::rings_idle)).
    /// The client's check.
    #[inline(always)]
    pub(crate) fn line_free(&self) -> bool {
        load_stamp(self.reply_stamp()) == self.line_sent.get() && self.rings_idle()
    }

    /// Whether the server has taken every request sent by the ring (so a call on the line
    /// cannot overtake one of them: a request is handed back only once its reply is
    /// published) and no reply waits unread in the ring (a late one, whose space the
    /// server might wait for to answer a call on the line). Known without looking while
    /// nothing went by the ring since the rings were last seen idle: the request ring's
    /// front has not moved, and every call on the line since was answered in the reply
    /// line (else [`forget_rings_idle`](Self::forget_rings_idle) was called).
    #[inline(always)]
    fn rings_idle(&self) -> bool {
        self.tx.front() == self.idle_front.get() || self.rings_idle_now()
    }

    /// [`rings_idle`](Self::rings_idle), looked at in the rings, and noted when so.
    #[inline(never)]
    fn rings_idle_now(&self) -> bool {
        let idle = self.tx.is_drained() && !self.rx.has_data();
        if idle {
            self.idle_front.set(self.tx.front());
        }
        idle
    }

    /// Notes that the ring may hold a record that [`rings_idle`](Self::rings_idle) cannot
    /// tell from the request ring's front: the answer to a call sent on the line that came
    /// by the ring, or that this side stopped waiting for. The client's.
    pub(crate) fn forget_rings_idle(&self) {
        self.idle_front.set(NOT_SEEN_IDLE);
    }

    /// Sends `record`, whose block `block` writes, on the request line when the line is
    /// free and the record fits it: `false`, with nothing sent, when not (the caller goes
    /// by the ring). In place only, outside a burst.
    #[inline(always)]
    pub(crate) fn try_send_line(&self, record: RawRecord, block: &impl WriteBlock) -> bool {
        debug_assert!(self.side == Side::Client && !record.names_bulk);
        let len = record.len();
        if len > REQUEST_LINE_LEN || !self.line_free() {
            return false;
        }
        let line = self.request_line();
        // SAFETY: the server is done with the request line (it answered the last call
        // sent there, `line_free`), so nothing reads it until it is stamped; it holds
        // `REQUEST_LINE_LEN` bytes.
        unsafe { write_line(line, len, record, block) };
        self.line_sent.set(record.seq);
        publish_stamp(self.request_stamp(), record.seq, &self.tx);
        true
    }

    /// Whether call `seq` went on the request line (and is answered in the reply line).
    #[inline(always)]
    pub(crate) fn sent_on_line(&self, seq: u64) -> bool {
        self.line_sent.get() == seq
    }

    /// Whether the reply line answers call `seq`.
    #[inline(always)]
    pub(crate) fn line_answers(&self, seq: u64) -> bool {
        load_stamp(self.reply_stamp()) == seq
    }

    /// The reply line's words, once it answers call `seq` (checked by the caller with
    /// [`line_answers`](Self::line_answers)).
    #[inline(always)]
    pub(crate) fn reply_line_words(&self) -> [u64; LINE_WORDS] {
        // SAFETY: the line is 8-aligned and in the mapping; the server wrote it before
        // the stamp the caller saw (Acquire), and writes it again only in answer to the
        // next call on the request line, which this side has not sent.
        let line = unsafe { std::ptr::read(self.reply_line() as *const [u64; LINE_WORDS]) };
        line.map(u64::from_le)
    }

    /// The kind of the record in the reply line, once it answers the call the caller
    /// waits for.
    pub(crate) fn line_answer_kind(&self) -> u16 {
        (self.reply_line_words()[0] >> 32) as u16
    }

    /// Whether a call waits on the request line. The server's check.
    #[inline(always)]
    pub(crate) fn line_pending(&self) -> bool {
        load_stamp(self.request_stamp()) != self.line_served.get()
    }

    /// The call waiting on the request line, and its header: held (like a ring record)
    /// until [`release`](Self::release), which answers it in the ring's stead if nothing
    /// answered it in the reply line. `None` when no call waits, or the line's record is
    /// not a whole record of at most [`REQUEST_LINE_LEN`] bytes (a client breaking the
    /// protocol: then the record the line names is read as nothing, and answered as
    /// such).
    #[inline(always)]
    pub(crate) fn peek_line_call(&self) -> Option<(Incoming, RecordHeader)> {
        if self.side != Side::Server {
            return None;
        }
        let line = self.request_line();
        let seq = load_stamp(self.request_stamp());
        if seq == self.line_served.get() {
            return None;
        }
        // SAFETY: the line holds `REQUEST_LINE_LEN` bytes, which the client wrote before
        // the stamp (seen above, Acquire) and leaves alone until this call is answered.
        let bytes = unsafe { std::slice::from_raw_parts(line, RECORD_HEADER_SIZE) };
        let mut h = RecordHeader::read(bytes);
        h.seq = seq;
        let len = h.len as usize;
        let len = if len.is_multiple_of(RECORD_ALIGN)
            && (RECORD_ALIGN..=REQUEST_LINE_LEN).contains(&len)
        {
            len
        } else {
            h.len = RECORD_HEADER_SIZE as u32;
            h.block_len = 0;
            RECORD_HEADER_SIZE
        };
        self.answering.set(seq);
        Some((Incoming::Line { seq, len }, h))
    }

    /// The bytes of the call on the request line (`len` of them, from `peek_line_call`).
    pub(super) fn line_bytes(&self, len: usize) -> &[u8] {
        debug_assert!(len <= REQUEST_LINE_LEN);
        // SAFETY: as in `peek_line_call`: published, and left alone while held.
        unsafe { std::slice::from_raw_parts(self.request_line(), len.min(REQUEST_LINE_LEN)) }
    }

    /// Where the call on the request line starts, for a foreign call's frame (which the
    /// library may write: the client does not read the request line).
    pub(super) fn line_ptr(&self) -> *mut u8 {
        self.request_line()
    }

    /// Answers call `seq` in the reply line with `record` (a record of `record.seq`),
    /// whose block `block` writes, when `seq` is the call taken from the request line,
    /// not answered yet, and the record fits one line: `false`, with nothing written,
    /// when not (the caller sends it by the ring). The answer is published when the call
    /// is released ([`release`](Self::release)), so the client cannot write the request
    /// line while the call is held.
    #[inline(always)]
    pub(crate) fn try_answer_line(
        &self,
        record: RawRecord,
        block: &(impl WriteBlock + ?Sized),
    ) -> bool {
        let len = record.len();
        let answering = self.answering.get();
        if answering != record.seq || answering == 0 || self.answered.get() || len > REPLY_LINE_LEN
        {
            return false;
        }
        self.answered.set(true);
        // SAFETY: the client reads the reply line only once it carries the stamp of the
        // call it waits for, which is the one being answered here (stamped on release);
        // the line holds `REPLY_LINE_LEN` bytes.
        unsafe { write_line(self.reply_line(), len, record, block) };
        true
    }

    /// Ends the call `seq` taken from the request line: its answer in the reply line is
    /// published, and the request line is the client's again. When its answer went by the
    /// ring, what this side staged is published first, then the reply line says so.
    #[inline(always)]
    pub(super) fn release_line(&self, seq: u64) {
        if self.side != Side::Server {
            return;
        }
        self.line_served.set(seq);
        if self.answering.get() != seq {
            return;
        }
        if !self.answered.get() {
            self.answer_line_in_ring(seq);
        }
        self.answering.set(0);
        self.answered.set(false);
        publish_stamp(self.reply_stamp(), seq, &self.tx);
    }

    /// Writes in the reply line that call `seq` was answered in the ring, once what this
    /// side staged there is published.
    #[cold]
    #[inline(never)]
    fn answer_line_in_ring(&self, seq: u64) {
        self.flush();
        let record = RawRecord {
            kind: KIND_IN_RING,
            seq,
            method: 0,
            block_len: 0,
            names_bulk: false,
        };
        // SAFETY: as in `try_answer_line`: the client waits for this call's stamp, not
        // stored yet; a record with no block fits the line.
        unsafe { write_line(self.reply_line(), record.len(), record, &[][..]) };
    }
}

/// The stamp of the line that starts at `line`.
///
/// # Safety
/// `line` must be a line's start (8-aligned) in a mapping that stays mapped for `'a`,
/// whose stamp is only ever written as this atomic (it is read with the rest of the
/// record once loaded, when no one writes it).
#[inline(always)]
unsafe fn stamp_of<'a>(line: *mut u8) -> &'a AtomicU64 {
    // SAFETY: the stamp is 8-aligned and inside the line, mapped for `'a`, and only
    // written as an atomic (the caller's contract).
    unsafe { &*(line.add(STAMP) as *const AtomicU64) }
}

/// A line's stamp, loaded with Acquire: pairs with the writer's Release store in
/// [`publish_stamp`], so the line's other bytes, written before it, are seen with it.
#[inline(always)]
pub(crate) fn load_stamp(stamp: &AtomicU64) -> u64 {
    stamp.load(Ordering::Acquire)
}

/// Publishes a line whose other bytes are written: stores its stamp `seq` with Release
/// (pairs with [`load_stamp`]), then, after a SeqCst fence that orders that store before
/// the load of the reader's `parked` flag (pairs with the fence in `Signal::wait`: see
/// `wake::parked_after_fence`), wakes the reader if it is parked on `ring`'s data signal,
/// as a ring's publication does.
#[inline(always)]
pub(crate) fn publish_stamp(stamp: &AtomicU64, seq: u64, ring: &Producer) {
    stamp.store(seq, Ordering::Release);
    fence(Ordering::SeqCst);
    ring.wake_consumer();
}

/// Writes `record` (`len` bytes, whose block `block` writes) at `line` as a ring record
/// is laid out, but for its stamp (`seq`), which the caller then publishes
/// ([`publish_stamp`]).
///
/// # Safety
/// `line` must be a line's start in the mapping, with `len` bytes that no one else reads
/// or writes until the stamp is stored.
#[inline(always)]
unsafe fn write_line(
    line: *mut u8,
    len: usize,
    record: RawRecord,
    block: &(impl WriteBlock + ?Sized),
) {
    let mut header = RecordHeader::new(record.kind, len as u32, record.seq);
    header.method = record.method;
    header.block_offset = RECORD_HEADER_SIZE as u32;
    header.block_len = record.block_len as u32;
    let words: [u64; 4] = zerocopy::transmute!(header);
    // SAFETY: the header's words but the stamp, and the block, are in the line's `len`
    // bytes, which no one reads meanwhile (the caller's contract).
    unsafe {
        let w = line as *mut u64;
        w.write(words[0]);
        w.add(2).write(words[2]);
        w.add(3).write(words[3]);
        let dst = std::slice::from_raw_parts_mut(line.add(RECORD_HEADER_SIZE), record.block_len);
        block.write_block(dst);
    }
}
