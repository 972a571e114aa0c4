//! `pingpong32`: the floors for a cross-process round trip. It maps a segment the 64-bit
//! benchmark created and answers every new value written to the ping word with the same
//! value in the pong word (a separate cache line), spinning, with no futex and no
//! message.
//!
//! Usage:
//! - `pingpong32 SEGMENT`: the bare round trip.
//! - `pingpong32 SEGMENT scalar_multiply N`: before each answer it calls the 32-bit test
//!   library's `scalar_multiply(2.0, x, N, out)` on two arrays of `N` doubles in the
//!   segment ([`ARRAYS_AT`], the second on the next page boundary after the first): the
//!   least a bridge with copied arrays does across two processes, with the benchmark
//!   copying its input in before the ping and the result out after the pong.
//!
//! It spins while pings come; after a millisecond without one it sleeps between polls, so
//! that an idle floor does not take a CPU from what the benchmark runs meanwhile. The
//! value `u32::MAX` ends it; so do ten seconds without a ping (a benchmark that died
//! sends none).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use loadlib::__private::shm::Segment;
use server32::testkit::floor::{out_at, segment_len, ARRAYS_AT};
use server32::wrappers::testlib::TestLibC;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(name) = args.get(1) else {
        eprintln!("usage: pingpong32 SEGMENT [scalar_multiply N]");
        std::process::exit(2);
    };
    let elements = match (args.get(2).map(String::as_str), args.get(3)) {
        (None, _) => None,
        (Some("scalar_multiply"), Some(n)) => Some(n.parse::<usize>().unwrap_or_else(|e| {
            eprintln!("pingpong32: {n}: {e}");
            std::process::exit(2)
        })),
        _ => {
            eprintln!("usage: pingpong32 SEGMENT [scalar_multiply N]");
            std::process::exit(2);
        }
    };
    let seg = Segment::open(name).unwrap_or_else(|e| {
        eprintln!("pingpong32: {e}");
        std::process::exit(2)
    });
    assert!(seg.len() >= 128, "segment too small");
    // SAFETY: the segment is at least 128 bytes, page-aligned, and the benchmark uses
    // these two words only as atomics.
    let (ping, pong) = unsafe {
        (
            &*(seg.as_ptr() as *const AtomicU32),
            &*(seg.as_ptr().add(64) as *const AtomicU32),
        )
    };
    // The library's call on each ping, when asked for.
    let work: Box<dyn Fn()> = match elements {
        None => Box::new(|| {}),
        Some(n) => {
            // Checked: on i686 a large N would wrap `out_at` past the segment's end.
            assert!(
                segment_len(n).is_some_and(|len| seg.len() >= len),
                "segment too small for {n} doubles"
            );
            let out = out_at(n);
            let len = i32::try_from(n).expect("N fits a C int");
            // SAFETY: the 32-bit test library, whose initialiser does nothing; the
            // declared signatures are its C ones.
            let lib = unsafe { TestLibC::load(server32::paths::TEST_LIB) }.unwrap_or_else(|e| {
                eprintln!("pingpong32: {e}");
                std::process::exit(2)
            });
            let base = seg.as_ptr();
            Box::new(move || {
                // SAFETY: both arrays lie inside the segment (checked above), page-aligned
                // and apart; the benchmark writes the input only before its ping and reads
                // the result only after the pong, so no access overlaps the library's.
                unsafe {
                    lib.scalar_multiply(
                        2.0,
                        base.add(ARRAYS_AT).cast::<f64>(),
                        len,
                        base.add(out).cast::<f64>(),
                    )
                }
            })
        }
    };
    let mut last = 0u32;
    let mut since = Instant::now();
    loop {
        // Acquire: pairs with the benchmark's Release store of the ping.
        let v = ping.load(Ordering::Acquire);
        if v != last {
            if v == u32::MAX {
                return;
            }
            work();
            // Release: pairs with the benchmark's Acquire load of the pong.
            pong.store(v, Ordering::Release);
            last = v;
            since = Instant::now();
            continue;
        }
        std::hint::spin_loop();
        let idle = since.elapsed();
        if idle > Duration::from_secs(10) {
            return;
        }
        // Idle for a millisecond: the benchmark is busy elsewhere (another case, the
        // bridge beside this floor), so poll every 200 µs instead of spinning, leaving the
        // CPU to others. A caller times calls made back to back.
        if idle > Duration::from_millis(1) {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}
