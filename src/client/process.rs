//! The server process: spawn it, collect what it prints, tell how it ended, stop it.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::sys;

/// Most bytes of each stream kept (the end is kept).
const KEEP: usize = 1 << 20;

/// How long the output readers get, once the server has ended, to reach the end of its
/// pipes. A process the server started (a library's helper, a just-in-time debugger)
/// can hold the pipes open for ever; its output is then left to its reader.
const DRAIN: Duration = Duration::from_secs(2);

/// How long a killed server gets to be reaped before it is given up on.
const REAP: Duration = Duration::from_secs(10);

/// How many more times a start that failed in a passing way is tried
/// ([`sys::spawn_failure_is_transient`]), and the pause before each.
const SPAWN_RETRIES: u32 = 2;
const SPAWN_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// What the server printed, and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerOutput {
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// How it ended, e.g. `exit status: 0`.
    pub status: String,
}

/// A running server process with its output collected in the background.
pub(super) struct ServerProcess {
    /// The executable, as errors name it.
    path: String,
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

fn collect(mut from: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut v = into.lock().unwrap_or_else(|p| p.into_inner());
            v.extend_from_slice(&buf[..n]);
            if v.len() > 2 * KEEP {
                let cut = v.len() - KEEP;
                v.drain(..cut);
            }
        }
    })
}

impl ServerProcess {
    /// Spawns `cmd` with stdin closed and stdout/stderr collected.
    pub(super) fn spawn(mut cmd: Command, path: &str) -> Result<ServerProcess> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child =
            retry_transient(|| cmd.spawn(), sys::spawn_failure_is_transient).map_err(|source| {
                Error::Spawn {
                    path: path.to_owned(),
                    source,
                }
            })?;
        let (out, err) = (Arc::default(), Arc::default());
        let readers = vec![
            collect(child.stdout.take().expect("piped"), Arc::clone(&out)),
            collect(child.stderr.take().expect("piped"), Arc::clone(&err)),
        ];
        Ok(ServerProcess {
            path: path.to_owned(),
            child,
            stdout: out,
            stderr: err,
            readers,
            status: None,
        })
    }

    /// The server's process id.
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How it ended, if it has.
    pub(super) fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits up to `timeout` for it to end.
    pub(super) fn wait_for(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_status() {
                return Some(s);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Kills it (if still running) and reaps it, waiting at most `REAP` (a process
    /// held by a debugger or stuck in the kernel may take longer to go).
    pub(super) fn kill(&mut self) -> Option<ExitStatus> {
        if self.try_status().is_none() {
            let _ = self.child.kill();
            self.wait_for(REAP);
        }
        self.status
    }

    /// Joins the output readers that reach the end of their pipes within `DRAIN`
    /// (the process must have ended); the others are left running, detached.
    fn drain_readers(&mut self) {
        let end = Instant::now() + DRAIN;
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(2));
        }
        for r in self.readers.drain(..) {
            if r.is_finished() {
                let _ = r.join();
            }
        }
    }

    /// Joins the output readers (the process must have ended) and returns its output.
    pub(super) fn output(&mut self) -> ServerOutput {
        self.drain_readers();
        ServerOutput {
            stdout: self.text(&self.stdout),
            stderr: self.text(&self.stderr),
            status: self
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "running".into()),
        }
    }

    fn text(&self, v: &Arc<Mutex<Vec<u8>>>) -> String {
        String::from_utf8_lossy(&v.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// The last `lines` lines of stderr so far.
    pub(super) fn stderr_tail(&mut self, lines: usize) -> String {
        if self.status.is_some() {
            // Let the reader drain what the dead process left in the pipe.
            self.drain_readers();
        }
        let all = self.text(&self.stderr);
        let v: Vec<&str> = all.lines().collect();
        v[v.len().saturating_sub(lines)..].join("\n")
    }

    /// The error for a server that ended unexpectedly with `status`.
    pub(super) fn crash_error(&mut self, status: ExitStatus) -> Error {
        let exit = sys::describe_exit(&status);
        Error::ServerCrashed {
            server: self.path.clone(),
            signal: exit.signal,
            code: status.code(),
            how: exit.how,
            stderr: self.stderr_tail(40),
        }
    }
}

/// `start()`, tried again up to [`SPAWN_RETRIES`] times (after [`SPAWN_RETRY_PAUSE`])
/// while it fails in a way `transient` says may pass; any other failure, or the last, is
/// returned as it is.
fn retry_transient<T>(
    mut start: impl FnMut() -> std::io::Result<T>,
    transient: impl Fn(&std::io::Error) -> bool,
) -> std::io::Result<T> {
    let mut tries = 0;
    loop {
        match start() {
            Err(e) if tries < SPAWN_RETRIES && transient(&e) => {
                tries += 1;
                std::thread::sleep(SPAWN_RETRY_PAUSE);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error as IoError, ErrorKind};

    /// A start that fails with `fails` (in order), then succeeds: the result, and how
    /// many times it was tried.
    fn start_after(fails: &[ErrorKind]) -> (std::io::Result<&'static str>, usize) {
        let mut tried = 0;
        let result = retry_transient(
            || {
                tried += 1;
                match fails.get(tried - 1) {
                    Some(kind) => Err(IoError::from(*kind)),
                    None => Ok("started"),
                }
            },
            |e| e.kind() == ErrorKind::Interrupted,
        );
        (result, tried)
    }

    #[test]
    fn a_passing_failure_is_tried_again_and_any_other_is_not() {
        let (r, tried) = start_after(&[]);
        assert_eq!((r.unwrap(), tried), ("started", 1));
        let (r, tried) = start_after(&[ErrorKind::Interrupted, ErrorKind::Interrupted]);
        assert_eq!((r.unwrap(), tried), ("started", 3));
        // One more than the retries: the last failure is the caller's.
        let (r, tried) = start_after(&[ErrorKind::Interrupted; 3]);
        assert_eq!((r.unwrap_err().kind(), tried), (ErrorKind::Interrupted, 3));
        let (r, tried) = start_after(&[ErrorKind::NotFound]);
        assert_eq!((r.unwrap_err().kind(), tried), (ErrorKind::NotFound, 1));
        let (r, tried) = start_after(&[ErrorKind::Interrupted, ErrorKind::PermissionDenied]);
        assert_eq!(
            (r.unwrap_err().kind(), tried),
            (ErrorKind::PermissionDenied, 2)
        );
    }

    #[test]
    fn only_wines_internal_error_counts_as_passing() {
        let internal = IoError::from_raw_os_error(1359);
        assert_eq!(sys::spawn_failure_is_transient(&internal), sys::IS_WINDOWS);
        assert!(!sys::spawn_failure_is_transient(&IoError::from(
            ErrorKind::NotFound
        )));
    }
}
