//! Model checking of the real lock-free core with loom: the ring's `Producer` and
//! `Consumer` (`src/transport/ring.rs`) and `Signal` (`src/transport/wake.rs`) as they are,
//! built with `--cfg loadlib_loom` so that their atomics are loom's and their bell is a
//! model (`src/transport/primitive.rs`). `tests/builds/model_check.rs` runs this module
//! (`cargo test --test builds model_check -- --ignored`); by hand:
//! `RUSTFLAGS="--cfg loadlib_loom" LOADLIB_SKIP_SERVER_BUILD=1 CARGO_TARGET_DIR=target/loom
//! cargo test --release --lib model_check`.
//!
//! A producer and a consumer, each made from its own `Ring` over one control block and one
//! data area (as the two processes have), move records through a ring too small to hold them
//! all, so both sides park and wake each other, and records wrap with padding. Loom runs
//! every interleaving (up to a preemption bound) and reports:
//! - a record read before it was published, or overwritten before it was released: each
//!   64-byte line of the data area has a shadow `loom::cell::UnsafeCell`, written by the
//!   producer where it writes (the record and any padding) and read by the consumer
//!   where it reads, so an access that the ring's Release/Acquire pairs do not order is
//!   a causality violation;
//! - a lost wake-up: the model bell returns only once its word has moved, so a side that
//!   parks and is never woken spins until loom gives up on it;
//! - a record that arrives changed, twice, or out of order: the consumer checks each.

use std::time::Duration;

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

use crate::transport::layout::RingControl;
use crate::transport::primitive::sync::atomic::{AtomicU32, AtomicU64};
use crate::transport::primitive::Bell;
use crate::transport::ring::{Consumer, Producer, Ring};
use crate::transport::wake::{Deadline, PARK_SLICE};
use crate::transport::wire::{
    RecordHeader, KIND_PAD, KIND_REQUEST, RECORD_ALIGN, RECORD_HEADER_SIZE,
};

/// Lines of the data area.
const LINES: usize = 3;
/// Bytes of the data area.
const CAPACITY: usize = LINES * RECORD_ALIGN;

/// The data area, aligned as a ring's is.
#[repr(C, align(64))]
struct Area([u8; CAPACITY]);

/// What the two sides share: the control block, the data area, the CPU hint words, and
/// the shadow cells that stand for the data area's lines.
struct Shared {
    ctrl: RingControl,
    data: std::cell::UnsafeCell<Area>,
    cpus: [AtomicU32; 2],
    lines: [UnsafeCell<()>; LINES],
}

// SAFETY: the data area is reached only through the rings (one producer, one consumer),
// whose protocol is what this model checks; everything else is loom's atomics and cells.
unsafe impl Sync for Shared {}
// SAFETY: as above.
unsafe impl Send for Shared {}

impl Shared {
    fn new() -> Arc<Shared> {
        Arc::new(Shared::plain())
    }

    /// An empty ring's shared memory, not yet shared.
    fn plain() -> Shared {
        Shared {
            ctrl: RingControl::new(),
            data: std::cell::UnsafeCell::new(Area([0; CAPACITY])),
            cpus: [AtomicU32::new(0), AtomicU32::new(0)],
            lines: [
                UnsafeCell::new(()),
                UnsafeCell::new(()),
                UnsafeCell::new(()),
            ],
        }
    }

    /// One side's ring over the shared memory.
    fn ring(&self) -> Ring {
        // SAFETY: the control block, the 64-aligned data area of `CAPACITY` bytes (a
        // multiple of RECORD_ALIGN) and the CPU words live in `self`, which each side
        // holds (an `Arc`) for as long as its ring; one producer and one consumer use it.
        unsafe {
            Ring::new(
                &self.ctrl,
                self.data.get().cast::<u8>(),
                CAPACITY as u64,
                Bell,
                Bell,
                [&self.cpus[0], &self.cpus[1]],
            )
        }
    }

    /// The shadow lines of byte range `from..to` (offsets in the data area).
    fn lines(&self, from: usize, to: usize) -> &[UnsafeCell<()>] {
        &self.lines[from / RECORD_ALIGN..to.div_ceil(RECORD_ALIGN)]
    }
}

