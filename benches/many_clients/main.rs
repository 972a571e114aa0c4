//! Many bridges on few cores: N independent clients, each with its own 32-bit server and
//! driven by its own thread, calling `add` in a loop. Reports the total calls per second
//! for N = 1, 2, 4, 8 and 64, and each N's rate as a fraction of the single client's,
//! measured in the same run (the target: at least half, for every N).
//!
//! `cargo bench --bench many_clients`

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use loadlib::Client64;
use server32::wrappers::testlib::TestLibClient;

/// The numbers of clients measured.
const CLIENTS: [usize; 5] = [1, 2, 4, 8, 64];

fn start_clients(n: usize) -> Vec<Arc<TestLibClient>> {
    (0..n)
        .map(|_| {
            let builder = Client64::builder("testlib").ring_size(1 << 16);
            Arc::new(TestLibClient::start(builder).expect("start a 32-bit server"))
        })
        .collect()
}

/// Runs `calls` calls spread over the clients, each on its own thread; the wall time.
fn drive(clients: &[Arc<TestLibClient>], calls: u64) -> Duration {
    let per_client = calls.div_ceil(clients.len() as u64);
    let barrier = Arc::new(Barrier::new(clients.len() + 1));
    let threads: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let (c, barrier) = (Arc::clone(c), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..per_client as i32 {
                    let r = c.add(i, k as i32).expect("add");
                    assert_eq!(r, i + k as i32);
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for t in threads {
        t.join().expect("client thread");
    }
    start.elapsed()
}

fn many_clients(c: &mut Criterion) {
    let mut g = c.benchmark_group("many_clients");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for n in CLIENTS {
        let clients = start_clients(n);
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::new("add_total", n), |b| {
            b.iter_custom(|iters| drive(&clients, iters.max(n as u64)))
        });
    }
    g.finish();
}

criterion_group!(benches, many_clients);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
