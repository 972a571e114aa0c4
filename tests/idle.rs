//! An idle bridge sleeps: once the spin window has passed, neither process uses CPU,
//! and the first call after the idle period still answers.
//! (Its own test binary, so no other test's threads share this process.)

use std::time::{Duration, Instant};

use loadlib::Client64;

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = stat.rsplit(')').next().unwrap();
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields after the command: state is f[0]; utime and stime are fields 14 and 15 of
    // the whole line, i.e. f[11] and f[12].
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn an_idle_bridge_sleeps_and_wakes_for_the_next_call() {
    let client = Client64::new("testlib").unwrap();
    for i in 0..1000 {
        assert_eq!(client.request32::<i32>("add", (i, 1)).unwrap(), i + 1);
    }
    let server = client.server_pid().to_string();
    std::thread::sleep(Duration::from_millis(200)); // past every spin window
    let (s0, c0) = (cpu_ticks(&server), cpu_ticks("self"));
    let idle = Duration::from_secs(3);
    std::thread::sleep(idle);
    let (s1, c1) = (cpu_ticks(&server), cpu_ticks("self"));
    // Clock ticks are 1/100 s: spinning through 3 s would show ~300. Allow 3 % of a core.
    assert!(s1 - s0 <= 9, "server used {} ticks while idle", s1 - s0);
    assert!(c1 - c0 <= 9, "client used {} ticks while idle", c1 - c0);

    let t0 = Instant::now();
    assert_eq!(client.request32::<i32>("add", (41, 1)).unwrap(), 42);
    // A few futex wake-ups take well under a millisecond each; this bound is a watchdog.
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
}
