//! Linux wake-ups: a shared futex on the word itself, and the CPU hints.

use std::io;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rustix::thread::futex;

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
