//! Start-up failures, timeouts, crashes and shutdown: each gives the documented error
//! within its timeout and leaves no process and no shared-memory entry behind.

use std::time::{Duration, Instant};

use loadlib::{Array, Client64, Error, FromValue, ServerExe};
use server32::wrappers::echo::EchoClient;
use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, Config};

common::per_config! {
    a_request_past_its_timeout_gives_a_response_timeout_and_the_late_reply_is_dropped: servers;
    a_segfault_mid_call_is_a_crash_error_naming_the_signal_or_ntstatus: servers;
    shutdown_returns_output_and_leaves_nothing_behind: servers;
    drop_stops_the_server_and_removes_its_segments: servers;
    a_timed_out_call_with_a_shared_array_ends_the_server_before_the_array_is_free: servers;
    a_helper_process_holding_the_servers_output_does_not_hold_up_the_client: servers;
}

#[test]
fn the_bundled_server_is_a_32_bit_executable_and_its_twin_64_bit() {
    let (exe32, exe64) = (ServerExe::Bundled32.path(), ServerExe::Bundled64.path());
    assert_eq!(common::exe_bits(&exe32.unwrap()), 32);
    assert_eq!(common::exe_bits(&exe64.unwrap()), 64);
}

#[test]
fn an_unknown_module_fails_start_up_with_the_servers_stderr() {
    let t0 = Instant::now();
    let err = Client64::builder("no_such_wrapper")
        .startup_timeout(Duration::from_secs(20))
        .start()
        .err()
        .expect("must fail");
    assert!(t0.elapsed() < Duration::from_secs(20));
    match err {
        Error::StartupFailed { stderr, status, .. } => {
            assert!(
                stderr.contains("unknown module32 `no_such_wrapper`"),
                "{stderr}"
            );
            assert!(
                stderr.contains("echo") && stderr.contains("testlib"),
                "{stderr}"
            );
            assert!(status.contains('2'), "{status}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_missing_library_fails_start_up_naming_it() {
    let err = Client64::builder("testlib")
        .kwarg("lib", "/nonexistent/libmissing.so")
        .start()
        .err()
        .expect("must fail");
    match err {
        Error::StartupFailed { stderr, .. } => {
            assert!(stderr.contains("/nonexistent/libmissing.so"), "{stderr}");
            assert!(stderr.contains("LibraryError"), "{stderr}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_64_bit_library_cannot_be_loaded_by_the_32_bit_server() {
    // The test library server32 was built with for these (64-bit) tests.
    let lib64 = std::path::Path::new(server32::paths::TEST_LIB);
    assert!(lib64.is_file(), "{}", lib64.display());
    let err = Client64::builder("testlib")
        .kwarg("lib", lib64.display())
        .start()
        .err()
        .expect("must fail");
    match err {
        Error::StartupFailed { stderr, .. } => {
            assert!(stderr.contains(common::WRONG_WIDTH), "{stderr}")
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_server_that_never_becomes_ready_times_out_and_is_killed() {
    // A library whose initialisation never ends: the server prints, then never
    // becomes ready.
    let t0 = Instant::now();
    let err = Client64::builder("testlib")
        .kwarg("stall_ms", 60_000)
        .startup_timeout(Duration::from_millis(700))
        .start()
        .err()
        .expect("must time out");
    assert!(t0.elapsed() >= Duration::from_millis(700));
    assert!(t0.elapsed() < Duration::from_secs(10));
    match err {
        Error::ConnectTimeout {
            stderr, timeout, ..
        } => {
            assert_eq!(timeout, Duration::from_millis(700));
            assert!(stderr.contains("warming up forever"), "{stderr}");
        }
        other => panic!("{other}"),
    }
}

fn a_request_past_its_timeout_gives_a_response_timeout_and_the_late_reply_is_dropped(cfg: &Config) {
    let client = TestLibClient::start(
        cfg.builder("testlib")
            .request_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let t0 = Instant::now();
    let err = client.sleep_ms(1500).unwrap_err();
    assert!(
        matches!(err, Error::ResponseTimeout { .. }),
        "[{}] {err}",
        cfg.label
    );
    assert!(t0.elapsed() < Duration::from_secs(5), "[{}]", cfg.label);
    // Once the sleep is over, the next call skips the stale reply and gets its own.
    std::thread::sleep(Duration::from_millis(1400));
    assert_eq!(client.add(2, 3).unwrap(), 5, "[{}]", cfg.label);
}

fn a_segfault_mid_call_is_a_crash_error_naming_the_signal_or_ntstatus(cfg: &Config) {
    let client = TestLibClient::new(cfg.start("testlib")).unwrap();
    let name = client.client64().unwrap().segment_name().to_owned();
    let err = client.segfault().unwrap_err();
    common::assert_access_violation(&err, cfg.label);
    assert!(matches!(client.add(1, 1), Err(Error::Closed)));
    drop(client);
    assert!(common::shm_entries(&name).is_empty(), "[{}]", cfg.label);
    // A new client starts and works straight away.
    let fresh = TestLibClient::new(cfg.start("testlib")).unwrap();
    assert_eq!(fresh.add(1, 2).unwrap(), 3);
}

#[test]
fn abort_and_exit_in_the_library_are_crash_errors() {
    let cfg = Config::shm_server32();
    let client = TestLibClient::new(cfg.start("testlib")).unwrap();
    common::assert_aborted(&client.abort().unwrap_err());
    let client = TestLibClient::new(cfg.start("testlib")).unwrap();
    match client.exit(7).unwrap_err() {
        Error::ServerCrashed { code, signal, .. } => {
            assert_eq!(code, Some(7));
            assert_eq!(signal, None);
        }
        other => panic!("{other}"),
    }
}

fn shutdown_returns_output_and_leaves_nothing_behind(cfg: &Config) {
    let client = EchoClient::new(cfg.start("echo")).unwrap();
    let server = client.client64().unwrap();
    let pid = server.server_pid();
    let name = server.segment_name().to_owned();
    assert!(common::process_running(pid));
    assert!(!common::shm_entries(&name).is_empty());
    let _ = String::from_value(client.echo(vec!["x".into()]).unwrap()).unwrap();
    let out = client
        .into_connection()
        .into_client64()
        .unwrap()
        .shutdown_server32()
        .unwrap();
    assert_eq!(
        out.status,
        common::SUCCESS_STATUS,
        "[{}] {out:?}",
        cfg.label
    );
    assert!(!common::process_running(pid), "[{}]", cfg.label);
    assert!(common::shm_entries(&name).is_empty(), "[{}]", cfg.label);
}

fn drop_stops_the_server_and_removes_its_segments(cfg: &Config) {
    let client = EchoClient::new(cfg.start("echo")).unwrap();
    let server = client.client64().unwrap();
    let (pid, name) = (server.server_pid(), server.segment_name().to_owned());
    let big: Vec<f64> = vec![1.0; 4 << 20]; // forces bulk segments on both sides
    let _ = Array::from_value(client.echo(vec![(&big).into()]).unwrap()).unwrap();
    drop(client);
    assert!(!common::process_running(pid), "[{}]", cfg.label);
    assert!(common::shm_entries(&name).is_empty(), "[{}]", cfg.label);
}

#[test]
fn several_clients_run_at_once_in_one_process() {
    let clients: Vec<TestLibClient> = (0..4)
        .map(|_| TestLibClient::start(Client64::builder("testlib")).unwrap())
        .collect();
    let pids: std::collections::HashSet<u32> = clients
        .iter()
        .map(|c| c.client64().unwrap().server_pid())
        .collect();
    assert_eq!(pids.len(), 4);
    std::thread::scope(|s| {
        for (i, c) in clients.iter().enumerate() {
            s.spawn(move || {
                for j in 0..200 {
                    assert_eq!(c.add(i as i32, j).unwrap(), i as i32 + j);
                }
            });
        }
    });
}

fn a_timed_out_call_with_a_shared_array_ends_the_server_before_the_array_is_free(cfg: &Config) {
    let client = TestLibClient::start(
        cfg.builder("testlib")
            .request_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let pid = client.client64().unwrap().server_pid();
    let mut out = client.alloc_array::<f64>(&[64]).unwrap();
    let err = client.sleep_then_fill(1500, &mut out, 7.0).unwrap_err();
    assert!(
        matches!(err, Error::ResponseTimeout { .. }),
        "[{}] {err}",
        cfg.label
    );
    // The borrow has ended: the server that could still write the array is gone, and
    // the array stays as it was, also after the library's sleep would have ended.
    assert!(!common::process_running(pid), "[{}]", cfg.label);
    std::thread::sleep(Duration::from_millis(1800));
    assert!(
        out.iter().all(|&v| v == 0.0),
        "[{}] written late",
        cfg.label
    );
    assert!(
        matches!(client.add(1, 2), Err(Error::Closed)),
        "[{}]",
        cfg.label
    );
}

/// How long the helper of the next test holds the server's output: far longer than the
/// client may take to report the server's end.
const HELPER_HOLDS: Duration = Duration::from_secs(60);

/// The helper's part: this test binary re-run by the server's library
/// (`TestLib::start_helper`, with this test's name as the filter), holding the server's
/// stdout and stderr until killed.
#[test]
fn helper_holding_the_servers_output() {
    if std::env::var_os("LOADLIB_TEST_HELPER").is_none() {
        return; // Run as the helper only.
    }
    std::thread::sleep(HELPER_HOLDS);
}

fn a_helper_process_holding_the_servers_output_does_not_hold_up_the_client(cfg: &Config) {
    let me = std::env::current_exe().unwrap();
    let client = TestLibClient::new(cfg.start("testlib")).unwrap();
    let helper = client
        .start_helper(me.to_str().unwrap(), "helper_holding_the_servers_output")
        .unwrap();
    let t0 = Instant::now();
    match client.exit(7).unwrap_err() {
        Error::ServerCrashed { code, .. } => assert_eq!(code, Some(7), "[{}]", cfg.label),
        other => panic!("[{}] {other}", cfg.label),
    }
    let out = client
        .into_connection()
        .into_client64()
        .unwrap()
        .shutdown_server32()
        .unwrap();
    // A watchdog, not a deadline: the helper still holds the pipes for a minute.
    assert!(
        t0.elapsed() < HELPER_HOLDS / 2,
        "[{}] {:?}",
        cfg.label,
        t0.elapsed()
    );
    // `exit status: 7` (Linux) or `exit code: 7` (Windows).
    assert!(out.status.ends_with(": 7"), "[{}] {out:?}", cfg.label);
    assert!(common::process_running(helper), "[{}]", cfg.label);
    common::kill(helper);
}
