//! A single-producer, single-consumer byte ring of variable-length records.
//!
//! Records start on a [`RECORD_ALIGN`] boundary and never wrap: when a record does not
//! fit before the end of the data area, the producer writes a padding record there and
//! starts again at offset 0. Indices are monotonic `u64` byte counts in the
//! [`RingControl`]; everything read from the ring is bounds-checked, since the peer may
//! be buggy or hostile.
//!
//! A [`Ring`] is one process's view of a ring; it becomes either the ring's [`Producer`]
//! or its [`Consumer`], each with only its own side's operations. Neither is `Sync`: a
//! side is used from one thread at a time, as the protocol needs.

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::transport::layout::RingControl;
use crate::transport::primitive::sync::atomic::{fence, AtomicU32, AtomicU64};
use crate::transport::primitive::{prefetch, Bell};
use crate::transport::wake::{self, Signal};
use crate::transport::wire::{RecordHeader, KIND_PAD, RECORD_ALIGN, RECORD_HEADER_SIZE};

/// A ring mapped in this process, before it is made one of its two sides.
pub(crate) struct Ring {
    ctrl: *const RingControl,
    data: *mut u8,
    capacity: u64,
    /// The consumer parks here, waiting for data.
    data_bell: Bell,
    /// The producer parks here, waiting for space.
    space_bell: Bell,
    /// Where the producer and the consumer last woke each other (in the segment header).
    cpus: [*const AtomicU32; 2],
    /// When this process's side of the ring last woke the other side, until a wait for
    /// an answer takes it (see [`answer_spin`](crate::transport::wake::answer_spin)).
    woke_peer: Cell<Option<Instant>>,
}

// SAFETY: the ring only holds pointers into a shared mapping that outlives it (the
// owner keeps the mapping alive), and all shared state is reached through atomics. It
// may move to another thread; it is not `Sync`, so each side is used from one thread at
// a time (the single-producer/single-consumer discipline within this process).
unsafe impl Send for Ring {}

/// The producing side of a ring: reserves, fills and publishes records.
pub(crate) struct Producer {
    ring: Ring,
    /// The producer's last view of `tail` (process-local): re-read from the shared line
    /// only when it shows too little space, so most sends cause no cache miss on it.
    seen_tail: Cell<u64>,
    /// Bytes written after `head` but not yet published ([`stage`](Producer::stage)): a
    /// burst of records is published with one store of `head` ([`flush`](Producer::flush)).
    staged: Cell<u64>,
    /// Where [`front`](Producer::front) is in the data area (`front % capacity`), kept
    /// as it moves: a 64-bit division per record is tens of cycles (a library call on
    /// i686).
    pos: Cell<u64>,
}

/// The consuming side of a ring: peeks at records, reads and releases them.
pub(crate) struct Consumer {
    ring: Ring,
    /// Bytes read up to (process-local): `tail` plus the records released but not yet
    /// handed back ([`release_staged`](Consumer::release_staged)), which one store of
    /// `tail` hands back as a burst ([`flush`](Consumer::flush)).
    cursor: Cell<u64>,
    /// Where `cursor` is in the data area (`cursor % capacity`), kept as it moves.
    pos: Cell<u64>,
}

/// A record read from a ring, the consumer's until [`Consumer::release`] takes it back;
/// its bytes are borrowed from it ([`Consumer::record`]), so none outlive the release.
#[derive(Debug)]
pub(crate) struct Peeked {
    /// Offset of the record in the data area.
    pub offset: usize,
    /// Length of the record in bytes.
    pub len: usize,
}

/// Whether a producer's records up to a point have all been released: see
/// [`Producer::drain_probe`]. It holds a pointer into the ring's mapping.
pub(crate) struct DrainProbe {
    tail: *const AtomicU64,
    /// The producer's front when the probe was made.
    front: u64,
}

impl DrainProbe {
    /// Whether the consumer has released every record up to the probe's point.
    ///
    /// # Safety
    /// The ring's mapping must still be mapped (the producer it came from is alive).
    pub(crate) unsafe fn is_drained(&self) -> bool {
        // SAFETY: `tail` is the ring's control word, in a mapping that is still mapped
        // (this function's contract).
        let tail = unsafe { &*self.tail };
        // Acquire: pairs with the consumer's Release store of `tail` in `release`, so the
        // consumer's reads of the released records happen before what the caller writes.
        tail.load(Ordering::Acquire) == self.front
    }
}

