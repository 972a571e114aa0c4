//! The ring's bookkeeping over many laps, in one thread: records of many lengths (with
//! padding at the end of the data area), published one by one and in bursts, released
//! one by one and in bursts. Each side's position in the data area must stay its index
//! modulo the capacity, and every record must come back whole and in order.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{Consumer, Producer, Ring};
use crate::transport::layout::RingControl;
use crate::transport::primitive::Bell;
use crate::transport::shm::new_base_name;
use crate::transport::wire::{
    RecordHeader, KIND_PAD, KIND_REQUEST, RECORD_ALIGN, RECORD_HEADER_SIZE,
};

/// Lines in the data area: small, so the test goes round it many times.
const LINES: usize = 37;
const CAPACITY: usize = LINES * RECORD_ALIGN;

#[repr(C, align(64))]
struct Area([u8; CAPACITY]);

fn bell(i: u32) -> Bell {
    let name = format!("{}-t{i}", new_base_name().expect("a name"));
    Bell::create(&name).expect("a bell")
}

/// A deterministic sequence of record lengths: 1 to 9 lines.
fn lengths(n: usize) -> impl Iterator<Item = usize> {
    let mut x = 0x2545_f491_u32;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        (1 + x as usize % 9) * RECORD_ALIGN
    })
}

fn write(p: &Producer, seq: u64, len: usize) {
    assert!(p.has_space(len), "record {seq} of {len} bytes has no room");
    // SAFETY: the only producer, after `has_space(len)`; staged before the next reserve.
    let rec = unsafe { p.reserve(len) };
    let h = RecordHeader::new(KIND_REQUEST, len as u32, seq);
    rec[..RECORD_HEADER_SIZE].copy_from_slice(zerocopy::IntoBytes::as_bytes(&h));
    rec[RECORD_HEADER_SIZE..].fill(seq as u8);
}

fn read(c: &Consumer, seq: u64, len: usize) -> super::Peeked {
    let p = c.peek().expect("a sound ring").expect("a record");
    let bytes = c.record(&p);
    let h = RecordHeader::read(bytes);
    assert_eq!((h.seq, h.len as usize, bytes.len()), (seq, len, len));
    assert!(bytes[RECORD_HEADER_SIZE..].iter().all(|&b| b == seq as u8));
    p
}

fn positions_agree(p: &Producer, c: &Consumer) {
    assert_eq!(
        p.pos.get(),
        p.front() % CAPACITY as u64,
        "producer position"
    );
    assert_eq!(
        c.pos.get(),
        c.cursor.get() % CAPACITY as u64,
        "consumer position"
    );
}

/// What a ring is made of, owned by a test: its control block, its data area and the
/// CPU words of its two sides.
struct Parts {
    ctrl: RingControl,
    area: Box<Area>,
    cpus: [AtomicU32; 2],
}

impl Parts {
    fn new() -> Self {
        Parts {
            ctrl: RingControl::new(),
            area: Box::new(Area([0; CAPACITY])),
            cpus: [AtomicU32::new(0), AtomicU32::new(0)],
        }
    }

    /// A view of the ring, with bells `i` and `i + 1`.
    ///
    /// # Safety
    /// `self` must stay where it is and outlive the ring, and the ring be made the only
    /// producer or the only consumer.
    unsafe fn ring(&mut self, i: u32) -> Ring {
        // SAFETY: this function's contract; the area is 64-aligned, CAPACITY bytes, a
        // multiple of RECORD_ALIGN.
        unsafe {
            Ring::new(
                &self.ctrl,
                self.area.0.as_mut_ptr(),
                CAPACITY as u64,
                bell(i),
                bell(i + 1),
                [&self.cpus[0], &self.cpus[1]],
            )
        }
    }

    /// The ring's one producer and one consumer.
    ///
    /// # Safety
    /// `self` must stay where it is and outlive both.
    unsafe fn pair(&mut self) -> (Producer, Consumer) {
        // SAFETY: this function's contract; one producer, one consumer.
        unsafe { (self.ring(0).into_producer(), self.ring(2).into_consumer()) }
    }
}

#[test]
fn records_of_every_length_go_round_the_ring_many_times_whole() {
    let mut parts = Parts::new();
    // SAFETY: `parts` stays in place and outlives both sides.
    let (p, c) = unsafe { parts.pair() };
    let ctrl = &parts.ctrl;
    let all: Vec<usize> = lengths(3000).collect();
    let mut seq = 0u64;
    // Bursts of 1 to 3 records (at most 27 lines and 8 of padding: they fit), staged and
    // published together, then read and released together.
    let (mut rest, mut i) = (&all[..], 0usize);
    while !rest.is_empty() {
        let (burst, more) = rest.split_at((1 + i % 3).min(rest.len()));
        rest = more;
        let first = seq;
        for &len in burst {
            seq += 1;
            write(&p, seq, len);
            if i % 2 == 0 {
                p.publish(len);
            } else {
                p.stage(len);
            }
            positions_agree(&p, &c);
        }
        p.flush();
        let mut s = first;
        for &len in burst {
            s += 1;
            let peeked = read(&c, s, len);
            if i % 3 == 0 {
                c.release(peeked);
            } else {
                c.release_staged(peeked);
            }
            positions_agree(&p, &c);
        }
        c.flush();
        assert!(p.is_drained());
        assert!(c.peek().expect("a sound ring").is_none());
        i += 1;
    }
    assert!(
        ctrl.head.load(Ordering::Relaxed) > 50 * CAPACITY as u64,
        "the test went round the ring many times"
    );
}

