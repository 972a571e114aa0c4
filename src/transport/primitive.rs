//! The primitives the lock-free core is built on — the atomics of the segment's control
//! blocks (`layout`), the ring (`ring`) and the wake-up handshake (`wake`), and the bell a
//! side parks on — as crossbeam-utils' `primitive` module does: std's and the platform's
//! normally, and under `--cfg loadlib_loom` loom's and a model bell, so that loom checks
//! the real code (`src/transport/model_check.rs`, run by `tests/builds/model_check.rs`).

#[cfg(not(loadlib_loom))]
pub(crate) mod sync {
    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{fence, AtomicU32, AtomicU64};
    }
}

#[cfg(not(loadlib_loom))]
pub(crate) use crate::sys::{current_cpu, move_off_cpu, Bell};
#[cfg(not(loadlib_loom))]
pub(crate) use std::{hint::spin_loop, thread::yield_now};

#[cfg(loadlib_loom)]
pub(crate) mod sync {
    pub(crate) mod atomic {
        pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64};
    }
}

#[cfg(loadlib_loom)]
pub(crate) use loom::{hint::spin_loop, thread::yield_now};

/// Asks the CPU to start loading the cache line at `p`, a hint with no effect on what
/// any load sees (so any address will do). A waiter polls one line and then reads
/// another, which its peer wrote just before: prefetching the second while polling the
/// first lets the two transfers from the peer's cache overlap instead of following each
/// other.
#[inline(always)]
pub(crate) fn prefetch(p: *const u8) {
    #[cfg(all(target_arch = "x86_64", not(loadlib_loom)))]
    // SAFETY: a prefetch never faults and changes no memory; SSE is part of x86_64.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(all(target_arch = "x86", target_feature = "sse", not(loadlib_loom)))]
    // SAFETY: a prefetch never faults and changes no memory; the build enables SSE.
    unsafe {
        use std::arch::x86::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    let _ = p;
}
#[cfg(loadlib_loom)]
pub(crate) use model::{current_cpu, move_off_cpu, Bell};

/// Under loom: a bell whose wait returns only once the word has moved (as a futex wait
/// with no time-out would), so a lost wake-up leaves its waiter spinning until loom
/// reports it; and one CPU, on which nothing moves.
#[cfg(loadlib_loom)]
mod model {
    use super::sync::atomic::AtomicU32;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    pub(crate) struct Bell;

    impl Bell {
        pub(crate) fn create(_name: &str) -> std::io::Result<Bell> {
            Ok(Bell)
        }

        pub(crate) fn open(_name: &str) -> std::io::Result<Bell> {
            Ok(Bell)
        }

        /// Waits until `word` differs from `seen`; the time-out is not modelled (a wake-up
        /// that is never rung must show, not be covered by the next slice).
        pub(crate) fn wait(&self, word: &AtomicU32, seen: u32, _timeout: Duration) {
            // Relaxed: the futex compares the value only; the waiter's own loads order it.
            while word.load(Ordering::Relaxed) == seen {
                loom::thread::yield_now();
            }
        }

        /// The futex wake: the waiter watches the word itself.
        pub(crate) fn ring(&self, _word: &AtomicU32) {}
    }

    pub(crate) fn current_cpu() -> u32 {
        0
    }

    pub(crate) fn move_off_cpu(_cpu: u32) {}
}
