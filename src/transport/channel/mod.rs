//! One side's end of the bridge: the mapped segment, the ring it sends on and the ring
//! it receives from, and how records travel (in place, or through files).

mod call_line;
mod file;
mod lean;
mod record;
mod spill;

use std::cell::Cell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use zerocopy::IntoBytes;

use crate::error::{Error, Result};
use crate::transport::bulk::BulkWriter;
use crate::transport::codec::{Block, Placements};
use crate::transport::layout::{SegmentHeader, REQUEST_CONTROL_OFFSET, RESPONSE_CONTROL_OFFSET};
use crate::transport::primitive::sync::atomic::fence;
use crate::transport::ring::{Consumer, DrainProbe, Peeked, Producer, Ring};
use crate::transport::shm::Segment;
use crate::transport::wake::{self, Deadline, Doorbells, WaitError, PARK_SLICE};
use crate::transport::wire::{
    RecordHeader, KIND_FILE_REPLY, KIND_FILE_REQUEST, KIND_REPLY, KIND_REQUEST, KIND_SPILL,
};
#[cfg(all(test, loadlib_loom))]
pub(crate) use call_line::{load_stamp, publish_stamp};
pub(crate) use lean::BLOCK_WORDS;
pub use record::RecordView;
pub(crate) use record::{Outgoing, RawRecord, WriteBlock};

/// How message bodies travel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// In place in the shared rings (and bulk segments): the fast path.
    SharedMemory,
    /// Through a request file and a reply file in a private directory, the way the
    /// original Python tool exchanges data; the rings carry only doorbells.
    File,
}

/// How long [`Channel::send`] may wait for room in the ring.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Wait {
    /// Not at all.
    No,
    /// Until this instant.
    Until(Instant),
    /// For this long from when the wait begins (the clock is read only if it waits).
    For(Duration),
    /// As long as the peer is alive.
    Forever,
}

/// Which side of the bridge a channel is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Sends requests, receives replies.
    Client,
    /// Receives requests, sends replies.
    Server,
}

/// A received record: where its bytes are.
pub(crate) enum Incoming {
    /// In the receive ring, in place.
    Ring(Peeked),
    /// In the channel's file buffer (`len` bytes).
    File(usize),
    /// In the sender's bulk segment (a record too long for the ring), named by the ring
    /// record held here.
    Spilled(Peeked, spill::Spilled),
    /// On the request line (`len` bytes), with its stamp `seq` (see `call_line`).
    Line { seq: u64, len: usize },
}

/// One end of the bridge.
pub(crate) struct Channel {
    segment: Segment,
    tx: Producer,
    rx: Consumer,
    transport: Transport,
    file_dir: Option<PathBuf>,
    file_buf: Vec<u64>,
    spin: Duration,
    inline_limit: usize,
    /// Records longer than this go whole to the bulk segment (see `spill`).
    spill_above: usize,
    spill: spill::SpillReader,
    side: Side,
    /// Whether records sent and released wait to be flushed as a burst (see
    /// [`set_bursts`](Channel::set_bursts)).
    bursts: Cell<bool>,
    /// Records sent or released since the last flush.
    unflushed: Cell<u32>,
    /// A client's: the stamp of the last call it sent on the request line.
    line_sent: Cell<u64>,
    /// A client's: the request ring's front when it last saw both rings idle, or
    /// `call_line::NOT_SEEN_IDLE` (see `Channel::rings_idle`).
    idle_front: Cell<u64>,
    /// A server's: the stamp of the last call it took from the request line and ended.
    line_served: Cell<u64>,
    /// A server's: the stamp of the call taken from the request line and not yet answered
    /// in the reply line, or 0.
    answering: Cell<u64>,
    /// A server's: whether that call's answer is written in the reply line (published
    /// when the call is released).
    answered: Cell<bool>,
}

/// Most records sent or released in one burst: a pipelined peer sees the first ones
/// within this many records, not when the ring fills.
const BURST: u32 = 32;

