//! The platform seam: the one place that picks an OS module. The portable code calls what
//! it exports and has no `cfg` of its own. Each module provides the same items:
//!
//! * `Mapping`: a named shared-memory object, created for this user only with its memory
//!   reserved, or opened; `unlink` and `leftover_names` for names a crash left behind;
//! * `Bell`: what a side parks on and is woken through (a shared futex on Linux, a named
//!   auto-reset event on Windows);
//! * `Parent`: the server's handle on the client that started it, to notice its death;
//! * `process_alive`, `describe_exit`, private files and directories, library loading,
//!   and the server's process set-up.

// Under loom the bell and the CPU hints are models (`crate::transport::primitive`).
#[cfg(target_os = "linux")]
#[cfg_attr(loadlib_loom, allow(dead_code))]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(not(any(target_os = "linux", windows)))]
compile_error!("loadlib supports Linux and Windows hosts");

/// How a process ended, in the terms of its platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExitDescription {
    /// The signal that killed it (Unix only).
    pub signal: Option<i32>,
    /// In words: `killed by signal 11 (SIGSEGV)`, `STATUS_ACCESS_VIOLATION (0xC0000005)`,
    /// `exit status: 3`.
    pub how: String,
}
