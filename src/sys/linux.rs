//! Linux: shared futexes, process liveness, and the `/dev/shm` directory.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rustix::process::{getppid, test_kill_process, Pid};
use rustix::thread::futex;

/// Where POSIX shared-memory objects appear as files.
pub const SHM_DIR: &str = "/dev/shm";

/// Waits until `word` differs from `expected`, a wake-up arrives, or `timeout` passes.
///
/// The futex is shared (no private flag), so it works across processes that map the
/// same page, whatever their width. Spurious returns are allowed: callers re-check.
pub fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = rustix::time::Timespec {
        tv_sec: timeout.as_secs() as _,
        tv_nsec: timeout.subsec_nanos() as _,
    };
    // EAGAIN (value changed), ETIMEDOUT and EINTR all mean "re-check": ignore them.
    let _ = futex::wait(word, futex::Flags::empty(), expected, Some(&ts));
}

/// Wakes every waiter parked on `word`, in any process.
pub fn futex_wake(word: &AtomicU32) {
    let _ = futex::wake(word, futex::Flags::empty(), u32::MAX);
}

/// Whether a process with this id exists (EPERM counts as alive: it exists).
pub fn process_alive(pid: u32) -> bool {
    let Some(pid) = Pid::from_raw(pid as i32) else {
        return false;
    };
    match test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// This process's id.
pub fn current_pid() -> u32 {
    std::process::id()
}

/// The parent's process id (0 when there is none).
pub fn parent_pid() -> u32 {
    getppid()
        .map(|p| p.as_raw_nonzero().get() as u32)
        .unwrap_or(0)
}

/// This process's effective user id.
pub fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// The path of a shared-memory object with POSIX name `name` (which starts with `/`).
pub fn shm_path(name: &str) -> PathBuf {
    PathBuf::from(SHM_DIR).join(name.trim_start_matches('/'))
}

/// Owner uid and permission bits of a shared-memory object.
pub fn shm_owner_and_mode(name: &str) -> io::Result<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(shm_path(name))?;
    Ok((meta.uid(), meta.mode() & 0o7777))
}

/// Removes a shared-memory object by POSIX name; a missing one is not an error.
pub fn shm_unlink(name: &str) {
    let _ = rustix::shm::unlink(name);
}

/// Names (with leading `/`) of the shared-memory objects whose name starts with `prefix`.
pub fn shm_names_with_prefix(prefix: &str) -> Vec<String> {
    let prefix = prefix.trim_start_matches('/');
    let Ok(dir) = std::fs::read_dir(SHM_DIR) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .map(|n| format!("/{n}"))
        .collect()
}

/// Signal number and name of an exit status, if a signal ended the process.
pub fn exit_signal(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

/// A short name for a signal number, e.g. `SIGSEGV`.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "signal",
    }
}

/// A fresh random 64-bit value from the kernel.
pub fn random_u64() -> u64 {
    let mut buf = [0u8; 8];
    // getrandom never fails for 8 bytes once the pool is initialised; fall back to time
    // and pid only if it does.
    match rustix::rand::getrandom(&mut buf, rustix::rand::GetRandomFlags::empty()) {
        Ok(8) => u64::from_le_bytes(buf),
        _ => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            t ^ ((current_pid() as u64) << 32)
        }
    }
}

/// Writes `bytes` to a new file at `path` that only this user can read or write.
pub fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

/// Tunes the C allocator for a long-running server: large blocks come from the heap and
/// stay there when freed (up to `keep` bytes at its top), instead of being mapped and
/// unmapped on every call. A wrapper that allocates an 8 MB result per call otherwise pays
/// about 2,000 page faults per call (glibc caps the mmap threshold at 512 KiB in a 32-bit
/// process). Memory that cannot come from the heap is still mapped as before.
pub fn keep_freed_memory(keep: usize) {
    // SAFETY: mallopt only changes allocator parameters; called once at start-up, before
    // the server's threads and the wrapper's library are created.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(
            libc::M_TRIM_THRESHOLD,
            keep.min(i32::MAX as usize) as libc::c_int,
        );
    }
}