/// The ring's contents break the protocol.
#[derive(Debug)]
pub(crate) struct Corrupt(pub String);

impl Ring {
    /// Wraps a ring whose control block and data area are mapped.
    ///
    /// # Safety
    /// `ctrl` must point to a valid `RingControl` and `data` to `capacity` writable bytes,
    /// both in a mapping that outlives the `Ring`, as must `cpus` (the producer's and the
    /// consumer's CPU words); `data` must be aligned to
    /// [`RECORD_ALIGN`] and `capacity` a multiple of it. The ring must be made the only
    /// producer or the only consumer of the ring across all processes
    /// ([`into_producer`](Self::into_producer), [`into_consumer`](Self::into_consumer)).
    pub(crate) unsafe fn new(
        ctrl: *const RingControl,
        data: *mut u8,
        capacity: u64,
        data_bell: Bell,
        space_bell: Bell,
        cpus: [&AtomicU32; 2],
    ) -> Self {
        debug_assert!((data as usize).is_multiple_of(RECORD_ALIGN));
        debug_assert!(capacity.is_multiple_of(RECORD_ALIGN as u64));
        Ring {
            ctrl,
            data,
            capacity,
            data_bell,
            space_bell,
            cpus: cpus.map(|c| c as *const AtomicU32),
            woke_peer: Cell::new(None),
        }
    }

    /// This ring as its producer.
    pub(crate) fn into_producer(self) -> Producer {
        // Acquire: pairs with the consumer's Release store of `tail` (see `has_space`).
        let tail = self.ctrl().tail.load(Ordering::Acquire);
        // Relaxed: only the producer stores `head`.
        let head = self.ctrl().head.load(Ordering::Relaxed);
        let pos = head % self.capacity;
        Producer {
            ring: self,
            seen_tail: Cell::new(tail),
            staged: Cell::new(0),
            pos: Cell::new(pos),
        }
    }

    /// This ring as its consumer.
    pub(crate) fn into_consumer(self) -> Consumer {
        // Relaxed: only the consumer stores `tail`; at start-up nothing is in flight.
        let tail = self.ctrl().tail.load(Ordering::Relaxed);
        let pos = tail % self.capacity;
        Consumer {
            ring: self,
            cursor: Cell::new(tail),
            pos: Cell::new(pos),
        }
    }

    #[inline(always)]
    fn ctrl(&self) -> &RingControl {
        // SAFETY: valid for the ring's lifetime (see `new`).
        unsafe { &*self.ctrl }
    }

    /// The producer's (0) or the consumer's (1) CPU word.
    fn cpu(&self, i: usize) -> &AtomicU32 {
        // SAFETY: valid for the ring's lifetime (see `new`).
        unsafe { &*self.cpus[i] }
    }

    /// The signal the consumer parks on, for waiting on data or waking the consumer.
    #[inline(always)]
    fn data_signal(&self) -> Signal<'_> {
        let c = self.ctrl();
        Signal {
            word: &c.data_signal,
            parked: &c.consumer_parked,
            waker_cpu: self.cpu(0),
            bell: &self.data_bell,
            woke: &self.woke_peer,
        }
    }

    /// The signal the producer parks on, for waiting on space or waking the producer.
    #[inline(always)]
    fn space_signal(&self) -> Signal<'_> {
        let c = self.ctrl();
        Signal {
            word: &c.space_signal,
            parked: &c.producer_parked,
            waker_cpu: self.cpu(1),
            bell: &self.space_bell,
            woke: &self.woke_peer,
        }
    }

    /// The start of the data area in this process.
    fn data_ptr(&self) -> *mut u8 {
        self.data
    }

    /// When this side last woke the other through this ring, taken: `None` once taken.
    #[inline(always)]
    fn take_woke_peer(&self) -> Option<Instant> {
        self.woke_peer.take()
    }
}

/// The position in the data area after `len` bytes from `pos`, where the index that
/// moved with it is now `index()`: the sum while it stays inside, else
/// `index() % capacity` (the end of the data area is its start; the index is read and
/// divided once a lap).
#[inline(always)]
fn advance(pos: u64, len: u64, capacity: u64, index: impl FnOnce() -> u64) -> u64 {
    match pos.checked_add(len) {
        Some(at) if at < capacity => at,
        _ => index() % capacity,
    }
}

