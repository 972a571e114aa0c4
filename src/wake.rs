//! Cross-process waiting: spin a bounded while, then park on a shared futex.
//!
//! Protocol for one direction (a waiter and a waker sharing a `signal` futex word and a
//! `parked` flag, both in the segment):
//!
//! * waiter: load `signal`, store `parked = 1`, SeqCst fence, re-check the condition, then
//!   `FUTEX_WAIT(signal, seen)`;
//! * waker: publish its data (Release), SeqCst fence, and only if `parked != 0` bump
//!   `signal` and `FUTEX_WAKE`.
//!
//! The two SeqCst fences make the store-then-load pairs a Dekker handshake: either the
//! waiter's re-check sees the data, or the waker sees `parked` and wakes it; and a bump
//! that lands between the waiter's load of `signal` and its `FUTEX_WAIT` makes the wait
//! return at once. Every park is a bounded slice, after which the caller's liveness check
//! runs, so a dead peer is always noticed.

use std::sync::atomic::{fence, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::sys;

/// How long one futex wait lasts before the liveness check runs again.
pub const PARK_SLICE: Duration = Duration::from_millis(50);

/// A futex word and the flag saying someone is parked on it.
#[derive(Clone, Copy)]
pub struct Signal<'a> {
    /// The futex word (bumped by the waker).
    pub word: &'a AtomicU32,
    /// Non-zero while the waiter is parked.
    pub parked: &'a AtomicU32,
}

/// Why a wait ended without the condition becoming true.
#[derive(Debug)]
pub enum WaitError<E> {
    /// The deadline passed.
    TimedOut,
    /// The liveness check failed.
    Dead(E),
}

impl Signal<'_> {
    /// Wakes the waiter if it is parked. Call after publishing with a Release store.
    #[inline]
    pub fn wake(&self) {
        // Pairs with the SeqCst fence in `wait`: orders our published data before the
        // load of `parked`.
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::Relaxed) != 0 {
            // Release: pairs with the waiter's Acquire load of `word` (not needed for
            // correctness of the data, which has its own Release/Acquire pair).
            self.word.fetch_add(1, Ordering::Release);
            sys::futex_wake(self.word);
        }
    }

    /// Waits until `ready()` is true: spins for `spin`, then parks in slices of at most
    /// `slice`, calling `alive()` after each slice. `deadline = None` waits forever.
    pub fn wait<E>(
        &self,
        mut ready: impl FnMut() -> bool,
        spin: Duration,
        deadline: Option<Instant>,
        slice: Duration,
        mut alive: impl FnMut() -> Result<(), E>,
    ) -> Result<(), WaitError<E>> {
        if ready() {
            return Ok(());
        }
        let start = Instant::now();
        if !spin.is_zero() {
            loop {
                for _ in 0..32 {
                    std::hint::spin_loop();
                    if ready() {
                        return Ok(());
                    }
                }
                if start.elapsed() >= spin {
                    break;
                }
            }
        }
        loop {
            // Acquire: pairs with the waker's Release bump.
            let seen = self.word.load(Ordering::Acquire);
            self.parked.store(1, Ordering::SeqCst);
            // Pairs with the fence in `wake` (see the module comment).
            fence(Ordering::SeqCst);
            if ready() {
                self.parked.store(0, Ordering::Relaxed);
                return Ok(());
            }
            let mut this_slice = slice;
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    self.parked.store(0, Ordering::Relaxed);
                    return Err(WaitError::TimedOut);
                }
                this_slice = this_slice.min(d - now);
            }
            sys::futex_wait(self.word, seen, this_slice);
            self.parked.store(0, Ordering::Relaxed);
            if ready() {
                return Ok(());
            }
            alive().map_err(WaitError::Dead)?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(WaitError::TimedOut);
            }
        }
    }
}
