//! The benchmarks' floors for copied arrays (`server32::testkit::floor`, which
//! `benches/limits` and `examples/array_floors` time beside the bridge) compute what the
//! bridge's call computes: a floor that skipped the work would flatter nothing but itself.

use server32::testkit::floor::{InProcessCopiedFloor, PingPong32, ScalarMultiplyFloor};
use server32::wrappers::testlib::TestLibClient;

#[test]
fn the_array_floors_return_the_bridges_result() {
    let client = TestLibClient::start(loadlib::Client64::builder("testlib")).expect("testlib");
    for n in [1, 1000, 10_000] {
        let (mut two, mut one) = (ScalarMultiplyFloor::start(n), InProcessCopiedFloor::new(n));
        // Other input each round: a floor that did the work once would give back the
        // first round's result from its segment.
        for round in 0..3 {
            let x: Vec<f64> = (0..n).map(|i| i as f64 - 0.5 + round as f64).collect();
            let mut bridge = vec![0.0; n];
            client
                .scalar_multiply_into(2.0, &x, &mut bridge)
                .expect("the bridge's call");
            assert!(bridge.iter().zip(&x).all(|(b, x)| *b == 2.0 * x), "{n}");
            let (mut y2, mut y1) = (vec![f64::NAN; n], vec![f64::NAN; n]);
            two.call(&x, &mut y2);
            one.call(&x, &mut y1);
            assert_eq!(y2, bridge, "two processes, {n} doubles, round {round}");
            assert_eq!(y1, bridge, "one process, {n} doubles, round {round}");
        }
    }
}

#[test]
fn the_bare_ping_pong_answers_every_round_trip() {
    let mut peer = PingPong32::start(4096, &[]);
    assert_eq!(peer.answered(), 0, "an answer before any ping");
    // Each round trip waits for its own value back; a peer that ended, or gave no answer
    // for 30 seconds, is reported as a panic.
    for i in 1..=10_000 {
        peer.round_trip();
        assert_eq!(peer.answered(), i, "the peer gives back each ping's value");
    }
}

#[test]
#[should_panic(expected = "doubles")]
fn a_floor_refuses_arrays_of_another_length() {
    let mut two = ScalarMultiplyFloor::start(8);
    two.call(&[1.0; 4], &mut [0.0; 4]);
}