/// Waits as `Channel::send` does for room for `len` bytes, with no spin (time is not
/// modelled) and no deadline.
fn wait_for_space(ring: &Producer, len: usize) {
    let r = ring.space_signal().wait(
        || ring.has_space(len),
        || false,
        Duration::ZERO,
        Deadline::Never,
        PARK_SLICE,
        || Ok::<(), ()>(()),
        || {},
    );
    assert!(r.is_ok(), "a wait with no deadline and a live peer ended");
}

/// Waits as `Channel::recv` does for a record.
fn wait_for_data(ring: &Consumer) {
    wait_on(ring, || ring.has_data());
}

/// Waits as a channel's waits for data do (no spin, no deadline) on `ring`'s data
/// signal until `ready`.
fn wait_on(ring: &Consumer, ready: impl FnMut() -> bool) {
    let r = ring.data_signal().wait(
        ready,
        || ring.producer_away(),
        Duration::ZERO,
        Deadline::Never,
        PARK_SLICE,
        || Ok::<(), ()>(()),
        || {},
    );
    assert!(r.is_ok(), "a wait with no deadline and a live peer ended");
}

/// Sends records of `sizes` bytes (multiples of RECORD_ALIGN) from one thread and
/// receives them on another, in every interleaving loom tries. With `bursts`, as a
/// `Channel` in bursts does: the producer stages its records and publishes them together
/// (before it waits, and at the end), and the consumer hands released records back
/// together (before it waits).
fn run(sizes: &'static [usize], bursts: bool) {
    let mut model = loom::model::Builder::new();
    // Every interleaving with up to this many preemptions (as crossbeam's CI).
    model.preemption_bound = Some(2);
    model.check(move || {
        let shared = Shared::new();
        let producer = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let ring = shared.ring().into_producer();
                // Where the next record goes: `head` plus what is staged.
                let mut front = 0usize;
                for (seq, &len) in sizes.iter().enumerate() {
                    if bursts && !ring.has_space(len) {
                        ring.flush(); // as `Channel::wait_until` does before it waits
                    }
                    wait_for_space(&ring, len);
                    let start = front % CAPACITY;
                    // `reserve` writes padding at the end of the area when the record does
                    // not fit before it, and publishes the padding at once: its lines are
                    // written here, where the padding is (after `has_space`, before the
                    // publication).
                    if len > CAPACITY - start {
                        for line in shared.lines(start, CAPACITY) {
                            line.with_mut(|_| ());
                        }
                        front += CAPACITY - start;
                    }
                    front += len;
                    // SAFETY: the producer, after `has_space(len)`; published below.
                    let rec = unsafe { ring.reserve(len) };
                    let at = rec.as_ptr() as usize - shared.data.get() as usize;
                    for line in shared.lines(at, at + len) {
                        line.with_mut(|_| ());
                    }
                    let h = RecordHeader::new(KIND_REQUEST, len as u32, seq as u64 + 1);
                    rec[..RECORD_HEADER_SIZE].copy_from_slice(zerocopy::IntoBytes::as_bytes(&h));
                    rec[len - 1] = seq as u8 + 1;
                    if bursts {
                        ring.stage(len);
                    } else {
                        ring.publish(len);
                    }
                }
                ring.flush();
            })
        };
        let ring = shared.ring().into_consumer();
        // Where the next record is read: `tail` plus what is released and not handed back.
        let mut cursor = 0usize;
        for (seq, &len) in sizes.iter().enumerate() {
            let p = loop {
                if !ring.has_data() {
                    ring.flush(); // as `Channel::recv` does before it waits
                }
                wait_for_data(&ring);
                let start = cursor % CAPACITY;
                // Padding is read (and skipped) inside `peek`, before it moves `tail` on:
                // its lines are read here, where that happens (after `has_data`).
                // SAFETY: `has_data` saw the record at `tail` published; nothing writes it
                // until it is released.
                let first = unsafe {
                    std::slice::from_raw_parts(
                        shared.data.get().cast::<u8>().add(start),
                        RECORD_HEADER_SIZE,
                    )
                };
                if RecordHeader::read(first).kind == KIND_PAD {
                    for line in shared.lines(start, CAPACITY) {
                        line.with(|_| ());
                    }
                    cursor += CAPACITY - start;
                }
                if let Some(p) = ring.peek().expect("a well-formed ring") {
                    for line in shared.lines(p.offset, p.offset + p.len) {
                        line.with(|_| ());
                    }
                    break p;
                }
                // Only padding was published: wait for the record.
            };
            let bytes = ring.record(&p);
            let h = RecordHeader::read(bytes);
            assert_eq!(h.seq, seq as u64 + 1, "a record arrived out of order");
            assert_eq!(h.len as usize, len, "a record arrived changed");
            assert_eq!(bytes[len - 1], seq as u8 + 1, "a record arrived changed");
            cursor += len;
            if bursts {
                ring.release_staged(p);
            } else {
                ring.release(p);
            }
        }
        ring.flush();
        producer.join().unwrap();
    });
}

