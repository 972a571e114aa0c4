//! Eight threads share one client: small calls and 1 MiB arrays, mixed, every reply
//! checked against values unique to its thread and iteration. A watchdog fails the run
//! if no call completes for 60 s (a hang detector, not a deadline).
//!
//! CI runs reduced counts; the full run is ignored and run by hand:
//! `cargo test --release --test conformance eight_threads_100k -- --ignored --nocapture`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, Config};

common::per_config! {
    eight_threads_share_one_client_over_shared_memory: shm;
    eight_threads_share_one_client_over_files: [file_server32];
}

/// Elements of a 1 MiB `f64` array.
const MIB_F64: usize = (1 << 20) / 8;
/// No completed call for this long fails the run.
const STALL: Duration = Duration::from_secs(60);

/// Aborts the process if `progress` stops moving for `STALL` while `done` is false.
fn watchdog<'s>(
    s: &'s std::thread::Scope<'s, '_>,
    progress: &'s AtomicU64,
    done: &'s AtomicBool,
    label: &'s str,
) {
    s.spawn(move || {
        let (mut last, mut since) = (progress.load(Relaxed), Instant::now());
        while !done.load(Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
            let now = progress.load(Relaxed);
            if now != last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() > STALL {
                eprintln!("[{label}] no call completed for {STALL:?} after {now} calls: hung");
                std::process::abort(); // the servers' watchdogs see their client go
            }
        }
    });
}

/// The array thread `t` sends in iteration `i`: every element names both, exactly.
fn fill(x: &mut [f64], t: usize, i: usize) {
    let base = ((t as u64) << 44) | ((i as u64) << 20);
    for (k, v) in x.iter_mut().enumerate() {
        *v = (base | k as u64) as f64; // below 2^53: exact
    }
}

/// Runs `calls` calls on each of `threads` threads; every `array_every`-th is a 1 MiB
/// array. Returns the wall time.
fn run(
    client: &TestLibClient,
    label: &str,
    threads: usize,
    calls: usize,
    array_every: usize,
) -> Duration {
    let progress = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        watchdog(s, &progress, &done, label);
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let progress = &progress;
                s.spawn(move || {
                    let mut x = vec![0.0f64; MIB_F64];
                    for i in 0..calls {
                        if i % array_every == array_every - 1 {
                            fill(&mut x, t, i);
                            let y = client.scalar_multiply(2.0, &x).unwrap();
                            assert_eq!(y.len(), MIB_F64, "[{label}] thread {t} call {i}");
                            let bad = y.iter().zip(&x).position(|(a, b)| *a != 2.0 * b);
                            assert_eq!(bad, None, "[{label}] thread {t} call {i}: wrong element");
                        } else {
                            let (a, b) = ((t * 1_000_000 + i) as i32, (i % 977) as i32 - 488);
                            let sum = client.add(a, b).unwrap();
                            assert_eq!(sum, a + b, "[{label}] thread {t} call {i}");
                        }
                        progress.fetch_add(1, Relaxed);
                    }
                })
            })
            .collect();
        let results: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
        done.store(true, Relaxed);
        for r in results {
            if let Err(p) = r {
                std::panic::resume_unwind(p);
            }
        }
    });
    let took = t0.elapsed();
    let n = (threads * calls) as f64;
    println!(
        "[{label}] {threads} threads x {calls} calls (1 in {array_every} a 1 MiB array): \
         {took:.2?}, {:.0} calls/s",
        n / took.as_secs_f64()
    );
    assert_eq!(progress.load(Relaxed), (threads * calls) as u64);
    took
}

fn eight_threads_share_one_client_over_shared_memory(cfg: &Config) {
    let client = cfg.testlib();
    run(&client, cfg.label, 8, 2_000, 16);
    // Still one server, still working, nothing extra mapped.
    assert_eq!(client.add(40, 2).unwrap(), 42);
    let segs = common::shm_entries(client.client64().unwrap().segment_name()).len();
    assert!(segs <= 3, "[{}] {segs} segments", cfg.label);
}

fn eight_threads_share_one_client_over_files(cfg: &Config) {
    run(&cfg.testlib(), cfg.label, 8, 250, 16);
}

#[test]
#[ignore = "long: run by hand in release"]
fn eight_threads_100k_calls_each() {
    let cfg = Config::shm_server32();
    run(&cfg.testlib(), cfg.label, 8, 100_000, 16);
}
