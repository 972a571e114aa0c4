//! The server's end when its client is gone: a watchdog thread that exits the process
//! (even while a library call blocks the main thread), the clean-up of the client's
//! segments and files, and the messages the server writes on stderr on the way out.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::exit_code;
use crate::sys;
use crate::transport::shm;

/// Writes a line to stderr, ignoring errors: the client that reads it may be gone, and a
/// closed pipe must not turn a clean exit into a panic.
pub(super) fn say(msg: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// This server's name in its messages: its executable's file name, without `.exe`.
pub(super) fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "loadlib server".to_owned())
}

/// Says `<program>: msg` and returns exit code `code`.
pub(super) fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    say(format_args!("{}: {msg}", program_name()));
    ExitCode::from(code)
}

/// Removes the client's segments and file directory once the client is gone.
fn clean_up_after_client(base: &str, file_dir: Option<&Path>) {
    shm::unlink_all(base);
    if let Some(d) = file_dir {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Cleans up after the client the serve loop found gone, and exits with
/// [`exit_code::CLIENT_GONE`].
pub(super) fn client_gone(base: &str, file_dir: Option<&Path>) -> ExitCode {
    clean_up_after_client(base, file_dir);
    fail(exit_code::CLIENT_GONE, "the client is gone; exiting")
}

/// Exits the server, removing the client's segments, once the client is gone, even
/// while a library call is blocking the main thread.
pub(super) fn spawn_watchdog(client: Arc<sys::Parent>, base: String, file_dir: Option<PathBuf>) {
    std::thread::Builder::new()
        .name("loadlib-watchdog".into())
        .spawn(move || loop {
            if client.wait_for_exit(Duration::from_secs(1)) {
                clean_up_after_client(&base, file_dir.as_deref());
                say(format_args!(
                    "{}: the client is gone; exiting",
                    program_name()
                ));
                sys::exit_immediately(exit_code::CLIENT_GONE.into());
            }
        })
        .expect("spawn the watchdog thread");
}
