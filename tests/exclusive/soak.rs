//! A soak: 10 million small calls and 10,000 arrays of 8 MiB through one client, with the
//! resident memory of both processes and the number of mapped loadlib segments sampled
//! as it goes. They must stay flat after warm-up. Run by hand:
//! `cargo test --release --test exclusive soak -- --ignored --nocapture`
//! (`LOADLIB_SOAK_CALLS=N` shortens it; arrays stay 1 per 1,000 calls).
#![cfg(target_os = "linux")] // Windows: see `soak_memory_from_proc` in main.rs

use std::time::Instant;

use loadlib::Client64;
use server32::wrappers::testlib::TestLibClient;

use crate::{alone, common};

/// Resident set size of a process in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// Mappings of loadlib segments in a process.
fn mapped_segments(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("/dev/shm/loadlib"))
        .count()
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    calls: u64,
    client_kib: u64,
    server_kib: u64,
    client_maps: usize,
    server_maps: usize,
}

fn sample(calls: u64, server: u32) -> Sample {
    let me = std::process::id();
    Sample {
        calls,
        client_kib: rss_kib(me),
        server_kib: rss_kib(server),
        client_maps: mapped_segments(me),
        server_maps: mapped_segments(server),
    }
}

#[test]
#[ignore = "long: run by hand in release"]
fn ten_million_calls_and_ten_thousand_8_mib_arrays_stay_flat() {
    let _alone = alone();
    let calls: u64 = std::env::var("LOADLIB_SOAK_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let (array_every, sample_every) = (1_000u64, calls / 20);
    let n = (8 << 20) / 8;
    let client = TestLibClient::start(Client64::builder("testlib")).unwrap();
    let server = client.client64().unwrap().server_pid();
    let mut x = vec![0.0f64; n];
    let mut samples = Vec::new();
    let (mut arrays, t0) = (0u64, Instant::now());
    for i in 0..calls {
        if i % array_every == array_every - 1 {
            let base = (i << 23) as f64; // i < 2^30: base + k stays exact
            for (k, v) in x.iter_mut().enumerate() {
                *v = base + k as f64;
            }
            let y = client.scalar_multiply(2.0, &x).unwrap();
            assert!(y.iter().zip(&x).all(|(a, b)| *a == 2.0 * b), "call {i}");
            arrays += 1;
        } else {
            let (a, b) = ((i % 1_000_003) as i32, (i % 7919) as i32);
            assert_eq!(client.add(a, b).unwrap(), a + b);
        }
        if (i + 1) % sample_every == 0 {
            let s = sample(i + 1, server);
            println!(
                "{:>9} calls {:>7.1?}: client {:>7} KiB, server {:>7} KiB, maps {}/{}",
                s.calls,
                t0.elapsed(),
                s.client_kib,
                s.server_kib,
                s.client_maps,
                s.server_maps
            );
            samples.push(s);
        }
    }
    let took = t0.elapsed();
    println!(
        "{calls} calls ({arrays} arrays of 8 MiB) in {took:.1?}: {:.0} calls/s",
        calls as f64 / took.as_secs_f64()
    );
    // Warm-up: the first 10% (bulk segments grown, allocator settled).
    let warm = samples[1];
    let last = *samples.last().unwrap();
    let slack_kib = 8 * 1024;
    for s in &samples[1..] {
        assert!(
            s.client_kib * 5 <= warm.client_kib * 6 + slack_kib * 5,
            "client grew: {warm:?} -> {s:?}"
        );
        assert!(
            s.server_kib * 5 <= warm.server_kib * 6 + slack_kib * 5,
            "server grew: {warm:?} -> {s:?}"
        );
        assert!(s.client_maps <= warm.client_maps, "{warm:?} -> {s:?}");
        assert!(s.server_maps <= warm.server_maps, "{warm:?} -> {s:?}");
    }
    println!("after warm-up {warm:?}\nat the end    {last:?}");
    assert!(common::shm_entries(client.client64().unwrap().segment_name()).len() <= 3);
}
