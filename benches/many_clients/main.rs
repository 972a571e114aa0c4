//! Many bridges on few cores: N independent clients, each with its own 32-bit server and
//! driven by its own thread, calling `add` in a loop. Reports the total calls per second
//! for N = 1, 2, 4, 8 and 64, and each N's rate as a fraction of the single client's,
//! measured in the same run (the target: at least half, for every N). The same with
//! clients built with `share_cores(false)` (no core leases: every waiter spins and yields
//! against the others) shows what the leases bring.
//!
//! `cargo bench --bench many_clients`

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use loadlib::Client64;
use server32::wrappers::testlib::TestLibClient;

/// The numbers of clients measured.
const CLIENTS: [usize; 5] = [1, 2, 4, 8, 64];

#[path = "../common/estimates.rs"]
#[allow(dead_code)]
mod estimates;

/// The numbers of clients measured without core leases.
const UNSHARED: [usize; 3] = [2, 8, 64];

fn start_clients(n: usize, share_cores: bool) -> Vec<Arc<TestLibClient>> {
    (0..n)
        .map(|_| {
            let builder = Client64::builder("testlib")
                .ring_size(1 << 16)
                .share_cores(share_cores);
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
    let cases = CLIENTS
        .iter()
        .map(|&n| ("add_total", n, true))
        .chain(UNSHARED.iter().map(|&n| ("add_total_unshared", n, false)));
    for (name, n, share) in cases {
        let clients = start_clients(n, share);
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::new(name, n), |b| {
            // Each call counts as one iteration; a run makes at least one call a client.
            b.iter_custom(|iters| {
                let calls = iters.max(n as u64);
                drive(&clients, calls).mul_f64(iters as f64 / calls as f64)
            })
        });
    }
    g.finish();
}

/// Total calls per second of each case, against one client's rate in this run.
fn summary() {
    let rate = |id: String| estimates::median(&id).map(|ns| 1e9 / ns);
    let Some(one) = rate("many_clients/add_total/1".into()) else {
        return;
    };
    println!("\n| clients | total calls/s | / one client | without core leases | / one client |");
    println!("|---|---|---|---|---|");
    for n in CLIENTS {
        let Some(r) = rate(format!("many_clients/add_total/{n}")) else {
            continue;
        };
        let unshared = rate(format!("many_clients/add_total_unshared/{n}"))
            .map_or("- | -".into(), |u| {
                format!("{:.0} k/s | {:.2}", u / 1e3, u / one)
            });
        println!("| {n} | {:.0} k/s | {:.2} | {unshared} |", r / 1e3, r / one);
    }
    println!("\n(target: every N at least half the one-client rate)");
}

criterion_group!(benches, many_clients);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