impl Producer {
    fn ctrl(&self) -> &RingControl {
        self.ring.ctrl()
    }

    /// Bytes of the data area.
    pub(crate) fn capacity(&self) -> u64 {
        self.ring.capacity
    }

    /// When publishing last woke the parked consumer, taken (see
    /// [`answer_spin`](crate::transport::wake::answer_spin)).
    #[inline(always)]
    pub(crate) fn take_woke_peer(&self) -> Option<Instant> {
        self.ring.take_woke_peer()
    }

    /// The signal this side parks on, waiting for space.
    pub(crate) fn space_signal(&self) -> Signal<'_> {
        self.ring.space_signal()
    }

    /// The start of the data area in this process.
    pub(crate) fn data_ptr(&self) -> *mut u8 {
        self.ring.data_ptr()
    }

    /// Says whether the producer means to send again soon (see
    /// [`RingControl::producer_away`]).
    #[inline(always)]
    pub(crate) fn set_away(&self, away: bool) {
        let word = &self.ctrl().producer_away;
        // Relaxed: a hint; the consumer re-reads it on every round of its spin. Stored
        // only when it changes: the consumer's spin reads this line, which a store takes
        // back from it.
        if word.load(Ordering::Relaxed) != away as u32 {
            word.store(away as u32, Ordering::Relaxed);
        }
    }

    /// Where the next record goes: `head` plus the bytes staged after it.
    #[inline(always)]
    pub(crate) fn front(&self) -> u64 {
        // Relaxed: only the producer stores `head`.
        self.ctrl().head.load(Ordering::Relaxed) + self.staged.get()
    }

    /// Space needed at the current front for a record of `len` bytes, counting the
    /// padding record when the record would not fit before the end.
    #[inline(always)]
    fn needed(&self, len: u64) -> (u64, u64) {
        let to_end = self.ring.capacity - self.pos.get();
        if len <= to_end {
            (0, len)
        } else {
            (to_end, to_end + len)
        }
    }

    /// Whether a record of `len` bytes can be reserved now.
    #[inline(always)]
    pub(crate) fn has_space(&self, len: usize) -> bool {
        let (_, need) = self.needed(len as u64);
        let c = self.ctrl();
        let head = self.front();
        let seen = self.seen_tail.get(); // process-local cache
        if self.ring.capacity - (head - seen) >= need {
            return true;
        }
        // Acquire: pairs with the consumer's Release store of `tail`, so its reads of the
        // bytes it released are done before we overwrite them.
        let tail = c.tail.load(Ordering::Acquire);
        self.seen_tail.set(tail);
        self.ring.capacity - (head - tail) >= need
    }

    /// A probe that tells, later and only when asked, whether every record staged or
    /// published up to now has been released ([`is_drained`](Self::is_drained), with no
    /// load of `tail` until asked: it is the consumer's line).
    pub(crate) fn drain_probe(&self) -> DrainProbe {
        DrainProbe {
            tail: &self.ctrl().tail,
            front: self.front(),
        }
    }

    /// Whether every published record has been released by the consumer (so payloads in
    /// a bulk segment that earlier records named are no longer being read).
    pub(crate) fn is_drained(&self) -> bool {
        let c = self.ctrl();
        // Acquire: pairs with the consumer's Release store of `tail` in `release`.
        let tail = c.tail.load(Ordering::Acquire);
        self.seen_tail.set(tail);
        self.front() == tail
    }

    /// Reserves `len` bytes (a multiple of [`RECORD_ALIGN`], at most the capacity) and
    /// returns the writable record. Call only after [`has_space`](Self::has_space).
    ///
    /// # Safety
    /// Call only after `has_space(len)` returned true, and [`publish`](Self::publish)
    /// `len` before reserving again; the slice must not be used after the publication.
    #[allow(clippy::mut_from_ref)]
    #[inline(always)]
    pub(crate) unsafe fn reserve(&self, len: usize) -> &mut [u8] {
        let (pad, _) = self.needed(len as u64);
        let data = self.ring.data;
        if pad > 0 {
            self.pad_to_end(pad);
        }
        let pos = self.pos.get() as usize;
        // SAFETY: `pos + len <= capacity` by `needed`, the bytes are free and only the
        // producer touches unpublished bytes.
        unsafe { std::slice::from_raw_parts_mut(data.add(pos), len) }
    }

    /// Writes a padding record of `pad` bytes from the front to the end of the data area
    /// (staged with the record that follows it, at the start), for a record that does not
    /// fit before the end.
    #[cold]
    #[inline(never)]
    fn pad_to_end(&self, pad: u64) {
        let pos = self.pos.get() as usize;
        let h = RecordHeader::new(KIND_PAD, pad as u32, 0);
        // SAFETY: `pos + pad == capacity` (`needed`); the bytes are free (`has_space`) and
        // only the producer touches unpublished bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(h.as_ptr(), self.ring.data.add(pos), RECORD_HEADER_SIZE)
        };
        self.staged.set(self.staged.get() + pad);
        self.pos.set(0);
    }

    /// Publishes the record reserved last (and any staged before it) and wakes the
    /// consumer if it is parked.
    #[inline(always)]
    pub(crate) fn publish(&self, len: usize) {
        self.stage(len);
        self.flush();
    }

    /// Adds the record reserved last to the burst that [`flush`](Self::flush) publishes.
    #[inline(always)]
    pub(crate) fn stage(&self, len: usize) {
        self.staged.set(self.staged.get() + len as u64);
        let capacity = self.ring.capacity;
        let pos = advance(self.pos.get(), len as u64, capacity, || self.front());
        self.pos.set(pos);
    }

    /// Publishes every staged record with one store of `head`, and wakes the consumer if
    /// it is parked.
    #[inline(always)]
    pub(crate) fn flush(&self) {
        if self.publish_staged() {
            fence(Ordering::SeqCst); // see `wake_consumer`
            self.wake_consumer();
        }
    }

    /// Publishes every staged record with one store of `head`: whether there were any.
    /// The caller then makes a SeqCst fence and calls [`wake_consumer`](Self::wake_consumer).
    #[inline(always)]
    pub(crate) fn publish_staged(&self) -> bool {
        let staged = self.staged.replace(0);
        if staged == 0 {
            return false;
        }
        let c = self.ctrl();
        // Relaxed: only the producer stores it.
        let head = c.head.load(Ordering::Relaxed);
        // Release: pairs with the consumer's Acquire load of `head` in `peek`, making the
        // records' bytes visible before the index.
        c.head.store(head + staged, Ordering::Release);
        true
    }

    /// Wakes the consumer if it is parked, after a store of `head` and a SeqCst fence
    /// (the waker's half of the handshake: see [`wake::parked_after_fence`]).
    #[inline(always)]
    pub(crate) fn wake_consumer(&self) {
        if wake::parked_after_fence(&self.ctrl().consumer_parked) {
            self.ring.data_signal().ring();
        }
    }
}

