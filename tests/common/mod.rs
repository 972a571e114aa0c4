//! Helpers shared by the integration tests: the configurations a test runs in and the
//! macro that makes one test per configuration (`config.rs`), the original tool's test
//! values (`original.rs`), what several test files need (server errors, `echo`), and the
//! tests' own platform seam (`os_linux.rs`, `os_windows.rs`).
#![allow(dead_code, unused_macros, unused_imports)]

use std::time::Duration;

use loadlib::server::ErrorKind;
use loadlib::{Connection, Error, FromValue, ValueRef};
use server32::wrappers::echo::EchoClient;

mod config;
pub mod original;

pub use config::Config;
pub(crate) use config::{not_on_windows, per_config};

/// The name and message of a `Server32` error, or a panic naming what came instead.
#[track_caller]
pub fn server_error<T: std::fmt::Debug>(r: loadlib::Result<T>) -> (String, String) {
    let (_, name, message) = server_error_kind(r);
    (name, message)
}

/// The kind, name and message of a `Server32` error.
#[track_caller]
pub fn server_error_kind<T: std::fmt::Debug>(r: loadlib::Result<T>) -> (ErrorKind, String, String) {
    match r {
        Err(Error::Server32 {
            kind,
            name,
            message,
        }) => (kind, name, message),
        other => panic!("expected a Server32 error, got {other:?}"),
    }
}

/// Asserts `r` is a `Server32` error named `name` whose message contains `needle`.
#[track_caller]
pub fn assert_server_error<T: std::fmt::Debug>(r: loadlib::Result<T>, name: &str, needle: &str) {
    let (got, message) = server_error(r);
    assert_eq!(got, name, "{message}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

/// `value` sent to `echo` and back, as an `R`.
pub fn echo<'a, R: FromValue>(
    client: &EchoClient,
    value: impl Into<ValueRef<'a>>,
) -> loadlib::Result<R> {
    R::from_value(client.echo(vec![value.into()])?)
}

/// `mib` MiB of distinct `f64`s (0, 1, 2, …).
pub fn f64s(mib: usize) -> Vec<f64> {
    (0..(mib << 20) / 8).map(|i| i as f64).collect()
}

/// The pointer width of the server behind a typed client's connection.
pub fn width(conn: &Connection) -> u32 {
    conn.client64().expect("a server").server_pointer_width()
}

/// The arguments that re-run this test binary for the one test `name` of the module at
/// `module_path` (`module_path!()`), alone: the child half of a test whose other half is
/// a child process. Child halves are `#[ignore]`d, so that a run lists them as ignored,
/// not as passed.
pub fn only_test(module_path: &str, name: &str) -> Vec<String> {
    // Test names leave out the crate: `faults::client::child` is `client::child`.
    let path = module_path.split_once("::").map_or("", |(_, p)| p);
    let full = if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}::{name}")
    };
    [
        "--exact",
        &full,
        "--ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ]
    .map(str::to_owned)
    .into()
}

// The tests' own platform seam: everything that differs between Linux and Windows.
#[cfg(target_os = "linux")]
#[path = "os_linux.rs"]
mod os;
#[cfg(windows)]
#[path = "os_windows.rs"]
mod os;
pub use os::*;

/// Waits up to `limit` for `cond`, polling; a watchdog, not a deadline under test.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}
