//! A single-producer, single-consumer byte ring of variable-length records.
//!
//! Records start on a [`RECORD_ALIGN`] boundary and never wrap: when a record does not
//! fit before the end of the data area, the producer writes a padding record there and
//! starts again at offset 0. Indices are monotonic `u64` byte counts in the
//! [`RingControl`]; everything read from the ring is bounds-checked, since the peer may
//! be buggy or hostile.

use std::sync::atomic::Ordering;

use crate::transport::layout::RingControl;
use crate::transport::primitive::sync::atomic::{AtomicU32, AtomicU64};
use crate::transport::primitive::Bell;
use crate::transport::wake::Signal;
use crate::transport::wire::{RecordHeader, KIND_PAD, RECORD_ALIGN, RECORD_HEADER_SIZE};

/// A ring mapped in this process.
pub(crate) struct Ring {
    ctrl: *const RingControl,
    data: *mut u8,
    capacity: u64,
    /// The producer's last view of `tail` (process-local): re-read from the shared line
    /// only when it shows too little space, so most sends cause no cache miss on it.
    seen_tail: AtomicU64,
    /// The consumer parks here, waiting for data.
    data_bell: Bell,
    /// The producer parks here, waiting for space.
    space_bell: Bell,
    /// Where the producer and the consumer last woke each other (in the segment header).
    cpus: [*const AtomicU32; 2],
}

// SAFETY: the ring only holds pointers into a shared mapping that outlives it (the
// owner keeps the mapping alive); all shared state is reached through atomics, and the
// single-producer/single-consumer discipline is upheld by the owners (a client holds
// its ring ends behind a lock, the server uses them from one thread).
unsafe impl Send for Ring {}
// SAFETY: see `Send`; `&Ring` methods only touch atomics or memory the caller owns by
// protocol (reserved but unpublished space, or published but unreleased records).
unsafe impl Sync for Ring {}