impl Consumer {
    fn ctrl(&self) -> &RingControl {
        self.ring.ctrl()
    }

    /// The signal this side parks on, waiting for data.
    pub(crate) fn data_signal(&self) -> Signal<'_> {
        self.ring.data_signal()
    }

    /// The start of the data area in this process.
    pub(crate) fn data_ptr(&self) -> *mut u8 {
        self.ring.data_ptr()
    }

    /// When handing records back last woke the parked producer, taken (see
    /// [`answer_spin`](crate::transport::wake::answer_spin)).
    #[inline(always)]
    pub(crate) fn take_woke_peer(&self) -> Option<Instant> {
        self.ring.take_woke_peer()
    }

    /// Whether the producer has said it will not send again soon.
    pub(crate) fn producer_away(&self) -> bool {
        // Relaxed: a hint (see `set_away`).
        self.ctrl().producer_away.load(Ordering::Relaxed) != 0
    }

    /// Whether a record (or padding) is waiting. Also starts loading the line where the
    /// next record goes ([`prefetch`]), so a waiter that polls this sees the record's
    /// first line already on its way.
    #[inline(always)]
    pub(crate) fn has_data(&self) -> bool {
        let pos = self.pos.get();
        // `pos < capacity`: within the data area (not that a prefetch would mind).
        prefetch(self.ring.data.wrapping_add(pos as usize));
        // Acquire: pairs with the producer's Release store in `flush`.
        self.ctrl().head.load(Ordering::Acquire) != self.cursor.get()
    }

    /// The next record, skipping padding, or `None` when the ring is empty.
    #[inline]
    pub(crate) fn peek(&self) -> Result<Option<Peeked>, Corrupt> {
        let c = self.ctrl();
        loop {
            // Acquire: pairs with the producer's Release store of `head`.
            let head = c.head.load(Ordering::Acquire);
            let tail = self.cursor.get();
            if head == tail {
                return Ok(None);
            }
            let avail = head.wrapping_sub(tail);
            let capacity = self.ring.capacity;
            let pos = self.pos.get();
            if avail > capacity
                || avail < RECORD_ALIGN as u64
                || !pos.is_multiple_of(RECORD_ALIGN as u64)
            {
                return Err(Corrupt(format!(
                    "ring indices head={head} tail={tail} are inconsistent"
                )));
            }
            // SAFETY: `pos` is RECORD_ALIGN-aligned and at least RECORD_ALIGN bytes remain
            // before the end (capacity is a multiple of it); the bytes are published.
            let bytes = unsafe {
                std::slice::from_raw_parts(self.ring.data.add(pos as usize), RECORD_HEADER_SIZE)
            };
            let h = RecordHeader::read(bytes);
            let len = h.len as u64;
            if len < RECORD_ALIGN as u64
                || !len.is_multiple_of(RECORD_ALIGN as u64)
                || len > avail
                || pos + len > capacity
            {
                return Err(Corrupt(format!(
                    "record at {tail} has length {len}, {avail} bytes published"
                )));
            }
            if h.kind == KIND_PAD {
                // Handed back with the next release.
                self.cursor.set(tail + len);
                self.pos.set(advance(pos, len, capacity, || tail + len));
                continue;
            }
            return Ok(Some(Peeked {
                offset: pos as usize,
                len: len as usize,
            }));
        }
    }

    /// The bytes of a peeked record, for as long as it is held.
    pub(crate) fn record<'a>(&'a self, p: &'a Peeked) -> &'a [u8] {
        // SAFETY: `peek` checked `offset + len <= capacity`; the record stays published
        // and untouched by the producer until `release`.
        unsafe { std::slice::from_raw_parts(self.ring.data.add(p.offset), p.len) }
    }

    /// The start of a peeked record, as a raw pointer: for a server that lets a library
    /// write into the record (a foreign call's buffers), which no reference may cover.
    pub(crate) fn record_ptr(&self, p: &Peeked) -> *mut u8 {
        // SAFETY: `peek` checked `offset + len <= capacity`.
        unsafe { self.ring.data.add(p.offset) }
    }

    /// Releases a peeked record back to the producer (with any released before it) and
    /// wakes the producer if it is parked.
    #[inline(always)]
    pub(crate) fn release(&self, p: Peeked) {
        self.release_staged(p);
        self.flush();
    }

    /// Releases a peeked record into the burst that [`flush`](Self::flush) hands back.
    #[inline(always)]
    pub(crate) fn release_staged(&self, p: Peeked) {
        let cursor = self.cursor.get() + p.len as u64;
        self.cursor.set(cursor);
        let capacity = self.ring.capacity;
        let pos = advance(self.pos.get(), p.len as u64, capacity, || cursor);
        self.pos.set(pos);
    }

    /// Hands every released record back with one store of `tail`, and wakes the
    /// producer if it is parked.
    #[inline(always)]
    pub(crate) fn flush(&self) {
        if self.hand_back() {
            fence(Ordering::SeqCst); // see `wake_producer`
            self.wake_producer();
        }
    }

    /// Hands every released record back with one store of `tail`: whether there were
    /// any. The caller then makes a SeqCst fence and calls
    /// [`wake_producer`](Self::wake_producer).
    #[inline(always)]
    pub(crate) fn hand_back(&self) -> bool {
        let c = self.ctrl();
        let cursor = self.cursor.get();
        // Relaxed: only the consumer stores `tail`.
        if c.tail.load(Ordering::Relaxed) == cursor {
            return false;
        }
        // Release: pairs with the producer's Acquire load of `tail` in `has_space` and
        // `is_drained`; our reads of the records happen before the producer may
        // overwrite them.
        c.tail.store(cursor, Ordering::Release);
        true
    }

    /// Wakes the producer if it is parked, after a store of `tail` and a SeqCst fence
    /// (the waker's half of the handshake: see [`wake::parked_after_fence`]).
    #[inline(always)]
    pub(crate) fn wake_producer(&self) {
        if wake::parked_after_fence(&self.ctrl().producer_parked) {
            self.ring.space_signal().ring();
        }
    }
}

mod line;

pub(crate) use line::LINE_WORDS;

#[cfg(all(test, not(loadlib_loom)))]
mod tests;
