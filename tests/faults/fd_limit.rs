//! A client whose process may open only a few files gets a clear error at start-up, or
//! works: never a crash or a hang. The test re-runs itself as the client under
//! `prlimit --nofile=N` for several N.
#![cfg(target_os = "linux")] // Windows: see `file_descriptor_limit` in main.rs

use std::process::Command;
use std::time::Duration;

use loadlib::FromValue;
use server32::wrappers::echo::EchoClient;

use crate::common;

const CHILD_ENV: &str = "LOADLIB_FD_LIMIT_CHILD";

/// The child's part: start a client, make a call with a bulk array, report.
#[test]
#[ignore = "the child process of the tests below, which run it"]
fn fd_limit_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return; // Run as a child only.
    }
    let builder = loadlib::Client64::builder("echo").startup_timeout(Duration::from_secs(30));
    let result = EchoClient::start(builder).and_then(|c| {
        let data = vec![2.5f64; 1 << 20]; // 8 MiB: a bulk segment each way
        let back = loadlib::Array::from_value(c.echo(vec![(&data).into()])?)?;
        assert_eq!(back.as_slice::<f64>().unwrap(), &data[..]);
        Ok(())
    });
    match result {
        Ok(()) => println!("FD-LIMIT-RESULT ok"),
        Err(e) => println!("FD-LIMIT-RESULT error: {e}"),
    }
}

fn run_with_nofile(n: u32) -> String {
    let out = Command::new("prlimit")
        .arg(format!("--nofile={n}"))
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args(common::only_test(module_path!(), "fd_limit_child"))
        .env(CHILD_ENV, "1")
        .output()
        .expect("run prlimit (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "nofile={n}: the client process failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("FD-LIMIT-RESULT ").map(|(_, r)| r.to_owned()))
        .unwrap_or_else(|| panic!("nofile={n}: no result in\n{stdout}"))
}

#[test]
fn too_few_file_descriptors_is_a_clear_error_never_a_crash() {
    // Too few to spawn the server with its output pipes: a spawn error that says so.
    let low = run_with_nofile(5);
    assert!(low.contains("Too many open files"), "{low}");
    // Every limit in between gives one of the two outcomes, never a crash or a hang.
    for n in 6..=9 {
        let r = run_with_nofile(n);
        assert!(r == "ok" || r.starts_with("error: "), "nofile={n}: {r}");
    }
    // Enough: it works.
    assert_eq!(run_with_nofile(32), "ok");
}
