//! Many bridges on few cores, briefly: 8 clients, each with its own 32-bit server and its
//! own thread, call `add` in a loop. Every reply must be correct, and no call may take
//! longer than a second (generous: a call takes microseconds), with no other test
//! running. A watchdog fails the test instead of letting it hang.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loadlib::Client64;
use server32::wrappers::testlib::TestLibClient;

use crate::alone;

const CLIENTS: usize = 8;
const CALLS: i32 = 3000;

#[test]
fn eight_clients_on_their_own_threads_all_get_correct_replies_without_stalling() {
    let _alone = alone();
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(Ordering::Relaxed) {
                if start.elapsed() > Duration::from_secs(120) {
                    // A hung client would block the joins below forever: end the test.
                    eprintln!("the clients did not finish in 120 s");
                    std::process::exit(101);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            TestLibClient::start(Client64::builder("testlib").ring_size(1 << 16))
                .expect("start a 32-bit server")
        })
        .collect();
    let threads: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(k, c)| {
            std::thread::spawn(move || {
                let mut slowest = Duration::ZERO;
                for i in 0..CALLS {
                    let t = Instant::now();
                    let r = c.add(i, 1000 * k as i32).expect("add");
                    slowest = slowest.max(t.elapsed());
                    assert_eq!(r, i + 1000 * k as i32, "client {k}, call {i}");
                }
                slowest
            })
        })
        .collect();
    for (k, t) in threads.into_iter().enumerate() {
        let slowest = t.join().expect("a client thread failed");
        assert!(
            slowest < Duration::from_secs(1),
            "client {k} stalled for {slowest:?} on one call"
        );
    }
    done.store(true, Ordering::Relaxed);
    watchdog.join().expect("watchdog");
}
