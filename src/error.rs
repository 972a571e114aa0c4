//! Errors, by the phase in which they happen.

use std::time::Duration;

/// Everything that can go wrong between a [`Client64`](crate::Client64) and its server.
///
/// ```
/// # fn demo(c: &loadlib::Client64) {
/// use loadlib::server::ErrorKind;
/// match c.request32::<i32>("add", (1i32, 2i32)) {
///     Ok(sum) => println!("{sum}"),
///     Err(loadlib::Error::Server32 { kind: ErrorKind::TypeError, message, .. }) => {
///         eprintln!("wrong arguments: {message}")
///     }
///     Err(loadlib::Error::Server32 { name, message, .. }) => eprintln!("{name}: {message}"),
///     Err(other) => eprintln!("bridge failed: {other}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server executable could not be started.
    #[error("could not start the server executable {path}: {source}")]
    Spawn {
        /// The executable tried.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The server executable is a program of the wrong kind, found before it was started:
    /// a 64-bit build where the 32-bit server belongs (a workspace-wide `cargo build` of
    /// the server's crate puts one there), or a program for another system or processor.
    #[error("{path} is {found}, but the server must be {expected}: {fix}")]
    WrongServerBinary {
        /// The executable.
        path: String,
        /// What its header says it is, e.g. `a 64-bit Linux program (ELF x86-64)`.
        found: String,
        /// What the server must be, e.g. `a 32-bit Linux program (ELF i386)`.
        expected: String,
        /// How to put the right one there.
        fix: String,
    },
    /// The shared segment (or a bulk or array segment) could not be created or mapped.
    #[error("shared memory: {0}")]
    SharedMemory(String),
    /// The server exited before it became ready.
    #[error("the server {server} failed to start ({status}); its stderr:\n{stderr}")]
    StartupFailed {
        /// The server executable.
        server: String,
        /// Its exit status, e.g. `exit status: 2`.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The server did not become ready within the start-up timeout (it was killed).
    #[error("the server {server} did not become ready within {timeout:?}; its stderr:\n{stderr}")]
    ConnectTimeout {
        /// The server executable.
        server: String,
        /// The start-up timeout.
        timeout: Duration,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The two sides disagree about the shared-memory layout.
    #[error("layout mismatch in {field}: client has {client}, server has {server}")]
    LayoutMismatch {
        /// Which field differs.
        field: String,
        /// The client's value.
        client: String,
        /// The server's value.
        server: String,
    },
    /// No reply arrived within the request timeout. A late reply to this request is
    /// discarded, never returned for another one.
    #[error("no reply to `{method}` within {timeout:?}")]
    ResponseTimeout {
        /// The method called.
        method: String,
        /// The request timeout.
        timeout: Duration,
    },
    /// The server reported an error: unknown method, wrong arguments, a failing library
    /// call, or a panic in the wrapper.
    #[error("Server32Error: {name}: {message}")]
    Server32 {
        /// What kind of error, to match on.
        kind: crate::server::ErrorKind,
        /// The error's name, e.g. `UnknownMethod`, `TypeError`, `Panic`.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// The server does not implement the interface the typed client was made for (another
    /// interface, or another version of it): rebuild the server from the same definition.
    #[error("interface mismatch: the client speaks {client}, the server speaks {server}")]
    InterfaceMismatch {
        /// The client's interface: its name and the hash of its signatures.
        client: String,
        /// The server's, or what it answered instead.
        server: String,
    },
    /// The server process died.
    #[error("the server {server} crashed ({how}); end of its stderr:\n{stderr}")]
    ServerCrashed {
        /// The server executable.
        server: String,
        /// The signal that killed it, if any (e.g. 11 for SIGSEGV).
        signal: Option<i32>,
        /// Its exit code, if it exited.
        code: Option<i32>,
        /// A description: `signal 11 (SIGSEGV)` or `exit status 3`.
        how: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// An argument cannot be sent (rank too high, too large for a 32-bit server…).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The reply could not be converted to the requested Rust type.
    #[error("unexpected reply type: expected {expected}, got {got}")]
    ReplyType {
        /// The requested type.
        expected: String,
        /// What arrived.
        got: String,
    },
    /// The peer broke the protocol (a malformed record); the connection is closed.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The client was shut down, or an earlier fatal error closed it.
    #[error("the connection to the server is closed")]
    Closed,
    /// An I/O error (file transport, pipes).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