#[test]
fn one_line_records_read_as_lines_go_round_the_ring_and_padding_is_never_one() {
    let mut parts = Parts::new();
    // SAFETY: as in the test above.
    let (p, c) = unsafe { parts.pair() };
    let ctrl = &parts.ctrl;
    let (mut seq, mut pads) = (0u64, 0);
    for len in lengths(2000) {
        // A record of some length (after padding, when it does not fit before the end):
        // padding is never peeked whole, and its line is no record of ours.
        seq += 1;
        write(&p, seq, len);
        p.publish(len);
        if c.peek_whole().is_none() {
            let line = c.peek_line().expect("published");
            assert_eq!((line[0] >> 32) as u16, KIND_PAD, "record {seq}");
            pads += 1;
        }
        c.release(read(&c, seq, len));
        // A one-line record, read as its line (one line always fits before the end).
        seq += 1;
        write(&p, seq, RECORD_ALIGN);
        p.publish(RECORD_ALIGN);
        let (_, h) = c.peek_whole().expect("a whole record");
        assert_eq!((h.seq, h.len as usize), (seq, RECORD_ALIGN));
        let line = c.peek_line().expect("published");
        assert_eq!(line[0], RECORD_ALIGN as u64 | (KIND_REQUEST as u64) << 32);
        assert_eq!(line[1], seq);
        assert!(line[4..]
            .iter()
            .all(|&w| w == u64::from_ne_bytes([seq as u8; 8])));
        c.release_line();
        positions_agree(&p, &c);
        assert!(
            c.peek_line().is_none() && c.peek_whole().is_none(),
            "all read"
        );
    }
    assert!(pads > 10, "padding came before only {pads} records");
    assert!(ctrl.head.load(Ordering::Relaxed) > 50 * CAPACITY as u64);
}

#[test]
fn a_misaligned_start_is_refused_by_every_way_of_reading() {
    let mut parts = Parts::new();
    // A peer that set `tail` 8 bytes before the end, and published a line from there.
    let tail = CAPACITY as u64 - 8;
    parts.ctrl.tail.store(tail, Ordering::Relaxed);
    parts
        .ctrl
        .head
        .store(tail + RECORD_ALIGN as u64, Ordering::Relaxed);
    // SAFETY: `parts` stays in place and outlives it; the only consumer.
    let c = unsafe { parts.ring(0) }.into_consumer();
    assert!(c.peek_line().is_none());
    assert!(c.peek_whole().is_none());
    assert!(c.peek().is_err(), "the general way reports it");
}

#[test]
fn a_side_that_wakes_its_parked_peer_notes_when_and_the_wait_takes_it_once() {
    let mut parts = Parts::new();
    // SAFETY: as in the tests above.
    let (p, c) = unsafe { parts.pair() };
    let ctrl = &parts.ctrl;
    // No peer parked: publishing and handing back wake nobody and note nothing.
    write(&p, 1, RECORD_ALIGN);
    p.publish(RECORD_ALIGN);
    c.release(read(&c, 1, RECORD_ALIGN));
    assert!(p.take_woke_peer().is_none() && c.take_woke_peer().is_none());
    assert_eq!(ctrl.data_signal.load(Ordering::Relaxed), 0);
    // A parked consumer: publishing bumps its word, rings, and notes the time, once.
    ctrl.consumer_parked.store(1, Ordering::Relaxed);
    let before = std::time::Instant::now();
    write(&p, 2, RECORD_ALIGN);
    p.publish(RECORD_ALIGN);
    assert!(p.take_woke_peer().expect("the consumer was woken") >= before);
    assert!(p.take_woke_peer().is_none(), "taken once");
    assert_eq!(ctrl.data_signal.load(Ordering::Relaxed), 1);
    assert!(c.take_woke_peer().is_none(), "the other side woke nobody");
    // A parked producer: handing a record back does the same on the consumer's side.
    ctrl.producer_parked.store(1, Ordering::Relaxed);
    let before = std::time::Instant::now();
    c.release(read(&c, 2, RECORD_ALIGN));
    assert!(c.take_woke_peer().expect("the producer was woken") >= before);
    assert!(c.take_woke_peer().is_none(), "taken once");
    assert_eq!(ctrl.space_signal.load(Ordering::Relaxed), 1);
    assert!(p.take_woke_peer().is_none());
}