impl Channel {
    /// A channel over a segment whose header has been validated, with the ring bells of
    /// `bells` (the start-up bell is not kept).
    pub(crate) fn new(
        segment: Segment,
        side: Side,
        transport: Transport,
        file_dir: Option<PathBuf>,
        bells: Doorbells,
    ) -> Self {
        let base = segment.as_ptr();
        // SAFETY: the segment starts with a SegmentHeader (validated by the caller).
        let header = unsafe { &*(base as *const SegmentHeader) };
        use std::sync::atomic::Ordering::Relaxed; // published before magic (Acquire seen)
        let cap = header.ring_capacity.load(Relaxed);
        let req_off = header.request_ring_offset.load(Relaxed) as usize;
        let resp_off = header.response_ring_offset.load(Relaxed) as usize;
        let spin = Duration::from_nanos(header.spin_ns.load(Relaxed));
        let (client_cpu, server_cpu) = (&header.client_cpu, &header.server_cpu);
        // SAFETY: offsets and capacity were checked against the mapping's length by the
        // caller; the control blocks are at fixed offsets inside the first page; one
        // client and one server use the rings, each as one producer and one consumer.
        let (req, resp) = unsafe {
            (
                Ring::new(
                    base.add(REQUEST_CONTROL_OFFSET as usize).cast(),
                    base.add(req_off),
                    cap,
                    bells.request_data,
                    bells.request_space,
                    [client_cpu, server_cpu],
                ),
                Ring::new(
                    base.add(RESPONSE_CONTROL_OFFSET as usize).cast(),
                    base.add(resp_off),
                    cap,
                    bells.response_data,
                    bells.response_space,
                    [server_cpu, client_cpu],
                ),
            )
        };
        let (tx, rx) = match side {
            Side::Client => (req.into_producer(), resp.into_consumer()),
            Side::Server => (resp.into_producer(), req.into_consumer()),
        };
        Channel {
            segment,
            tx,
            rx,
            transport,
            file_dir,
            file_buf: Vec::new(),
            spin,
            // A quarter of the ring (a few large payloads still leave room for others),
            // and no more than `INLINE_MAX`, above which the bulk segment is faster.
            inline_limit: ((cap / 4) as usize).min(crate::transport::INLINE_MAX),
            // A quarter of the ring for whole records (and never past what a header says).
            spill_above: ((cap / 4) as usize).min(u32::MAX as usize),
            spill: spill::SpillReader::default(),
            side,
            bursts: Cell::new(false),
            unflushed: Cell::new(0),
            line_sent: Cell::new(0),
            idle_front: Cell::new(call_line::NOT_SEEN_IDLE),
            line_served: Cell::new(0),
            answering: Cell::new(0),
            answered: Cell::new(false),
        }
    }

    /// In bursts, the records this side sends and releases are published and handed back
    /// together: one index store (and one check of the peer's parked flag) per ring per
    /// burst of up to [`BURST`] records, made before this side waits for anything (or
    /// by [`flush`](Self::flush)). A server, and a client's batch, work in bursts; a
    /// single call does not (its record is published at once).
    pub(crate) fn set_bursts(&self, on: bool) {
        if !on {
            self.flush();
        }
        self.bursts.set(on);
    }

    /// Publishes the records sent and hands back the records released since the last
    /// flush.
    #[inline]
    pub(crate) fn flush(&self) {
        self.unflushed.set(0);
        let published = self.tx.publish_staged();
        let handed_back = self.rx.hand_back();
        if published || handed_back {
            // One fence after both stores, before either peer's `parked` is read (see
            // `wake::parked_after_fence`).
            fence(std::sync::atomic::Ordering::SeqCst);
            if published {
                self.tx.wake_consumer();
            }
            if handed_back {
                self.rx.wake_producer();
            }
        }
    }

    /// Publishes the record of `len` bytes reserved last, now or with its burst.
    #[inline(always)]
    fn commit(&self, len: usize) {
        if !self.bursts.get() {
            return self.tx.publish(len);
        }
        self.tx.stage(len);
        self.count_unflushed();
    }

    /// Counts one record into the burst, flushing a full one.
    #[inline]
    fn count_unflushed(&self) {
        let n = self.unflushed.get() + 1;
        self.unflushed.set(n);
        if n >= BURST {
            self.flush();
        }
    }

    /// The segment header.
    pub(crate) fn header(&self) -> &SegmentHeader {
        // SAFETY: see `new`.
        unsafe { &*(self.segment.as_ptr() as *const SegmentHeader) }
    }

