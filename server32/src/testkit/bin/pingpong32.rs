//! `pingpong32`: the floor for a cross-process round trip. It maps a segment the 64-bit
//! benchmark created and answers every new value written to the ping word by copying it
//! to the pong word (a separate cache line), spinning, with no futex and no message.
//!
//! Usage: `pingpong32 SEGMENT`. The value `u32::MAX` ends it; so do ten seconds without a
//! ping (a benchmark that died sends none).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use loadlib::__private::shm::Segment;

fn main() {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!("usage: pingpong32 SEGMENT");
        std::process::exit(2);
    };
    let seg = Segment::open(&name).unwrap_or_else(|e| {
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
    let mut last = 0u32;
    let mut since = Instant::now();
    loop {
        // Acquire: pairs with the benchmark's Release store of the ping.
        let v = ping.load(Ordering::Acquire);
        if v != last {
            if v == u32::MAX {
                return;
            }
            // Release: pairs with the benchmark's Acquire load of the pong.
            pong.store(v, Ordering::Release);
            last = v;
            since = Instant::now();
            continue;
        }
        std::hint::spin_loop();
        if since.elapsed() > Duration::from_secs(10) {
            return;
        }
    }
}
