//! Linux: POSIX shared memory in `/dev/shm`, shared futexes, and the parent process.

use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rustix::fs::Mode;
use rustix::mm::{MapFlags, ProtFlags};
use rustix::process::{getppid, test_kill_process, Pid};
use rustix::thread::futex;

use super::ExitDescription;

mod cache;
pub(crate) use cache::*;

/// Where POSIX shared-memory objects appear as files.
const SHM_DIR: &str = "/dev/shm";

/// A shared-memory object mapped into this process.
pub(crate) struct Mapping {
    ptr: *mut u8,
    len: usize,
    /// Who else may open it, when that is anyone but this user (see `foreign_access`).
    foreign: Option<String>,
}

impl Mapping {
    /// Creates the object `name` (`/…`) of `len` bytes, readable and writable by this user
    /// only, failing if the name exists. Its memory is reserved now (`posix_fallocate`):
    /// a full `/dev/shm` is an error here, never a `SIGBUS` later.
    pub(crate) fn create(name: &str, len: usize) -> io::Result<Mapping> {
        let fd = rustix::shm::open(
            name,
            rustix::shm::OFlags::CREATE | rustix::shm::OFlags::EXCL | rustix::shm::OFlags::RDWR,
            Mode::RUSR | Mode::WUSR,
        )?;
        // A signal can interrupt a large reservation: retry.
        let reserved = loop {
            match rustix::fs::fallocate(&fd, rustix::fs::FallocateFlags::empty(), 0, len as u64) {
                Err(rustix::io::Errno::INTR) => continue,
                other => break other,
            }
        };
        if let Err(e) = reserved {
            let _ = rustix::shm::unlink(name);
            return Err(io::Error::new(
                io::Error::from(e).kind(),
                format!(
                    "cannot reserve {len} bytes in {SHM_DIR} ({}): {e}",
                    room_left()
                ),
            ));
        }
        match Self::map(&fd, len) {
            Ok(ptr) => Ok(Mapping {
                ptr,
                len,
                foreign: None,
            }),
            Err(e) => {
                let _ = rustix::shm::unlink(name);
                Err(e)
            }
        }
    }

    /// Opens and maps the whole of an existing object.
    pub(crate) fn open(name: &str) -> io::Result<Mapping> {
        let fd = rustix::shm::open(name, rustix::shm::OFlags::RDWR, Mode::empty())?;
        let st = rustix::fs::fstat(&fd)?;
        let len = usize::try_from(st.st_size)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "segment size"))?;
        if len == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "empty segment"));
        }
        let mode = st.st_mode & 0o7777;
        let me = rustix::process::geteuid().as_raw();
        let foreign = (st.st_uid != me || mode & 0o077 != 0)
            .then(|| format!("owner {} and mode {mode:o}", st.st_uid));
        Ok(Mapping {
            ptr: Self::map(&fd, len)?,
            len,
            foreign,
        })
    }

    fn map(fd: &OwnedFd, len: usize) -> io::Result<*mut u8> {
        // SAFETY: a fresh shared mapping of `len` bytes of `fd`, at an address the kernel
        // picks; nothing else in this process refers to it yet.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                fd,
                0,
            )
        }?;
        Ok(ptr.cast())
    }

    /// Start of the mapping (page-aligned).
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Bytes mapped.
    pub(crate) fn size(&self) -> usize {
        self.len
    }

    /// `None` when only this user can open the object; otherwise who else can.
    pub(crate) fn foreign_access(&self) -> Option<&str> {
        self.foreign.as_deref()
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly the mapping made in `map`, unmapped only here;
        // every view handed out borrows the owner of this mapping.
        let _ = unsafe { rustix::mm::munmap(self.ptr.cast(), self.len) };
    }
}

/// The room left in `/dev/shm`, in words.
fn room_left() -> String {
    match rustix::fs::statvfs(SHM_DIR) {
        Ok(st) => format!("{} bytes free", st.f_bavail.saturating_mul(st.f_frsize)),
        Err(e) => format!("free space unknown: {e}"),
    }
}

/// Removes the name of a shared-memory object; a missing one is not an error.
pub(crate) fn unlink(name: &str) {
    let _ = rustix::shm::unlink(name);
}

/// Names (with leading `/`) of shared-memory objects starting with `prefix` that belong to
/// this user: the ones a crashed process can leave behind.
pub(crate) fn leftover_names(prefix: &str) -> Vec<String> {
    let me = rustix::process::geteuid().as_raw();
    let bare = prefix.trim_start_matches('/');
    let Ok(dir) = std::fs::read_dir(SHM_DIR) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter(|e| {
            use std::os::unix::fs::MetadataExt;
            e.metadata().is_ok_and(|m| m.uid() == me)
        })
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(bare))
        .map(|n| format!("/{n}"))
        .collect()
}

/// What a side parks on and is woken through: on Linux the shared futex word itself, so
/// a `Bell` holds nothing.
pub(crate) struct Bell;

impl Bell {
    /// A bell the peer will open by `name` (nothing to create on Linux).
    pub(crate) fn create(_name: &str) -> io::Result<Bell> {
        Ok(Bell)
    }

    /// The bell the peer created under `name`.
    pub(crate) fn open(_name: &str) -> io::Result<Bell> {
        Ok(Bell)
    }

