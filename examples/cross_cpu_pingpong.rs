//! What a round trip between two CPUs costs on this machine, with no bridge: two threads
//! of this process pass a counter back and forth through shared cache lines, the way a
//! small call crosses the rings. Three shapes, interleaved in short rounds so that the
//! machine's changing moods hit all of them alike, each reported as the 10th, 50th and
//! 90th percentile of its rounds:
//!
//! - `one line`: the counter alone, one cache line each way (the limits benchmark's
//!   `floor_pingpong_32bit`, within one process);
//! - `record + index`: a record line written, then an index line published (Release),
//!   the reader polling the index and prefetching the record, as the rings do today;
//! - `stamp in record`: the record carries its own stamp, written last, and the reader
//!   polls the record itself: one line each way with a payload;
//! - `8 KB each way`: as `stamp in record`, with 1,000 doubles copied into the shared
//!   buffer before the stamp and copied out of it after (a 10^3 array going to the
//!   server and its result coming back), beside `8 KB copies, one CPU`: the same four
//!   copies made by one thread, which is what an in-process call with two copies does.
//!
//! ```text
//! cargo run --release --example cross_cpu_pingpong
//! ```
//!
//! On the project's 2-vCPU KVM machines the medians move between about 100 ns and 550 ns
//! from one minute to the next, for every two-thread shape at once: the host places the
//! two vCPUs, not the program. Within one run, `stamp in record` took 0.75–0.97× the time
//! of `record + index`, and `8 KB each way` about 350 ns more than the one-CPU copies
//! plus a one-line round trip (README, "The lean path, fourth round").

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// One cache line of words.
#[repr(C, align(64))]
struct Line([AtomicU64; 8]);

/// The lines both threads use: each direction has a record line and an index line.
static LINES: [Line; 4] = [const { Line([const { AtomicU64::new(0) }; 8]) }; 4];

/// Doubles in the `8 KB each way` payload.
const PAYLOAD: usize = 1000;

/// One direction's payload buffer, copied with `memcpy` as the bridge copies arrays.
#[repr(C, align(64))]
struct Payload(UnsafeCell<[f64; PAYLOAD]>);

// SAFETY: a buffer is written by one thread and then read by the other only after the
// stamp's Release store and Acquire load (see `send` and `receive`), and written again
// only after the reader's own stamp comes back: its accesses never overlap.
unsafe impl Sync for Payload {}

static PAYLOADS: [Payload; 2] = [const { Payload(UnsafeCell::new([0.0; PAYLOAD])) }; 2];

/// The three shapes of a round trip.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    OneLine,
    RecordAndIndex,
    StampInRecord,
    Payload,
    PayloadOneCpu,
}

const SHAPES: [(Shape, &str); 5] = [
    (Shape::OneLine, "one line"),
    (Shape::RecordAndIndex, "record + index"),
    (Shape::StampInRecord, "stamp in record"),
    (Shape::Payload, "8 KB each way"),
    (Shape::PayloadOneCpu, "8 KB copies, one CPU"),
];

/// Round trips per round, and rounds per shape.
const TRIPS: u64 = 100_000;
const ROUNDS: usize = 40;

fn main() {
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); SHAPES.len()];
    for _ in 0..ROUNDS {
        for (i, &(shape, _)) in SHAPES.iter().enumerate() {
            for line in &LINES {
                line.0.iter().for_each(|w| w.store(0, Ordering::Relaxed));
            }
            if shape == Shape::PayloadOneCpu {
                results[i].push(one_cpu());
                continue;
            }
            let peer = std::thread::spawn(move || run(1, shape));
            results[i].push(run(0, shape));
            peer.join().expect("the peer thread");
        }
    }
    for ((_, name), mut r) in SHAPES.iter().zip(results) {
        r.sort_by(f64::total_cmp);
        let at = |q: usize| r[(r.len() - 1) * q / 100];
        println!(
            "{name:>16}: p10 {:6.1} ns  median {:6.1} ns  p90 {:6.1} ns a round trip",
            at(10),
            at(50),
            at(90)
        );
    }
}

