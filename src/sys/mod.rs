//! The platform seam: the one place that picks an OS module. The portable code calls what
//! this module exports and has no `cfg` of its own.
//!
//! Each OS module (`linux`, `windows`) must provide every item the `use os::{…}` lists
//! below name, with the same signatures; a missing one fails to compile here. The
//! shared-memory object itself, [`Mapping`], is written once (`mapping.rs`): an OS
//! module gives only how to create, open and unmap one.

// Under loom the bell and the CPU hints are models (`crate::transport::primitive`).
#[cfg(target_os = "linux")]
#[cfg_attr(loadlib_loom, allow(dead_code, unused_imports))]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

#[cfg(not(any(target_os = "linux", windows)))]
compile_error!("loadlib supports Linux and Windows hosts");

mod mapping;
pub(crate) mod program;

pub(crate) use mapping::Mapping;

/// Shared memory: `create_mapping(name, len)`, `open_mapping(name)` and
/// `unsafe unmap(ptr, len)` make and end a [`Mapping`] (which holds a `MappingHandle`
/// that keeps the object alive: a section handle on Windows, nothing on Linux); these
/// are for `mapping.rs` alone.
use os::{create_mapping, open_mapping, unmap, MappingHandle};

/// Shared-memory names: `unlink(name)` removes one and `leftover_names(prefix)` lists
/// this user's names a crash left behind (none on Windows, where a named object ends
/// with its last handle).
pub(crate) use os::{leftover_names, unlink};

/// Wake-ups: `Bell` (create, open, wait, ring: a shared futex on Linux, a named
/// auto-reset event on Windows), and the CPU hints the spin-then-sleep wait uses
/// (`current_cpu`, `move_off_cpu`).
#[cfg_attr(loadlib_loom, allow(unused_imports))]
pub(crate) use os::{current_cpu, move_off_cpu, Bell};

/// Processes: the server's handle on its client (`Parent`), whether a pid lives, how a
/// process ended, whether a failed start is to be tried again
/// (`spawn_failure_is_transient`), and the server's own set-up and immediate exit; and
/// the advice that a large buffer about to be filled be backed by huge pages
/// (`prefer_huge_pages`).
pub(crate) use os::{
    describe_exit, exit_immediately, prefer_huge_pages, prepare_server_process, process_alive,
    spawn_failure_is_transient, Parent,
};

/// Private files and folders: the file transport's folder, and the cache folder and copy
/// of the embedded server.
pub(crate) use os::{
    create_private_dir, ensure_private_dir, is_runnable_file, server_cache_roots,
    write_private_executable, write_private_file,
};

/// For tests: a folder others may use, which the cache must refuse.
#[cfg(test)]
pub(crate) use os::create_dir_others_can_use;

/// Libraries: loading one (with a message that says what is missing), the loader's
/// search-path variable, and the error a foreign function reports (`errno` or
/// `GetLastError`).
pub(crate) use os::{clear_last_error, last_error, load_library, IS_WINDOWS, LIBRARY_PATH_VAR};

/// Why a library did not load, in words: the loader's message and, where the loader does
/// not say it, what is missing (on Windows: the dependency that was not found, the
/// run-time a failed initialisation probably needs, a DLL of the wrong width).
#[derive(Debug)]
pub(crate) struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// libloading's error and its sources, joined.
    pub(crate) fn from_libloading(e: &libloading::Error) -> LoadError {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            msg.push_str(&format!(": {s}"));
            source = s.source();
        }
        LoadError(msg)
    }
}

/// How a process ended, in the terms of its platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExitDescription {
    /// The signal that killed it (Unix only).
    pub signal: Option<i32>,
    /// In words: `killed by signal 11 (SIGSEGV)`, `STATUS_ACCESS_VIOLATION (0xC0000005)`,
    /// `exit status: 3`.
    pub how: String,
}

/// `Ok` when `problem` is `None`; otherwise the error both OS modules give for a folder
/// that is not private to this user (`ensure_private_dir`).
fn refuse_shared_dir(path: &std::path::Path, problem: Option<String>) -> std::io::Result<()> {
    match problem {
        None => Ok(()),
        Some(p) => Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{} is not a private folder ({p}); remove it",
                path.display()
            ),
        )),
    }
}
