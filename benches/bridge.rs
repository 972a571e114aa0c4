//! Shared memory against the file transport (the way the original Python tool moves
//! data), through a real 32-bit server: a small call (`add` of two i32 in a C library)
//! and echo of f64 arrays from 8 bytes to 8 MiB, through the typed clients. Ends with a
//! table of medians and ratios.
//!
//! ```text
//! cargo bench --bench bridge
//! ```

use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use loadlib::{Array, Builder, Client64, FromValue, Transport};
use server32::wrappers::echo::EchoClient;
use server32::wrappers::testlib::TestLibClient;

#[path = "common/estimates.rs"]
mod estimates;
use estimates::{median, time};

const SIZES: [usize; 6] = [8, 1 << 10, 64 << 10, 1 << 20, 4 << 20, 8 << 20];
const TRANSPORTS: [(Transport, &str); 2] =
    [(Transport::SharedMemory, "shm"), (Transport::File, "file")];

fn builder(module: &str, t: &Transport) -> Builder {
    Client64::builder(module).transport(t.clone())
}

fn small_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("bridge_small_call");
    for (t, name) in &TRANSPORTS {
        let client = TestLibClient::start(builder("testlib", t)).expect("start server32");
        let mut i = 0i32;
        g.bench_function(*name, |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                let r = client.add(i, 1).unwrap();
                assert_eq!(r, i.wrapping_add(1));
            })
        });
    }
    g.finish();
}

fn echo_f64(c: &mut Criterion) {
    let mut g = c.benchmark_group("echo_f64");
    for (t, name) in &TRANSPORTS {
        let client = EchoClient::start(builder("echo", t)).expect("start server32");
        for bytes in SIZES {
            let data: Vec<f64> = (0..bytes / 8).map(|i| i as f64).collect();
            g.throughput(Throughput::Bytes(bytes as u64));
            if bytes >= 1 << 20 {
                g.sample_size(20);
            }
            g.bench_with_input(BenchmarkId::new(*name, bytes), &data, |b, data| {
                b.iter(|| {
                    let back = Array::from_value(client.echo(vec![data.into()]).unwrap()).unwrap();
                    assert_eq!(back.len(), data.len());
                })
            });
        }
        g.sample_size(100);
    }
    g.finish();
}

fn summary() {
    println!("\n| case | shared memory | file | file / shm | shm payload rate |");
    println!("|---|---|---|---|---|");
    let mut rows = vec![(
        "small call `add(i32, i32)`".to_string(),
        "bridge_small_call/shm".to_string(),
        "bridge_small_call/file".to_string(),
        0,
    )];
    for b in SIZES {
        rows.push((
            format!("echo {} f64", human(b)),
            format!("echo_f64/shm/{b}"),
            format!("echo_f64/file/{b}"),
            b,
        ));
    }
    for (label, shm, file, bytes) in rows {
        let (Some(s), Some(f)) = (median(&shm), median(&file)) else {
            continue;
        };
        let rate = if bytes > 0 {
            format!("{:.2} GB/s", bytes as f64 / s)
        } else {
            "-".into()
        };
        println!(
            "| {label} | {} | {} | {:.1}× | {rate} |",
            time(s),
            time(f),
            f / s
        );
    }
}

fn human(b: usize) -> String {
    match b {
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = small_call, echo_f64
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
