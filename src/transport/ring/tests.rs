//! The ring's bookkeeping over many laps, in one thread: records of many lengths (with
//! padding at the end of the data area), published one by one and in bursts, released
//! one by one and in bursts. Each side's position in the data area must stay its index
//! modulo the capacity, and every record must come back whole and in order.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{Consumer, Producer, Ring};
use crate::transport::layout::RingControl;
use crate::transport::primitive::Bell;
use crate::transport::shm::new_base_name;
use crate::transport::wire::{RecordHeader, KIND_REQUEST, RECORD_ALIGN, RECORD_HEADER_SIZE};

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

#[test]
fn records_of_every_length_go_round_the_ring_many_times_whole() {
    let ctrl = RingControl::new();
    let mut area = Box::new(Area([0; CAPACITY]));
    let cpus = [AtomicU32::new(0), AtomicU32::new(0)];
    let data = area.0.as_mut_ptr();
    // SAFETY: the control block, the 64-aligned area of CAPACITY bytes (a multiple of
    // RECORD_ALIGN) and the CPU words outlive both rings; one producer, one consumer.
    let ring = |i| unsafe {
        Ring::new(
            &ctrl,
            data,
            CAPACITY as u64,
            bell(i),
            bell(i + 1),
            [&cpus[0], &cpus[1]],
        )
    };
    let (p, c) = (ring(0).into_producer(), ring(2).into_consumer());
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