    /// Sleeps until `word` differs from `seen`, a ring arrives, or `timeout` passes.
    /// Spurious returns are allowed: callers re-check their condition.
    pub(crate) fn wait(&self, word: &AtomicU32, seen: u32, timeout: Duration) {
        let ts = rustix::time::Timespec {
            tv_sec: timeout.as_secs() as _,
            tv_nsec: timeout.subsec_nanos() as _,
        };
        // A shared futex (no private flag): it works across processes that map the same
        // page, whatever their width. EAGAIN (value changed), ETIMEDOUT and EINTR all mean
        // "re-check": ignore them.
        let _ = futex::wait(word, futex::Flags::empty(), seen, Some(&ts));
    }

    /// Wakes the side waiting on `word`, in any process.
    pub(crate) fn ring(&self, word: &AtomicU32) {
        let _ = futex::wake(word, futex::Flags::empty(), u32::MAX);
    }
}

/// The CPU this thread runs on (a hint: it may move at any time).
pub(crate) fn current_cpu() -> u32 {
    // glibc's, through the vDSO (rustix's own vDSO reader trips valgrind).
    // SAFETY: no arguments, no memory; -1 (no CPU) becomes u32::MAX, which matches none.
    unsafe { libc::sched_getcpu() as u32 }
}

/// Moves this thread off `cpu` to another CPU of its affinity mask, keeping the mask: it
/// is narrowed for a moment (which migrates the thread) and then restored.
pub(crate) fn move_off_cpu(cpu: u32) {
    use rustix::thread::{sched_getaffinity, sched_setaffinity};
    let Ok(mask) = sched_getaffinity(None) else {
        return;
    };
    let cpu = cpu as usize;
    if !mask.is_set(cpu) || mask.count() < 2 {
        return;
    }
    let mut others = mask;
    others.unset(cpu);
    if sched_setaffinity(None, &others).is_ok() {
        let _ = sched_setaffinity(None, &mask);
    }
}

/// The server's view of the client that started it.
pub(crate) struct Parent {
    pid: u32,
}

impl Parent {
    /// The parent of this process, which must be `pid`.
    pub(crate) fn attach(pid: u32) -> Result<Parent, String> {
        let actual = parent_pid();
        if actual == pid {
            Ok(Parent { pid })
        } else {
            Err(format!(
                "this server's parent is process {actual}, not {pid}"
            ))
        }
    }

    /// Whether it still runs. An orphan is re-parented, so a changed parent id means the
    /// client is gone.
    pub(crate) fn is_alive(&self) -> bool {
        parent_pid() == self.pid
    }

    /// Waits up to `timeout` for it to end; true once it has.
    pub(crate) fn wait_for_exit(&self, timeout: Duration) -> bool {
        std::thread::sleep(timeout.min(Duration::from_millis(200)));
        !self.is_alive()
    }
}

fn parent_pid() -> u32 {
    getppid()
        .map(|p| p.as_raw_nonzero().get() as u32)
        .unwrap_or(0)
}

/// Whether a process with this id exists (EPERM counts as alive: it exists).
pub(crate) fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return false;
    };
    match test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// How a process ended: the signal that killed it, if any, in words.
pub(crate) fn describe_exit(status: &ExitStatus) -> ExitDescription {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(s) => ExitDescription {
            signal: Some(s),
            how: format!("killed by signal {s} ({})", signal_name(s)),
        },
        None => ExitDescription {
            signal: None,
            how: status.to_string(),
        },
    }
}

/// A short name for a signal number, e.g. `SIGSEGV`.
fn signal_name(sig: i32) -> &'static str {
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

/// Creates a directory that only this user can enter.
pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// Writes `bytes` to a new file at `path` that only this user can read or write.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
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

/// Loads a shared library (`dlopen`); its dependencies are found through
/// `LD_LIBRARY_PATH`, which the client sets from the builder's library paths.
///
/// # Safety
/// Loading runs the library's initialisers, which may do anything.
pub(crate) unsafe fn load_library(path: &str) -> Result<libloading::Library, libloading::Error> {
    // SAFETY: the caller accepts that the library's initialisers run.
    unsafe { libloading::Library::new(path) }
}

/// Ends this process at once with `code` (`_exit`): no exit handlers, which could block on
/// a lock that a thread stuck inside the library holds.
pub(crate) fn exit_immediately(code: u32) -> ! {
    // SAFETY: `_exit` ends the process; nothing runs after it.
    unsafe { libc::_exit(code as libc::c_int) }
}

/// The variable through which the server's dynamic loader finds libraries.
pub(crate) const LIBRARY_PATH_VAR: &str = "LD_LIBRARY_PATH";

/// Whether this is Windows: decides the foreign-call ABI of a server on this OS.
pub(crate) const IS_WINDOWS: bool = false;

/// Clears the error a foreign function may report (`errno`), before calling it.
pub(crate) fn clear_last_error() {
    // SAFETY: `__errno_location` returns this thread's errno, always valid.
    unsafe { *libc::__errno_location() = 0 };
}

/// The error a foreign function reported: `errno`, read right after the call.
pub(crate) fn last_error() -> i32 {
    // SAFETY: as in `clear_last_error`.
    unsafe { *libc::__errno_location() }
}

/// Readies the server process: large freed blocks stay in the heap (up to `keep` bytes at
/// its top) instead of being mapped and unmapped on every call. A wrapper that allocates
/// an 8 MB result per call otherwise pays about 2,000 page faults per call (glibc caps the
/// mmap threshold at 512 KiB in a 32-bit process).
pub(crate) fn prepare_server_process(keep: usize) {
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