/// One side's part of `TRIPS` round trips (side 0 starts each); side 0 returns the mean
/// time of one.
fn run(side: usize, shape: Shape) -> f64 {
    // Side 0 writes lines 0 (record) and 1 (index); side 1 writes lines 2 and 3.
    let (out, inp) = if side == 0 { (0, 2) } else { (2, 0) };
    let mut local = vec![side as f64; PAYLOAD];
    let start = Instant::now();
    for trip in 1..=TRIPS {
        if side == 1 {
            receive(shape, inp, trip, &mut local);
        }
        send(shape, out, trip, &local);
        if side == 0 {
            receive(shape, inp, trip, &mut local);
        }
    }
    start.elapsed().as_nanos() as f64 / TRIPS as f64
}

/// The four 8 KB copies of a round trip with a payload, made by one thread: the mean time
/// of one round.
fn one_cpu() -> f64 {
    let (mut a, mut b) = (vec![1.0f64; PAYLOAD], vec![0.0f64; PAYLOAD]);
    let start = Instant::now();
    for trip in 1..=TRIPS {
        copy_in(&PAYLOADS[0], &a);
        copy_out(&PAYLOADS[0], &mut b);
        b[0] = trip as f64;
        copy_in(&PAYLOADS[1], &b);
        copy_out(&PAYLOADS[1], &mut a);
    }
    std::hint::black_box(&a);
    start.elapsed().as_nanos() as f64 / TRIPS as f64
}

fn copy_in(dst: &Payload, src: &[f64]) {
    // SAFETY: `src` holds PAYLOAD doubles; no other access to `dst` overlaps this one
    // (see `Payload`).
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst.0.get().cast(), PAYLOAD) };
}

fn copy_out(src: &Payload, dst: &mut [f64]) {
    // SAFETY: `dst` holds PAYLOAD doubles; no other access to `src` overlaps this one.
    unsafe { std::ptr::copy_nonoverlapping(src.0.get().cast(), dst.as_mut_ptr(), PAYLOAD) };
}

fn send(shape: Shape, out: usize, trip: u64, local: &[f64]) {
    if shape == Shape::Payload {
        copy_in(&PAYLOADS[out / 2], local);
    }
    let (record, index) = (&LINES[out].0, &LINES[out + 1].0);
    // The payload, then what publishes it (Release: pairs with the reader's Acquire).
    record[1].store(trip, Ordering::Relaxed);
    match shape {
        Shape::OneLine => index[0].store(trip, Ordering::Release),
        Shape::RecordAndIndex => index[0].store(trip, Ordering::Release),
        Shape::StampInRecord | Shape::Payload | Shape::PayloadOneCpu => {
            record[0].store(trip, Ordering::Release)
        }
    }
}

fn receive(shape: Shape, inp: usize, trip: u64, local: &mut [f64]) {
    let (record, index) = (&LINES[inp].0, &LINES[inp + 1].0);
    loop {
        // Acquire: pairs with the writer's Release store in `send`.
        let seen = match shape {
            Shape::OneLine => index[0].load(Ordering::Acquire),
            Shape::RecordAndIndex => {
                prefetch(record.as_ptr().cast());
                index[0].load(Ordering::Acquire)
            }
            Shape::StampInRecord | Shape::Payload | Shape::PayloadOneCpu => {
                record[0].load(Ordering::Acquire)
            }
        };
        if seen == trip {
            break;
        }
        std::hint::spin_loop();
    }
    if shape != Shape::OneLine {
        assert_eq!(record[1].load(Ordering::Relaxed), trip, "the payload");
    }
    if shape == Shape::Payload {
        copy_out(&PAYLOADS[inp / 2], local);
    }
}

/// Starts loading the line at `p` (a hint; nothing on other targets).
#[inline(always)]
fn prefetch(p: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