#[test]
fn records_that_fill_the_ring_and_wrap_at_its_end() {
    // Capacity 192: the second record ends at the end; the third waits for the first's
    // release and starts again at 0.
    run(&[128, 64, 128], false);
}

#[test]
fn records_that_wrap_with_padding() {
    // The third does not fit before the end: padding, then the start again, once both
    // earlier records are released; the fourth goes where the padding was, once the
    // consumer has skipped it.
    run(&[64, 64, 128, 64], false);
}

#[test]
fn records_published_and_released_in_bursts() {
    // Two records staged and published together; the third waits for their release,
    // which the consumer hands back together before it waits for the third.
    run(&[64, 64, 128], true);
}

#[test]
fn records_in_bursts_that_wrap_with_padding() {
    // The third's padding is staged with it, published together.
    run(&[64, 64, 128, 64], true);
}

/// What a client and its server share for the call lines: the two rings (whose data
/// signals and parked flags the lines' waits use; they carry no record here), the two
/// lines' stamps, and a shadow cell for each line's other bytes.
struct LineShared {
    /// The request ring (0) and the response ring (1).
    rings: [Shared; 2],
    request_stamp: AtomicU64,
    reply_stamp: AtomicU64,
    request_line: UnsafeCell<()>,
    reply_line: UnsafeCell<()>,
}

/// Two small calls on the call lines (`channel::call_line`), with the real stamp
/// functions and the rings' signals: the client writes the request line (its shadow
/// cell) only once the reply line answers its last call, stamps it and wakes the server;
/// the server reads it once stamped, writes and stamps the reply line and wakes the
/// client. Loom reports a line read before its stamp or written while the other side
/// reads it (the shadow cells), and a lost wake-up.
#[test]
fn calls_on_the_request_and_reply_lines() {
    use crate::transport::channel::{load_stamp, publish_stamp};
    const CALLS: u64 = 2;
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(2);
    model.check(|| {
        let shared = Arc::new(LineShared {
            rings: [Shared::plain(), Shared::plain()],
            request_stamp: AtomicU64::new(0),
            reply_stamp: AtomicU64::new(0),
            request_line: UnsafeCell::new(()),
            reply_line: UnsafeCell::new(()),
        });
        let client = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let (tx, rx) = (
                    shared.rings[0].ring().into_producer(),
                    shared.rings[1].ring().into_consumer(),
                );
                for seq in 1..=CALLS {
                    // The line is free: the reply line answers the last call.
                    assert_eq!(load_stamp(&shared.reply_stamp), seq - 1);
                    shared.request_line.with_mut(|_| ());
                    publish_stamp(&shared.request_stamp, seq, &tx);
                    wait_on(&rx, || load_stamp(&shared.reply_stamp) == seq);
                    shared.reply_line.with(|_| ());
                }
            })
        };
        let (rx, tx) = (
            shared.rings[0].ring().into_consumer(),
            shared.rings[1].ring().into_producer(),
        );
        let mut served = 0;
        while served < CALLS {
            wait_on(&rx, || load_stamp(&shared.request_stamp) != served);
            let seq = load_stamp(&shared.request_stamp);
            assert_eq!(seq, served + 1, "a call arrived twice or out of order");
            shared.request_line.with(|_| ());
            shared.reply_line.with_mut(|_| ());
            publish_stamp(&shared.reply_stamp, seq, &tx);
            served = seq;
        }
        client.join().unwrap();
    });
}
