//! The server dies or freezes under the client: killed (SIGKILL, `TerminateProcess`) while
//! idle and in the middle of a 100 MiB call, frozen (SIGSTOP, `NtSuspendProcess`) in the
//! middle of a call. The client always gets a typed error
//! within its timeout (never a hang, never another call's reply), and after drop no
//! process and no shared-memory entry is left; a new client works at once.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use loadlib::Connection;
use loadlib::{Array, Client64, Error};
use server32::wrappers::echo::EchoClient;
use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, echo, Config};

common::per_config! {
    sigkill_while_idle_is_a_crash_error_carrying_the_servers_stderr: widths32;
    sigkill_during_a_100_mib_call_is_a_crash_error_and_no_hang: widths32;
    sigstop_mid_call_times_out_and_after_sigcont_each_call_gets_its_own_reply: widths32;
    a_late_reply_in_the_ring_does_not_hold_up_a_small_call_with_a_bulk_answer: shm;
}

/// A watchdog on waits in these tests, far above what they take; not a deadline.
const HANG: Duration = Duration::from_secs(60);

/// Drops the client (a typed client's connection) and checks that nothing of it is left.
fn assert_cleaned_up(client: Connection, label: &str) {
    let server = client.client64().expect("a server");
    let (pid, name) = (server.server_pid(), server.segment_name().to_owned());
    drop(client);
    assert!(
        !common::process_running(pid),
        "[{label}] server still running"
    );
    assert!(
        common::shm_entries(&name).is_empty(),
        "[{label}] left behind: {:?}",
        common::shm_entries(&name)
    );
    let dir = std::env::temp_dir().join(name.trim_start_matches('/'));
    assert!(!dir.exists(), "[{label}] {} left behind", dir.display());
}

fn assert_fresh_client_works(cfg: &Config) {
    let c = EchoClient::new(cfg.start("echo")).unwrap();
    let back: String = echo(&c, "fresh").unwrap();
    assert_eq!(back, "fresh", "[{}]", cfg.label);
}

fn sigkill_while_idle_is_a_crash_error_carrying_the_servers_stderr(cfg: &Config) {
    let client = EchoClient::start(
        cfg.builder("echo")
            .request_timeout(Duration::from_secs(20))
            // A backtrace (longer on Windows) would push the message out of the tail.
            .env("RUST_BACKTRACE", "0"),
    )
    .unwrap();
    // The wrapper's panic is caught, but its message is on the server's stderr.
    let e = client.panic("last words before the kill");
    assert!(matches!(e, Err(Error::Server32 { .. })), "[{}]", cfg.label);
    common::kill(client.client64().unwrap().server_pid());
    let t0 = Instant::now();
    let err = echo::<i32>(&client, 1i32).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(20), "[{}]", cfg.label);
    common::assert_killed(&err, cfg.label);
    let Error::ServerCrashed { stderr, .. } = &err else {
        unreachable!()
    };
    assert!(
        stderr.contains("last words before the kill"),
        "[{}] stderr: {stderr}",
        cfg.label
    );
    // The connection is closed for good: no call reaches a dead server.
    assert!(matches!(echo::<i32>(&client, 2i32), Err(Error::Closed)));
    assert_cleaned_up(client.into_connection(), cfg.label);
    assert_fresh_client_works(cfg);
}

/// Where the client's request shows up once it has started sending it.
fn request_started(client: &Client64, cfg: &Config) -> impl Fn() -> bool {
    let name = client.segment_name().to_owned();
    let dir: PathBuf = std::env::temp_dir().join(name.trim_start_matches('/'));
    let shm = cfg.is_shm();
    move || {
        if shm {
            // The client's bulk segment: it is copying the array into it.
            common::shm_entries(&format!("{name}-q")).len() == 1
        } else {
            // The request file (`request-<seq>.bin`, written as `.tmp` first).
            std::fs::read_dir(&dir).is_ok_and(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("request-"))
            })
        }
    }
}

fn sigkill_during_a_100_mib_call_is_a_crash_error_and_no_hang(cfg: &Config) {
    let n = (100 << 20) / 8;
    let data: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let client =
        EchoClient::start(cfg.builder("echo").request_timeout(Duration::from_secs(30))).unwrap();
    let pid = client.client64().unwrap().server_pid();
    let started = request_started(client.client64().unwrap(), cfg);
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            let r = echo::<Array>(&client, &data);
            tx.send((r, t0.elapsed())).unwrap();
        });
        s.spawn(|| {
            assert!(common::eventually(HANG, &started), "[{}]", cfg.label);
            common::kill(pid);
        });
        let (result, took) = rx
            .recv_timeout(HANG)
            .unwrap_or_else(|_| panic!("[{}] the call hung", cfg.label));
        assert!(took < Duration::from_secs(30), "[{}] {took:?}", cfg.label);
        common::assert_killed(&result.unwrap_err(), cfg.label);
    });
    assert_cleaned_up(client.into_connection(), cfg.label);
    assert_fresh_client_works(cfg);
}

