//! Linux processes: the server's parent, liveness, how a process ended, and the
//! server's own set-up and exit.

use std::process::ExitStatus;
use std::time::Duration;

use rustix::process::{getppid, test_kill_process, Pid};

use crate::sys::ExitDescription;

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

/// Ends this process at once with `code` (`_exit`): no exit handlers, which could block on
/// a lock that a thread stuck inside the library holds.
pub(crate) fn exit_immediately(code: u32) -> ! {
    // SAFETY: `_exit` ends the process; nothing runs after it.
    unsafe { libc::_exit(code as libc::c_int) }
}

/// The size of a transparent huge page on x86 (and i686 with PAE).
const HUGE_PAGE: usize = 2 << 20;

/// Asks the kernel to back the whole huge pages inside `buf` (memory about to be written
/// for the first time, such as a new large `Vec`'s capacity) with transparent huge pages:
/// one fault per 2 MiB instead of 512, which makes a fresh 80 MB result several times
/// cheaper to fill (measured: 65 against 15 ms to fault in and copy 80 MB). Only advice:
/// it never changes what the memory holds, and a kernel without transparent huge pages
/// (or with them turned off) ignores it.
pub(crate) fn prefer_huge_pages<T>(buf: &mut [std::mem::MaybeUninit<T>]) {
    let start = buf.as_mut_ptr() as usize;
    let end = start + std::mem::size_of_val(buf);
    let (first, last) = (start.next_multiple_of(HUGE_PAGE), end & !(HUGE_PAGE - 1));
    if first < last {
        // SAFETY: the range lies inside `buf`, which is mapped and ours; MADV_HUGEPAGE
        // only sets how later faults are served and never changes the contents. Its
        // result is ignored: the advice is optional.
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                last - first,
                libc::MADV_HUGEPAGE,
            )
        };
    }
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

/// Whether a failed start of a process is to be tried again: never on Linux. Only the
/// failure seen under Wine is retried; a Linux start that fails (no such file, no
/// permission, a limit reached) is reported at once, as it was.
pub(crate) fn spawn_failure_is_transient(_e: &std::io::Error) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's flags for the mapping that holds `addr` (`VmFlags` in smaps).
    fn vm_flags(addr: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((lo, hi)) = range.split_once('-') {
                    if let (Ok(lo), Ok(hi)) =
                        (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
                    {
                        inside = (lo..hi).contains(&addr);
                        continue;
                    }
                }
            }
            if inside {
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    return flags.trim().to_owned();
                }
            }
        }
        panic!("no mapping holds {addr:#x}")
    }

    #[test]
    fn a_large_buffer_is_marked_for_huge_pages_and_keeps_what_is_written() {
        let n = (8 << 20) / 8;
        let mut v: Vec<u64> = Vec::with_capacity(n);
        prefer_huge_pages(v.spare_capacity_mut());
        v.extend((0..n as u64).map(|i| i * 3));
        assert!(v.iter().enumerate().all(|(i, x)| *x == i as u64 * 3));
        // The advice marks the whole huge pages inside the buffer (`hg`), when the kernel
        // has transparent huge pages at all.
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|s| !s.contains("[never]"));
        if thp {
            let inner = (v.as_ptr() as usize).next_multiple_of(HUGE_PAGE);
            let flags = vm_flags(inner);
            assert!(flags.split(' ').any(|f| f == "hg"), "flags {flags}");
        }
    }

    #[test]
    fn a_buffer_smaller_than_a_huge_page_is_left_alone() {
        let mut empty: Vec<u8> = Vec::new();
        prefer_huge_pages(empty.spare_capacity_mut());
        let mut small: Vec<f64> = Vec::with_capacity(1000);
        prefer_huge_pages(small.spare_capacity_mut());
        small.extend((0..1000).map(f64::from));
        assert_eq!(small[999], 999.0);
    }
}
