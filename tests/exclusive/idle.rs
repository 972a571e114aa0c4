//! An idle bridge sleeps: once the spin window has passed, neither process uses CPU,
//! and the first call after the idle period still answers. (The test runs alone, so no
//! other test's threads use this process's CPU.)

use std::time::{Duration, Instant};

use loadlib::Client64;
use server32::wrappers::testlib::TestLibClient;

use crate::{alone, common};

#[test]
fn an_idle_bridge_sleeps_and_wakes_for_the_next_call() {
    let _alone = alone();
    let client = TestLibClient::start(Client64::builder("testlib")).unwrap();
    for i in 0..1000 {
        assert_eq!(client.add(i, 1).unwrap(), i + 1);
    }
    let server = Some(client.client64().unwrap().server_pid());
    std::thread::sleep(Duration::from_millis(200)); // past every spin window
    let (s0, c0) = (common::cpu_time(server), common::cpu_time(None));
    let idle = Duration::from_secs(3);
    std::thread::sleep(idle);
    let (s1, c1) = (common::cpu_time(server), common::cpu_time(None));
    // Spinning through 3 s would use 3 s of CPU. Allow 3 % of a core.
    let allowed = idle * 3 / 100;
    assert!(s1 - s0 <= allowed, "server used {:?} while idle", s1 - s0);
    assert!(c1 - c0 <= allowed, "client used {:?} while idle", c1 - c0);

    let t0 = Instant::now();
    assert_eq!(client.add(41, 1).unwrap(), 42);
    // A few futex wake-ups take well under a millisecond each; this bound is a watchdog.
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
}