#[test]
fn sigkill_while_the_server_writes_a_100_mib_reply_is_an_error_or_the_right_reply() {
    // Killed once its reply segment exists: the reply may or may not have been published.
    let n = (100 << 20) / 8;
    let data: Vec<f64> = (0..n).map(|i| (i as f64) * 0.25).collect();
    let cfg = Config::shm_server32();
    let client = EchoClient::new(cfg.start("echo")).unwrap();
    let server = client.client64().unwrap();
    let pid = server.server_pid();
    let reply_segment = format!("{}-p", server.segment_name());
    std::thread::scope(|s| {
        let call = s.spawn(|| echo::<Array>(&client, &data));
        assert!(common::eventually(HANG, || {
            common::shm_entries(&reply_segment).len() == 1 || call.is_finished()
        }));
        common::kill(pid);
        match call.join().unwrap() {
            Ok(back) => assert!(back.as_slice::<f64>() == Some(&data[..]), "a wrong reply"),
            Err(e) => common::assert_killed(&e, cfg.label),
        }
    });
    assert_cleaned_up(client.into_connection(), cfg.label);
}

fn sigstop_mid_call_times_out_and_after_sigcont_each_call_gets_its_own_reply(cfg: &Config) {
    let timeout = Duration::from_millis(800);
    // Cores not shared, so that small calls take their own path (on the request line
    // over shared memory) whenever it is free.
    let builder = cfg.builder("testlib").request_timeout(timeout);
    let client = TestLibClient::start(builder.share_cores(false)).unwrap();
    let pid = client.client64().unwrap().server_pid();
    assert_eq!(client.add(1, 2).unwrap(), 3);

    // Stopped while the library sleeps inside a call.
    let t0 = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            common::suspend(pid);
        });
        let err = client.sleep_ms(300).unwrap_err();
        assert!(
            matches!(err, Error::ResponseTimeout { ref method, .. } if method == "sleep_ms"),
            "[{}] {err}",
            cfg.label
        );
    });
    assert!(t0.elapsed() >= timeout, "[{}]", cfg.label);
    assert!(t0.elapsed() < HANG, "[{}]", cfg.label);

    // Stopped while idle: the request waits in the ring, unanswered (over shared memory,
    // in the ring, not on the request line, where `sleep_ms` is still unanswered).
    let err = client.add(1000, 1).unwrap_err();
    assert!(
        matches!(err, Error::ResponseTimeout { .. }),
        "[{}] {err}",
        cfg.label
    );
    let c64 = client.client64().unwrap();
    assert!(!c64.last_call_on_line(), "[{}]", cfg.label);

    // Resumed: the two late replies (None, then 1001) are never taken for later calls,
    // on either transport (one file per message, so nothing is overwritten).
    common::resume(pid);
    for i in 0..20i32 {
        let got = client.add(20, i);
        assert_eq!(
            got.unwrap(),
            20 + i,
            "[{}] call {i} got another reply",
            cfg.label
        );
    }
    // Once the late replies are in, small calls go on the request line again.
    assert_eq!(client.add(2, 2).unwrap(), 4, "[{}]", cfg.label);
    assert_eq!(c64.last_call_on_line(), cfg.is_shm(), "[{}]", cfg.label);
    assert!(common::process_running(pid), "[{}]", cfg.label);
    assert_cleaned_up(client.into_connection(), cfg.label);
}

/// A call that timed out leaves its late reply unread in the ring. A small call made then
/// (no arguments, so it would fit the request line) whose answer is an array too long
/// for the ring goes through the bulk segment, which the server reuses only once the
/// client has read every earlier record: it goes by the ring, whose general path drops
/// the late reply first, not on the line, whose wait would not (a false time-out). Once
/// the ring is idle again, small calls take the line.
fn a_late_reply_in_the_ring_does_not_hold_up_a_small_call_with_a_bulk_answer(cfg: &Config) {
    let label = cfg.label;
    let builder = cfg
        .builder("testlib")
        .request_timeout(Duration::from_millis(1000))
        .share_cores(false);
    let client = TestLibClient::start(builder).unwrap();
    let c64 = client.client64().unwrap();
    // 400 KB: past the ring's inline limit, so it comes back through the bulk segment.
    let x: Vec<f64> = (0..50_000).map(|i| i as f64 * 0.5).collect();
    client.stash(&x).unwrap();
    assert!(client.unstash().unwrap() == x, "[{label}] unstash");
    assert!(
        c64.last_call_on_line(),
        "[{label}] unstash went by the ring"
    );
    client.stash(&x).unwrap();

    // By name, so by the ring: it times out, and its reply comes later, unread.
    let err = client
        .connection()
        .request::<()>("sleep_ms", (3000i32,))
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTimeout { .. }),
        "[{label}] {err}"
    );
    std::thread::sleep(Duration::from_millis(4000));
    assert!(client.unstash().unwrap() == x, "[{label}] unstash after");
    assert!(!c64.last_call_on_line(), "[{label}] unstash took the line");
    // The ring is idle again: within a few calls (its last request may be seen handed
    // back a little after its reply), the line.
    let on_line = (0..100i32).any(|i| {
        assert_eq!(client.add(i, 3).unwrap(), i + 3, "[{label}] add {i}");
        c64.last_call_on_line()
    });
    assert!(on_line, "[{label}] the line stayed unused");
}