    /// Sends a record, waiting for ring space as `wait` says, and returns where each
    /// array argument went (`Ok(None)`: not sent, because the deadline passed, or
    /// [`Wait::No`] and there was no room yet).
    ///
    /// `alive` is called while waiting and should fail if the peer is gone. A record whose
    /// payloads go to the bulk segment waits until the peer has released every earlier
    /// record, so a bulk payload is never overwritten while it is still being read. A
    /// record longer than a quarter of the ring goes whole to the bulk segment the same
    /// way (see `spill`).
    pub(crate) fn send(
        &self,
        msg: &Outgoing<'_, '_>,
        bulk: &mut BulkWriter,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Option<Placements>> {
        let via_file = self.transport == Transport::File
            && matches!(
                msg.kind,
                KIND_REQUEST | KIND_REPLY | crate::transport::wire::KIND_ERROR
            );
        if via_file {
            return self.send_file(msg, wait, alive);
        }
        let record = msg.frame(self.inline_limit)?;
        let len = record.len;
        if self.spills(len) {
            return self.send_spilled(record, bulk, wait, alive);
        }
        let bulk_len = record.bulk_len();
        let tx = &self.tx;
        let ready = || tx.has_space(len) && (bulk_len == 0 || tx.is_drained());
        if !ready() && !self.wait_until(ready, wait, alive)? {
            return Ok(None);
        }
        let target = match bulk_len {
            0 => None,
            n => Some(bulk.target(n)?),
        };
        // SAFETY: we are this ring's only producer and `has_space(len)` held; the record
        // is published below, before the next reservation.
        let dst = unsafe { self.tx.reserve(len) };
        let placements = record.write(dst, target.as_ref())?;
        self.commit(len);
        Ok(Some(placements))
    }

    /// Waits on the send ring's space signal until `ready`; `Ok(false)` if not in time.
    fn wait_until(
        &self,
        ready: impl FnMut() -> bool,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<bool> {
        let mut ready = ready;
        // The peer may be waiting for what this side has not flushed.
        self.flush();
        let deadline = match wait {
            Wait::No => return Ok(ready()),
            Wait::Forever => Deadline::Never,
            Wait::Until(d) => Deadline::At(d),
            Wait::For(timeout) => Deadline::After(timeout),
        };
        match self.tx.space_signal().wait(
            &mut ready,
            || false,
            self.spin,
            deadline,
            PARK_SLICE,
            &mut *alive,
            || {},
        ) {
            Ok(()) => Ok(true),
            Err(WaitError::TimedOut) => Ok(false),
            Err(WaitError::Dead(e)) => Err(e),
        }
    }

    /// Waits for the next record. `deadline = None` waits until `alive` fails;
    /// `on_long_wait` runs if the wait lasts [`LONG_WAIT`](crate::transport::wake::LONG_WAIT).
    pub(crate) fn recv(
        &mut self,
        deadline: Option<Instant>,
        alive: &mut dyn FnMut() -> Result<()>,
        on_long_wait: &mut dyn FnMut(),
    ) -> Result<Option<Incoming>> {
        if let Some((line, _)) = self.peek_line_call() {
            return Ok(Some(line));
        }
        if !self.wait_data(deadline.into(), alive, on_long_wait)? {
            return Ok(None);
        }
        let rx = &self.rx;
        let Some(p) = rx.peek().map_err(|c| Error::Protocol(c.0))? else {
            return Ok(None); // only padding was published
        };
        let h = RecordHeader::read(rx.record(&p));
        if matches!(h.kind, KIND_FILE_REQUEST | KIND_FILE_REPLY) && self.file_dir.is_some() {
            rx.release(p);
            return self.read_file(&h).map(Some);
        }
        if h.kind == KIND_SPILL {
            return Ok(Some(self.unspill(p)));
        }
        Ok(Some(Incoming::Ring(p)))
    }

    /// The spin window of a client's wait for an answer: [`wake::answer_spin`], with
    /// when this side last woke the server (publishing a request, or handing replies back
    /// to a server waiting for room), taken from both rings.
    #[inline(always)]
    fn answer_spin(&self) -> Duration {
        let woke = match (self.tx.take_woke_peer(), self.rx.take_woke_peer()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        wake::answer_spin(self.spin, woke)
    }

    /// Waits until a record (or padding) is waiting: `Ok(false)` when `deadline` passed
    /// first. What this side has not flushed is flushed before it waits.
    #[inline]
    pub(crate) fn wait_data(
        &self,
        deadline: Deadline,
        alive: &mut dyn FnMut() -> Result<()>,
        on_long_wait: &mut dyn FnMut(),
    ) -> Result<bool> {
        let rx = &self.rx;
        if rx.has_data() {
            return Ok(true);
        }
        // Nothing to read: the burst ends here, before this side waits.
        self.flush();
        // A client awaits a reply, which comes later if the request had to wake the server.
        let spin = match self.side {
            Side::Client => self.answer_spin(),
            Side::Server => self.spin,
        };
        match rx.data_signal().wait(
            || rx.has_data(),
            || rx.producer_away(),
            spin,
            deadline,
            PARK_SLICE,
            alive,
            on_long_wait,
        ) {
            Ok(()) => Ok(true),
            Err(WaitError::TimedOut) => Ok(false),
            Err(WaitError::Dead(e)) => Err(e),
        }
    }

    /// Tells the peer whether this side means to send again soon: when it does not, the
    /// peer sleeps at once instead of spinning for the next record.
    #[inline(always)]
    pub(crate) fn set_away(&self, away: bool) {
        self.tx.set_away(away);
    }

    /// The bytes of a received record, for as long as it is held (not released).
    pub(crate) fn bytes<'a>(&'a self, inc: &'a Incoming) -> &'a [u8] {
        match inc {
            Incoming::Ring(p) => self.rx.record(p),
            Incoming::File(len) => &self.file_buf.as_bytes()[..*len],
            Incoming::Spilled(_, s) => self.spilled_bytes(s),
            Incoming::Line { len, .. } => self.line_bytes(*len),
        }
    }

    /// The start of a received record in the ring, or `None` for one read from a file.
    pub(crate) fn record_ptr(&self, inc: &Incoming) -> Option<*mut u8> {
        match inc {
            Incoming::Ring(p) => Some(self.rx.record_ptr(p)),
            Incoming::Line { .. } => Some(self.line_ptr()),
            // A spilled record holds no frame: foreign calls are never spilled.
            Incoming::File(_) | Incoming::Spilled(..) => None,
        }
    }

    /// Where this process maps the request ring's data.
    pub(crate) fn request_ring(&self) -> *mut u8 {
        match self.side {
            Side::Client => self.tx.data_ptr(),
            Side::Server => self.rx.data_ptr(),
        }
    }

    /// Whether records go out and are handed back in bursts (see `set_bursts`).
    #[inline]
    pub(crate) fn bursting(&self) -> bool {
        self.bursts.get()
    }

    /// Whether a record (or padding) is waiting to be read (see [`Consumer::has_data`]).
    #[inline]
    pub(crate) fn has_data(&self) -> bool {
        self.rx.has_data()
    }

    /// Whether records travel in place (not through files).
    #[inline]
    pub(crate) fn in_place(&self) -> bool {
        self.transport == Transport::SharedMemory
    }

    /// Payloads longer than this go to the bulk segment.
    pub(crate) fn inline_limit(&self) -> usize {
        self.inline_limit
    }

    /// A probe of whether the peer has released every record sent so far (so this
    /// side's bulk segment is not being read); `None` when records travel through files.
    pub(crate) fn drain_probe(&self) -> Option<DrainProbe> {
        self.in_place().then(|| self.tx.drain_probe())
    }

    /// The longest record the ring takes.
    pub(crate) fn max_record(&self) -> usize {
        self.tx.capacity() as usize
    }

    /// Sends `record`, whose block `fill` writes, given the record's offset in the ring.
    /// Returns that offset, or `None` when `wait` ran out first. In place only: the caller
    /// checked [`in_place`](Self::in_place).
    pub(crate) fn send_raw(
        &self,
        record: RawRecord,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
        fill: impl FnOnce(&mut [u8], usize) -> Result<()>,
    ) -> Result<Option<usize>> {
        let len = record.len();
        if len > self.tx.capacity() as usize || len > u32::MAX as usize {
            return Err(Error::InvalidArgument(format!(
                "a record of {len} bytes does not fit a ring of {} bytes (see Builder::ring_size)",
                self.tx.capacity()
            )));
        }
        let tx = &self.tx;
        let ready = || tx.has_space(len) && (!record.names_bulk || tx.is_drained());
        if !ready() && !self.wait_until(ready, wait, alive)? {
            return Ok(None);
        }
        // SAFETY: we are this ring's only producer and `has_space(len)` held; the record
        // is published below, before the next reservation.
        let dst = unsafe { self.tx.reserve(len) };
        let offset = dst.as_ptr() as usize - self.tx.data_ptr() as usize;
        record.write(dst, offset, fill)?;
        self.commit(len);
        Ok(Some(offset))
    }

    /// Gives a received record's space back to the sender.
    #[inline(always)]
    pub(crate) fn release(&self, inc: Incoming) {
        match inc {
            Incoming::Ring(p) | Incoming::Spilled(p, _) if self.bursts.get() => {
                self.rx.release_staged(p);
                self.count_unflushed();
            }
            Incoming::Ring(p) | Incoming::Spilled(p, _) => self.rx.release(p),
            Incoming::Line { seq, .. } => self.release_line(seq),
            Incoming::File(_) => {}
        }
    }

    /// Parses a received record's block.
    pub(crate) fn block<'a>(view: &RecordView<'a>) -> Result<Block<'a>> {
        view.parse_block()
    }
}