/// A record read from a ring, the consumer's until [`Ring::release`] takes it back; its
/// bytes are borrowed from it ([`Ring::record`]), so none outlive the release.
#[derive(Debug)]
pub(crate) struct Peeked {
    /// Offset of the record in the data area.
    pub offset: usize,
    /// Length of the record in bytes.
    pub len: usize,
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
    /// [`RECORD_ALIGN`] and `capacity` a multiple of it. At most one producer and one
    /// consumer may use the ring at a time across all processes.
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
            // SAFETY: `ctrl` is valid (see above).
            seen_tail: AtomicU64::new(unsafe { &*ctrl }.tail.load(Ordering::Acquire)),
            data_bell,
            space_bell,
            cpus: cpus.map(|c| c as *const AtomicU32),
        }
    }

    fn ctrl(&self) -> &RingControl {
        // SAFETY: valid for the ring's lifetime (see `new`).
        unsafe { &*self.ctrl }
    }

    /// The producer's (0) or the consumer's (1) CPU word.
    fn cpu(&self, i: usize) -> &AtomicU32 {
        // SAFETY: valid for the ring's lifetime (see `new`).
        unsafe { &*self.cpus[i] }
    }

    /// Bytes of the data area.
    pub(crate) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The signal the consumer parks on, for waiting on data or waking the consumer.
    pub(crate) fn data_signal(&self) -> Signal<'_> {
        let c = self.ctrl();
        Signal {
            word: &c.data_signal,
            parked: &c.consumer_parked,
            waker_cpu: self.cpu(0),
            bell: &self.data_bell,
        }
    }

    /// The signal the producer parks on, for waiting on space or waking the producer.
    pub(crate) fn space_signal(&self) -> Signal<'_> {
        let c = self.ctrl();
        Signal {
            word: &c.space_signal,
            parked: &c.producer_parked,
            waker_cpu: self.cpu(1),
            bell: &self.space_bell,
        }
    }

    // ---- producer side ----

    /// Says whether the producer means to send again soon (see
    /// [`RingControl::producer_away`]).
    pub(crate) fn set_away(&self, away: bool) {
        // Relaxed: a hint; the consumer re-reads it on every round of its spin.
        self.ctrl()
            .producer_away
            .store(away as u32, Ordering::Relaxed);
    }

    /// Space needed at the current head for a record of `len` bytes, counting the
    /// padding record when the record would not fit before the end.
    fn needed(&self, len: u64) -> (u64, u64) {
        let head = self.ctrl().head.load(Ordering::Relaxed); // only the producer stores it
        let pos = head % self.capacity;
        let to_end = self.capacity - pos;
        if len <= to_end {
            (0, len)
        } else {
            (to_end, to_end + len)
        }
    }

    /// Whether a record of `len` bytes can be reserved now.
    pub(crate) fn has_space(&self, len: usize) -> bool {
        let (_, need) = self.needed(len as u64);
        let c = self.ctrl();
        let head = c.head.load(Ordering::Relaxed);
        let seen = self.seen_tail.load(Ordering::Relaxed); // process-local cache
        if self.capacity - (head - seen) >= need {
            return true;
        }
        // Acquire: pairs with the consumer's Release store of `tail`, so its reads of the
        // bytes it released are done before we overwrite them.
        let tail = c.tail.load(Ordering::Acquire);
        self.seen_tail.store(tail, Ordering::Relaxed);
        self.capacity - (head - tail) >= need
    }

    /// Whether every published record has been released by the consumer (so payloads in
    /// a bulk segment that earlier records named are no longer being read).
    pub(crate) fn is_drained(&self) -> bool {
        let c = self.ctrl();
        // Acquire: pairs with the consumer's Release store of `tail` in `release`.
        let tail = c.tail.load(Ordering::Acquire);
        self.seen_tail.store(tail, Ordering::Relaxed);
        c.head.load(Ordering::Relaxed) == tail
    }

    /// Reserves `len` bytes (a multiple of [`RECORD_ALIGN`], at most the capacity) and
    /// returns the writable record. Call only after [`has_space`](Self::has_space).
    ///
    /// # Safety
    /// Only the producer may call this, after `has_space(len)` returned true, and it must
    /// [`publish`](Self::publish) `len` before reserving again.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn reserve(&self, len: usize) -> &mut [u8] {
        let (pad, _) = self.needed(len as u64);
        let c = self.ctrl();
        let mut head = c.head.load(Ordering::Relaxed);
        if pad > 0 {
            let pos = (head % self.capacity) as usize;
            let h = RecordHeader::new(KIND_PAD, pad as u32, 0);
            // SAFETY: `pos + pad == capacity`; the bytes are free (has_space) and ours.
            unsafe {
                std::ptr::copy_nonoverlapping(h.as_ptr(), self.data.add(pos), RECORD_HEADER_SIZE)
            };
            head += pad;
            // Release: pairs with the consumer's Acquire load of `head`; publishes the pad.
            c.head.store(head, Ordering::Release);
        }
        let pos = (head % self.capacity) as usize;
        // SAFETY: `pos + len <= capacity` by `needed`, the bytes are free and only the
        // producer touches unpublished bytes.
        unsafe { std::slice::from_raw_parts_mut(self.data.add(pos), len) }
    }

    /// Publishes the record reserved last and wakes the consumer if it is parked.
    pub(crate) fn publish(&self, len: usize) {
        let c = self.ctrl();
        let head = c.head.load(Ordering::Relaxed);
        // Release: pairs with the consumer's Acquire load of `head` in `peek`, making the
        // record's bytes visible before the index.
        c.head.store(head + len as u64, Ordering::Release);
        self.data_signal().wake();
    }

    // ---- consumer side ----

    /// Whether the producer has said it will not send again soon.
    pub(crate) fn producer_away(&self) -> bool {
        // Relaxed: a hint (see `set_away`).
        self.ctrl().producer_away.load(Ordering::Relaxed) != 0
    }

    /// Whether a record (or padding) is waiting.
    pub(crate) fn has_data(&self) -> bool {
        let c = self.ctrl();
        // Acquire: pairs with the producer's Release store in `publish`.
        c.head.load(Ordering::Acquire) != c.tail.load(Ordering::Relaxed)
    }

    /// The next record, skipping padding, or `None` when the ring is empty.
    pub(crate) fn peek(&self) -> Result<Option<Peeked>, Corrupt> {
        let c = self.ctrl();
        loop {
            // Acquire: pairs with the producer's Release store of `head`.
            let head = c.head.load(Ordering::Acquire);
            let tail = c.tail.load(Ordering::Relaxed); // only the consumer stores it
            if head == tail {
                return Ok(None);
            }
            let avail = head.wrapping_sub(tail);
            let pos = tail % self.capacity;
            if avail > self.capacity
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
                std::slice::from_raw_parts(self.data.add(pos as usize), RECORD_HEADER_SIZE)
            };
            let h = RecordHeader::read(bytes);
            let len = h.len as u64;
            if len < RECORD_ALIGN as u64
                || !len.is_multiple_of(RECORD_ALIGN as u64)
                || len > avail
                || pos + len > self.capacity
            {
                return Err(Corrupt(format!(
                    "record at {tail} has length {len}, {avail} bytes published"
                )));
            }
            if h.kind == KIND_PAD {
                // Release: pairs with the producer's Acquire load of `tail` in has_space.
                c.tail.store(tail + len, Ordering::Release);
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
        unsafe { std::slice::from_raw_parts(self.data.add(p.offset), p.len) }
    }

    /// The start of a peeked record, as a raw pointer: for a server that lets a library
    /// write into the record (a foreign call's buffers), which no reference may cover.
    pub(crate) fn record_ptr(&self, p: &Peeked) -> *mut u8 {
        // SAFETY: `peek` checked `offset + len <= capacity`.
        unsafe { self.data.add(p.offset) }
    }

    /// The start of the data area in this process.
    pub(crate) fn data_ptr(&self) -> *mut u8 {
        self.data
    }

    /// Releases a peeked record back to the producer and wakes it if it is parked.
    pub(crate) fn release(&self, p: Peeked) {
        let c = self.ctrl();
        let tail = c.tail.load(Ordering::Relaxed);
        // Release: pairs with the producer's Acquire load of `tail` in `has_space`; our
        // reads of the record happen before the producer may overwrite it.
        c.tail.store(tail + p.len as u64, Ordering::Release);
        self.space_signal().wake();
    }
}
