//! The server dies or freezes under the client: killed (SIGKILL, `TerminateProcess`) while
//! idle and in the middle of a 100 MiB call, frozen (SIGSTOP, `NtSuspendProcess`) in the
//! middle of a call. The client always gets a typed error
//! within its timeout (never a hang, never another call's reply), and after drop no
//! process and no shared-memory entry is left; a new client works at once.

mod common;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Config;
use loadlib::{Array, Client64, Error};

/// A watchdog on waits in these tests, far above what they take; not a deadline.
const HANG: Duration = Duration::from_secs(60);

fn shm_and_file() -> Vec<Config> {
    common::configs()
        .into_iter()
        .filter(|c| c.width == 32)
        .collect()
}

/// Drops the client and checks that nothing of it is left.
fn assert_cleaned_up(client: Client64, label: &str) {
    let (pid, name) = (client.server_pid(), client.segment_name().to_owned());
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
    let c = cfg.start("echo");
    let back: String = c.request32("echo", ("fresh",)).unwrap();
    assert_eq!(back, "fresh", "[{}]", cfg.label);
}

#[test]
fn sigkill_while_idle_is_a_crash_error_carrying_the_servers_stderr() {
    for cfg in shm_and_file() {
        let client = cfg
            .builder("echo")
            .request_timeout(Duration::from_secs(20))
            // A backtrace (longer on Windows) would push the message out of the tail.
            .env("RUST_BACKTRACE", "0")
            .start()
            .unwrap();
        // The wrapper's panic is caught, but its message is on the server's stderr.
        let e = client.call("panic", ("last words before the kill",));
        assert!(matches!(e, Err(Error::Server32 { .. })), "[{}]", cfg.label);
        common::kill(client.server_pid());
        let t0 = Instant::now();
        let err = client.call("echo", (1i32,)).unwrap_err();
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
        assert!(matches!(client.call("echo", (2i32,)), Err(Error::Closed)));
        assert_cleaned_up(client, cfg.label);
        assert_fresh_client_works(&cfg);
    }
}

/// Where the client's request shows up once it has started sending it.
fn request_started(client: &Client64, cfg: &Config) -> impl Fn() -> bool {
    let name = client.segment_name().to_owned();
    let dir: PathBuf = std::env::temp_dir().join(name.trim_start_matches('/'));
    let shm = cfg.transport == loadlib::Transport::SharedMemory;
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

#[test]
fn sigkill_during_a_100_mib_call_is_a_crash_error_and_no_hang() {
    let n = (100 << 20) / 8;
    let data: Vec<f64> = (0..n).map(|i| i as f64).collect();
    for cfg in shm_and_file() {
        let client = cfg
            .builder("echo")
            .request_timeout(Duration::from_secs(30))
            .start()
            .unwrap();
        let pid = client.server_pid();
        let started = request_started(&client, &cfg);
        let (tx, rx) = mpsc::channel();
        let t0 = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                let r = client.request32::<Array>("echo", (&data,));
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
        assert_cleaned_up(client, cfg.label);
        assert_fresh_client_works(&cfg);
    }
}

#[test]
fn sigkill_while_the_server_writes_a_100_mib_reply_is_an_error_or_the_right_reply() {
    // Killed once its reply segment exists: the reply may or may not have been published.
    let n = (100 << 20) / 8;
    let data: Vec<f64> = (0..n).map(|i| (i as f64) * 0.25).collect();
    let cfg = shm_and_file().remove(0);
    let client = cfg.start("echo");
    let pid = client.server_pid();
    let reply_segment = format!("{}-p", client.segment_name());
    std::thread::scope(|s| {
        let call = s.spawn(|| client.request32::<Array>("echo", (&data,)));
        assert!(common::eventually(HANG, || {
            common::shm_entries(&reply_segment).len() == 1 || call.is_finished()
        }));
        common::kill(pid);
        match call.join().unwrap() {
            Ok(back) => assert!(back.as_slice::<f64>() == Some(&data[..]), "a wrong reply"),
            Err(e) => common::assert_killed(&e, cfg.label),
        }
    });
    assert_cleaned_up(client, cfg.label);
}

#[test]
fn sigstop_mid_call_times_out_and_after_sigcont_each_call_gets_its_own_reply() {
    for cfg in shm_and_file() {
        let timeout = Duration::from_millis(800);
        let client = cfg
            .builder("testlib")
            .request_timeout(timeout)
            .start()
            .unwrap();
        let pid = client.server_pid();
        assert_eq!(client.request32::<i32>("add", (1i32, 2i32)).unwrap(), 3);

        // Stopped while the library sleeps inside a call.
        let t0 = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                common::suspend(pid);
            });
            let err = client.call("sleep_ms", (300i32,)).unwrap_err();
            assert!(
                matches!(err, Error::ResponseTimeout { ref method, .. } if method == "sleep_ms"),
                "[{}] {err}",
                cfg.label
            );
        });
        assert!(t0.elapsed() >= timeout, "[{}]", cfg.label);
        assert!(t0.elapsed() < HANG, "[{}]", cfg.label);

        // Stopped while idle: the request waits in the ring, unanswered.
        let err = client.call("add", (1000i32, 1i32)).unwrap_err();
        assert!(
            matches!(err, Error::ResponseTimeout { .. }),
            "[{}] {err}",
            cfg.label
        );

        // Resumed: the two late replies (None, then 1001) are never taken for later calls,
        // on either transport (one file per message, so nothing is overwritten).
        common::resume(pid);
        for i in 0..20i32 {
            let got = client.request32::<i32>("add", (20i32, i));
            assert_eq!(
                got.unwrap(),
                20 + i,
                "[{}] call {i} got another reply",
                cfg.label
            );
        }
        assert!(common::process_running(pid), "[{}]", cfg.label);
        assert_cleaned_up(client, cfg.label);
    }
}
