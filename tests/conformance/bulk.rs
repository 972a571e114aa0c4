//! Arrays larger than the ring travel through bulk segments that are reused and grown,
//! never created per call.

use loadlib::{Array, Client64};
use server32::wrappers::echo::EchoClient;
use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, echo, Config};

common::per_config! {
    segments_stay_bounded_across_1000_calls: widths32;
    results_stay_correct_across_calls_of_every_size: shm;
}

fn shm_bytes(prefix: &str) -> (usize, u64) {
    let names = common::shm_entries(prefix);
    let bytes = names.iter().map(|n| common::shm_size(n)).sum();
    (names.len(), bytes)
}

#[test]
fn a_256_mib_f64_array_round_trips_through_the_32_bit_server() {
    let client = EchoClient::start(Client64::builder("echo")).unwrap();
    assert_eq!(client.client64().unwrap().server_pointer_width(), 32);
    let n = (256 << 20) / 8;
    let data: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 1e6).collect();
    let back: Array = echo(&client, &data).unwrap();
    assert_eq!(back.shape(), &[n]);
    assert!(
        back.as_slice::<f64>().unwrap() == &data[..],
        "payload differs"
    );
    // One bulk segment each way, of the payload's size rounded to 1 MiB, plus the main
    // segment (two 8 MiB rings); nothing per call.
    let (count, bytes) = shm_bytes(client.client64().unwrap().segment_name());
    assert_eq!(count, 3, "main segment + client bulk + server bulk");
    assert!(
        bytes <= 2 * (257 << 20) + (17 << 20),
        "{bytes} bytes mapped"
    );
}

#[test]
fn arrays_over_64_kib_go_to_the_bulk_segments_whatever_the_ring_size() {
    // An 8 MiB ring (the default) would hold 2 MiB inline; the bulk segments, reused from
    // their start, keep a payload sent call after call in cache.
    let client = EchoClient::start(Client64::builder("echo").ring_size(8 << 20)).unwrap();
    let name = client.client64().unwrap().segment_name().to_owned();
    let at_limit: Vec<f64> = (0..8_192).map(f64::from).collect();
    let back: Vec<f64> = echo(&client, &at_limit).unwrap();
    assert_eq!(back, at_limit);
    assert_eq!(shm_bytes(&name).0, 1, "64 KiB travels in the ring");
    let over: Vec<f64> = (0..8_193).map(f64::from).collect();
    let back: Vec<f64> = echo(&client, &over).unwrap();
    assert_eq!(back, over);
    assert_eq!(
        shm_bytes(&name).0,
        3,
        "main segment + client bulk + server bulk"
    );
}

fn segments_stay_bounded_across_1000_calls(cfg: &Config) {
    let label = cfg.label;
    let client = EchoClient::start(cfg.builder("echo").ring_size(1 << 20)).unwrap();
    let name = client.client64().unwrap().segment_name().to_owned();
    let mut high_water = (0usize, 0u64);
    for i in 0..1000usize {
        // Sizes cycle from a few bytes to 3 MiB: inline and bulk, growing and shrinking.
        let n = 1 + (i * 7919) % (3 << 17);
        let data: Vec<f64> = (0..n).map(|k| (k + i) as f64).collect();
        let back: Vec<f64> = echo(&client, &data).unwrap();
        assert_eq!(back.len(), n);
        assert_eq!(back[n - 1], (n - 1 + i) as f64);
        if i % 50 == 0 {
            let (c, b) = shm_bytes(&name);
            high_water = (high_water.0.max(c), high_water.1.max(b));
        }
    }
    let (count, bytes) = shm_bytes(&name);
    assert!(
        count <= 3 && high_water.0 <= 3,
        "{label}: {count} segments, high {high_water:?}"
    );
    // Main segment (2 × 1 MiB rings) plus two bulk segments of at most ~1.5 × 3 MiB.
    assert!(bytes <= (3 << 20) + 2 * (5 << 20), "{label}: {bytes} bytes");
    assert!(
        high_water.1 <= (3 << 20) + 2 * (5 << 20),
        "{label}: {high_water:?}"
    );
}

#[test]
fn payloads_too_large_for_a_32_bit_server_are_refused_before_sending() {
    let client = EchoClient::start(Client64::builder("echo")).unwrap();
    let err = client
        .alloc_array::<f64>(&[1 << 29])
        .expect_err("4 GiB must be refused");
    assert!(err.to_string().contains("32-bit server"), "{err}");
    let err = client
        .alloc_array::<f64>(&[1 << 62, 16])
        .expect_err("overflow");
    assert!(err.to_string().contains("overflows"), "{err}");
    assert_eq!(echo::<String>(&client, "alive").unwrap(), "alive");
}

fn results_stay_correct_across_calls_of_every_size(cfg: &Config) {
    let label = cfg.label;
    let client = TestLibClient::new(cfg.start("testlib")).unwrap();
    // Inline (up to 64 KiB, 8,192 f64), in the bulk segment, growing to a result of
    // 40 MB (a new array that asks for huge pages) and shrinking again, twice over: each
    // result in a new `Vec` and into the caller's buffer, every element checked.
    let sizes = [
        1, 1_000, 8_192, 8_193, 10_000, 100_000, 1_000_000, 5_000_000, 100_000, 8_193, 1_000,
    ];
    for round in 0..2 {
        for (i, &n) in sizes.iter().enumerate() {
            let base = (round * 100 + i) as f64;
            let x: Vec<f64> = (0..n).map(|k| base + k as f64).collect();
            let a = 1.5 + i as f64;
            let y = client.scalar_multiply(a, &x).unwrap();
            assert_eq!(y.len(), n, "[{label}] n = {n}");
            assert!(
                y.iter().zip(&x).all(|(y, x)| *y == a * x),
                "[{label}] round {round}, n = {n}: a new result differs"
            );
            let mut out = vec![-1.0; n];
            client.scalar_multiply_into(a, &x, &mut out).unwrap();
            assert!(
                out.iter().zip(&x).all(|(y, x)| *y == a * x),
                "[{label}] round {round}, n = {n}: the result into a buffer differs"
            );
        }
    }
}
