//! A copied array call beside its two floors, measured in the same minutes: the typed
//! client's `scalar_multiply_into` through the 32-bit server, the least two processes do
//! for the same call (`two processes`: the input copied into a shared segment, one round
//! trip with a 32-bit process that calls the same 32-bit library between ping and pong,
//! the result copied out), and the in-process call with the same two copies (`one
//! process`). The three are interleaved in short rounds (each after one untimed call that
//! wakes its peer), so that the host's changing placement of the two vCPUs hits all of
//! them alike, and each is reported as the 10th, 50th and 90th percentile of its rounds,
//! with the medians' ratios.
//!
//! ```text
//! cargo run --release --example array_floors              # 10^3, 10^4 and 10^5 doubles
//! cargo run --release --example array_floors -- 10000     # one size
//! ```

use std::time::Instant;

use server32::testkit::floor::{InProcessCopiedFloor, ScalarMultiplyFloor};
use server32::wrappers::testlib::TestLibClient;

/// One shape's call, writing its result into the buffer it is given.
type Call<'a> = dyn FnMut(&mut [f64]) -> Result<(), loadlib::Error> + 'a;

/// Rounds per shape, and about the longest a round takes (the slowest shape's: every
/// shape makes as many calls).
const ROUNDS: usize = 30;
const ROUND_NS: u128 = 20_000_000;

fn main() -> Result<(), loadlib::Error> {
    let sizes: Vec<usize> = match std::env::args().nth(1) {
        Some(n) => vec![n.parse().expect("a number of doubles")],
        None => vec![1_000, 10_000, 100_000],
    };
    let client = TestLibClient::start(loadlib::Client64::builder("testlib"))?;
    for n in sizes {
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut y = vec![0.0f64; n];
        let mut two = ScalarMultiplyFloor::start(n);
        let mut one = InProcessCopiedFloor::new(n);
        // Each shape's call, checked once: the same result from all three.
        let mut shapes: [(&str, Box<Call<'_>>); 3] = [
            (
                "bridge",
                Box::new(|y: &mut [f64]| client.scalar_multiply_into(2.0, &x, y)),
            ),
            (
                "two processes",
                Box::new(|y: &mut [f64]| {
                    two.call(&x, y);
                    Ok(())
                }),
            ),
            (
                "one process",
                Box::new(|y: &mut [f64]| {
                    one.call(&x, y);
                    Ok(())
                }),
            ),
        ];
        // Calls per round: as many as the slowest shape makes in ROUND_NS (timed once),
        // so that no round keeps another shape's peer idle for long.
        let mut calls = u32::MAX;
        for (name, call) in shapes.iter_mut() {
            y.fill(0.0);
            call(&mut y)?;
            assert!(
                y.iter().enumerate().all(|(i, r)| *r == 2.0 * i as f64),
                "{name}: a wrong result"
            );
            // Warm (pages faulted in, the peer spinning), then timed.
            for _ in 0..50 {
                call(&mut y)?;
            }
            let t = Instant::now();
            for _ in 0..50 {
                call(&mut y)?;
            }
            let ns = (t.elapsed().as_nanos() / 50).max(1);
            calls = calls.min((ROUND_NS / ns).clamp(1, 1_000_000) as u32);
        }
        let mut times: [Vec<f64>; 3] = Default::default();
        for _ in 0..ROUNDS {
            for ((_, call), t) in shapes.iter_mut().zip(&mut times) {
                // One call first, untimed: it wakes whichever side slept while the
                // other shapes ran (the bridge's server parks, the floor's peer dozes).
                call(&mut y)?;
                let start = Instant::now();
                for _ in 0..calls {
                    call(&mut y)?;
                }
                t.push(start.elapsed().as_nanos() as f64 / calls as f64);
            }
        }
        println!("{n} doubles, {ROUNDS} rounds of {calls} calls each:");
        let mut medians = [0.0; 3];
        for (((name, _), t), m) in shapes.iter().zip(&mut times).zip(&mut medians) {
            t.sort_by(f64::total_cmp);
            let at = |q: usize| t[(t.len() - 1) * q / 100] / 1e3;
            *m = at(50);
            println!(
                "{name:>14}: p10 {:8.2} µs  median {:8.2} µs  p90 {:8.2} µs",
                at(10),
                at(50),
                at(90)
            );
        }
        println!(
            "  bridge / two processes {:.2}×, bridge / one process {:.2}×, two processes / one process {:.2}×",
            medians[0] / medians[1],
            medians[0] / medians[2],
            medians[1] / medians[2]
        );
    }
    Ok(())
}
