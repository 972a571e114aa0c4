//! Start-up failures, timeouts, crashes and shutdown: each gives the documented error
//! within its timeout and leaves no process and no shared-memory entry behind.

mod common;

use std::time::{Duration, Instant};

use loadlib::{Client64, Error, ServerExe};

#[test]
fn the_bundled_server_is_a_32_bit_elf() {
    let exe = env!("LOADLIB_BUNDLED_SERVER32");
    let bytes = std::fs::read(exe).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(bytes[4], 1, "EI_CLASS must be ELFCLASS32");
    assert_eq!(
        u16::from_le_bytes([bytes[18], bytes[19]]),
        3,
        "e_machine must be EM_386"
    );
    let exe64 = env!("LOADLIB_BUNDLED_SERVER64");
    assert_eq!(
        std::fs::read(exe64).unwrap()[4],
        2,
        "the twin is ELFCLASS64"
    );
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
        Error::StartupFailed { stderr, status } => {
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
    // The 64-bit twin's test library, next to the 64-bit server build.
    let lib64 = glob_lib("x86_64-unknown-linux-gnu");
    let err = Client64::builder("testlib")
        .kwarg("lib", lib64.display())
        .start()
        .err()
        .expect("must fail");
    match err {
        Error::StartupFailed { stderr, .. } => {
            assert!(stderr.contains("wrong ELF class"), "{stderr}")
        }
        other => panic!("{other}"),
    }
}

fn glob_lib(triple: &str) -> std::path::PathBuf {
    let exe = std::path::PathBuf::from(env!("LOADLIB_BUNDLED_SERVER64"));
    let build = exe.parent().unwrap().join("build");
    for e in std::fs::read_dir(&build).unwrap().flatten() {
        let p = e.path().join("out/libloadlib_test.so");
        if e.file_name().to_string_lossy().starts_with("server32-") && p.exists() {
            assert!(p.to_string_lossy().contains(triple));
            return p;
        }
    }
    panic!("no 64-bit test library under {}", build.display());
}

#[test]
fn a_server_that_never_becomes_ready_times_out_and_is_killed() {
    // A stand-in executable that prints and then never sets the ready flag.
    let dir = std::env::temp_dir().join(format!("loadlib-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("silent-server");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'warming up forever' >&2\nexec sleep 60\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let t0 = Instant::now();
    let err = Client64::builder("echo")
        .server(ServerExe::Path(script))
        .startup_timeout(Duration::from_millis(700))
        .start()
        .err()
        .expect("must time out");
    assert!(t0.elapsed() >= Duration::from_millis(700));
    assert!(t0.elapsed() < Duration::from_secs(10));
    match err {
        Error::ConnectTimeout { stderr, timeout } => {
            assert_eq!(timeout, Duration::from_millis(700));
            assert!(stderr.contains("warming up forever"), "{stderr}");
        }
        other => panic!("{other}"),
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_request_past_its_timeout_gives_a_response_timeout_and_the_late_reply_is_dropped() {
    for cfg in common::configs() {
        let client = cfg
            .builder("testlib")
            .request_timeout(Duration::from_millis(300))
            .start()
            .unwrap();
        let t0 = Instant::now();
        let err = client.call("sleep_ms", (1500i32,)).unwrap_err();
        assert!(
            matches!(err, Error::ResponseTimeout { .. }),
            "[{}] {err}",
            cfg.label
        );
        assert!(t0.elapsed() < Duration::from_secs(5), "[{}]", cfg.label);
        // Once the sleep is over, the next call skips the stale reply and gets its own.
        std::thread::sleep(Duration::from_millis(1400));
        assert_eq!(
            client.request32::<i32>("add", (2i32, 3i32)).unwrap(),
            5,
            "[{}]",
            cfg.label
        );
    }
}

#[test]
fn a_segfault_mid_call_is_a_crash_error_naming_the_signal() {
    for cfg in common::configs() {
        let client = cfg.start("testlib");
        let name = client.segment_name().to_owned();
        let err = client.call("segfault", ()).unwrap_err();
        match &err {
            Error::ServerCrashed { signal, how, .. } => {
                assert_eq!(*signal, Some(11), "[{}] {how}", cfg.label);
                assert!(how.contains("SIGSEGV"), "[{}] {how}", cfg.label);
            }
            other => panic!("[{}] {other}", cfg.label),
        }
        assert!(matches!(
            client.call("add", (1i32, 1i32)),
            Err(Error::Closed)
        ));
        drop(client);
        assert!(common::shm_entries(&name).is_empty(), "[{}]", cfg.label);
        // A new client starts and works straight away.
        let fresh = cfg.start("testlib");
        assert_eq!(fresh.request32::<i32>("add", (1i32, 2i32)).unwrap(), 3);
    }
}

#[test]
fn abort_and_exit_in_the_library_are_crash_errors() {
    let cfg = common::configs().remove(0);
    let client = cfg.start("testlib");
    match client.call("abort", ()).unwrap_err() {
        Error::ServerCrashed { signal, .. } => assert_eq!(signal, Some(6)),
        other => panic!("{other}"),
    }
    let client = cfg.start("testlib");
    match client.call("exit", (7i32,)).unwrap_err() {
        Error::ServerCrashed { code, signal, .. } => {
            assert_eq!(code, Some(7));
            assert_eq!(signal, None);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn shutdown_returns_output_and_leaves_nothing_behind() {
    for cfg in common::configs() {
        let client = cfg.start("echo");
        let pid = client.server_pid();
        let name = client.segment_name().to_owned();
        assert!(common::process_running(pid));
        assert!(!common::shm_entries(&name).is_empty());
        let _: String = client.request32("echo", ("x",)).unwrap();
        let out = client.shutdown_server32().unwrap();
        assert_eq!(out.status, "exit status: 0", "[{}] {out:?}", cfg.label);
        assert!(!common::process_running(pid), "[{}]", cfg.label);
        assert!(common::shm_entries(&name).is_empty(), "[{}]", cfg.label);
    }
}

#[test]
fn drop_stops_the_server_and_removes_its_segments() {
    for cfg in common::configs() {
        let client = cfg.start("echo");
        let (pid, name) = (client.server_pid(), client.segment_name().to_owned());
        let big: Vec<f64> = vec![1.0; 4 << 20]; // forces bulk segments on both sides
        let _: loadlib::Array = client.request32("echo", (&big,)).unwrap();
        drop(client);
        assert!(!common::process_running(pid), "[{}]", cfg.label);
        assert!(common::shm_entries(&name).is_empty(), "[{}]", cfg.label);
    }
}

#[test]
fn several_clients_run_at_once_in_one_process() {
    let clients: Vec<Client64> = (0..4).map(|_| Client64::new("testlib").unwrap()).collect();
    let pids: std::collections::HashSet<u32> = clients.iter().map(|c| c.server_pid()).collect();
    assert_eq!(pids.len(), 4);
    std::thread::scope(|s| {
        for (i, c) in clients.iter().enumerate() {
            s.spawn(move || {
                for j in 0..200 {
                    assert_eq!(
                        c.request32::<i32>("add", (i as i32, j)).unwrap(),
                        i as i32 + j
                    );
                }
            });
        }
    });
}
